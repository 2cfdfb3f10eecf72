// Our addition to namerd's API: `GET /api/1/dtabs/<ns>/watchers`, the open watch streams that
// depend on a namespace and the version each was last sent (propagation status).
import { z } from 'zod'

/** One watcher in the listing. */
export const Watcher = z.object({
  /** The name the watcher gave itself (header `l5d-watcher-id`), if any. */
  id: z.string().nullable(),
  /** Unique while namerd runs; tells apart watchers with the same id. */
  stream: z.int().nonnegative(),
  /**
   * What it watches: `dtabs`, `dtab`, `bind`, `addr`, `resolve`, `bound-names` today. A string,
   * not an enum, so a namerctl still reads the listing of a newer namerd with another kind.
   */
  kind: z.string(),
  /** The request's path and query. */
  path: z.string(),
  remote: z.string(),
  since: z.string(),
  /** The dtab version (ETag) of the last state it was sent; null before the first, or when the namespace is absent. */
  version: z.string().nullable(),
  sentAt: z.string().nullable(),
  /** Its version is the namespace's current one. */
  current: z.boolean(),
  sent: z.int().nonnegative(),
  dropped: z.int().nonnegative(),
  bufferedBytes: z.int().nonnegative(),
  /**
   * The watcher's admin address (`host:port`, header `l5d-watcher-admin`) once namerd accepted it
   * (its allow-list); rollouts read the proxy's metrics there. Defaulted so older listings parse.
   */
  admin: z.string().nullable().default(null),
})
export type Watcher = z.infer<typeof Watcher>

export const Watchers = z.object({
  namespace: z.string(),
  /** The namespace's current version (ETag); null if it does not exist. */
  version: z.string().nullable(),
  watchers: z.array(Watcher),
})
export type Watchers = z.infer<typeof Watchers>
