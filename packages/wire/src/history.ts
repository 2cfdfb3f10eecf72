// Our addition to namerd's API: `GET /api/1/dtabs/<ns>/history` answers a list of these,
// newest first, and `POST .../restore` takes one's `version`.
import { z } from 'zod'

export const HistoryEntry = z.object({
  /** The version this change produced, as an ETag (what `restore` takes). */
  version: z.string(),
  /** The version it replaced; null when it created the namespace. */
  previous: z.string().nullable(),
  time: z.iso.datetime(),
  /** The token name of the writer; null for anonymous writes. */
  who: z.string().nullable(),
  op: z.enum(['create', 'put', 'update', 'delete']),
  /** The dtab as stored (`Dtab.show` text); null for a delete. */
  dtab: z.string().nullable(),
  /** Why the change was made (a rollout's step and verdict); absent from namerd and older records. */
  why: z.string().nullable().optional(),
})
export type HistoryEntry = z.infer<typeof HistoryEntry>

export const History = z.array(HistoryEntry)
