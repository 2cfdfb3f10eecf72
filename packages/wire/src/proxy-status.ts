// What a proxy RUNS, not only what namerd sent it: the proxy's `/admin/routers.json` (each
// router's namespace, the dtab version it routes on, whether its interpreter is connected), and
// namerd's `GET /api/1/proxy-status/<ns>` built from it for the dashboard: per proxy (by admin
// address) whether it confirmed the namespace's current version, or why not.
import { z } from 'zod'

/** A text from a proxy (hostile until checked): bounded, so one answer cannot grow a page. */
const text = z.string().max(2000)

/** One router in a proxy's `/admin/routers.json` (the fields namerd uses; others are ignored). */
export const ProxyRouter = z.object({
  label: text,
  interpreter: z.object({
    kind: text,
    /** The namerd namespace the router's dtab comes from; absent for other interpreters. */
    namespace: text.optional(),
    connected: z.boolean(),
    lastError: text.optional(),
  }),
  /** The dtab version (namerd's ETag) the router routes on now; null before the first one. */
  version: text.nullable(),
})
export type ProxyRouter = z.infer<typeof ProxyRouter>

/** A proxy's `/admin/routers.json`: at most 100 routers (a proxy has a few). */
export const ProxyRouters = z.array(ProxyRouter).max(100)
export type ProxyRouters = z.infer<typeof ProxyRouters>

/** One proxy (admin address) of a namespace, as its admin answered. */
export const ProxyConfirmation = z.object({
  /** The admin address namerd read (`l5d-watcher-admin`, as the allow-list admitted it). */
  admin: z.string(),
  /**
   * `confirmed`: every router of the proxy on this namespace routes on the current version (or
   * a later one). `behind`: one routes on an older version (or none yet). `unanswered`: its
   * admin did not answer (in time, or not with a router list): it may be hung. `unknown`: no
   * way to tell (not read yet, no router names the namespace, the namespace does not exist).
   */
  state: z.enum(['confirmed', 'behind', 'unanswered', 'unknown']),
  /** The versions its routers on this namespace run (ETags), one per router. */
  versions: z.array(z.string().nullable()),
  /** Why not confirmed, in words (the read's error, the router behind); null when confirmed. */
  why: z.string().nullable(),
  /** When the answer this is taken from was read (ISO); null when none was read yet. */
  readAt: z.string().nullable(),
})
export type ProxyConfirmation = z.infer<typeof ProxyConfirmation>

/**
 * `GET /api/1/proxy-status/<ns>` (read scope): the namespace's current version and, for every
 * proxy that watches it and named an admin address, what its admin says it runs. Read only
 * while asked, each proxy at most every 2 s; the answer never waits more than about 2 s.
 */
export const ProxyStatus = z.object({
  namespace: z.string(),
  /** The current version (ETag); null when the namespace does not exist. */
  version: z.string().nullable(),
  proxies: z.array(ProxyConfirmation),
})
export type ProxyStatus = z.infer<typeof ProxyStatus>

/**
 * `GET /api/1/proxy-status` (read scope): every namespace that a proxy naming an admin address
 * watches, each entry as `GET /api/1/proxy-status/<ns>` answers it, sorted by namespace. One
 * request for a page showing all proxies (not one per namespace). A namespace nobody watches
 * with an admin address is not listed (it has no proxy to confirm anything).
 */
export const ProxyStatusAll = z.object({
  namespaces: z.array(ProxyStatus),
})
export type ProxyStatusAll = z.infer<typeof ProxyStatusAll>
