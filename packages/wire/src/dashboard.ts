// Our additions to namerd's API for the dashboard (docs/dashboard.md), each also useful on its
// own: who the caller is, every namespace at a glance, and a namespace's measured traffic split
// beside the split its dtab asks for.
import { z } from 'zod'
import { HistoryEntry } from './history.js'

/**
 * `GET /api/1/whoami`: what the caller may do. Needs no token; with one, it names it (a wrong
 * token is a 401, as everywhere). `scope` is what this caller can do now: `write` (reads too),
 * `read`, or `none` (reads need a token it has not given).
 */
export const Whoami = z.object({
  /** The token's name; null without one. */
  name: z.string().nullable(),
  scope: z.enum(['none', 'read', 'write']),
  /** Reads need a token (tokens exist and anonymousReads is off). */
  readGuarded: z.boolean(),
  /** Writes need a write token (any token is configured). */
  writeGuarded: z.boolean(),
})
export type Whoami = z.infer<typeof Whoami>

/** One namespace in `GET /api/1/overview`. */
export const NamespaceOverview = z.object({
  namespace: z.string(),
  /** Its current version (ETag). */
  version: z.string(),
  /** The newest history entry (who, when, why); null when the store kept none. */
  lastChange: HistoryEntry.pick({ time: true, who: true, op: true, why: true }).nullable(),
  /** Open watch streams that depend on the namespace (proxies, mostly). */
  watchers: z.int().nonnegative(),
  /** Of those, the ones whose last state sent is the current version. */
  current: z.int().nonnegative(),
  /** Active rollouts in the namespace. */
  activeRollouts: z.int().nonnegative(),
})
export type NamespaceOverview = z.infer<typeof NamespaceOverview>

/** `GET /api/1/overview`: every namespace, sorted by name. */
export const Overview = z.object({
  namespaces: z.array(NamespaceOverview),
})
export type Overview = z.infer<typeof Overview>

/** One concrete destination of a logical service, measured and asked for. */
export const TrafficDestination = z.object({
  /** The bound id, as the proxies label their clients (`/#/io.l5d.fs/world-v2`). */
  id: z.string(),
  /**
   * The share of requests (0..1) the current dtab sends here: 0 for a destination only an
   * earlier version named (listed while it still had requests in the window: the tail of a
   * shift); null when the expected split is unknown (the service's `error` says why).
   */
  expectedShare: z.number().min(0).max(1).nullable(),
  /** Requests in the window, summed over the proxies (0 until two snapshots span it). */
  requests: z.int().nonnegative(),
  ratePerSec: z.number().nonnegative(),
  /** Its share of the service's requests in the window (0..1); null when the service had none. */
  measuredShare: z.number().min(0).max(1).nullable(),
  /** 0..1; null without requests. */
  successRate: z.number().min(0).max(1).nullable(),
  p99Ms: z.number().nonnegative().nullable(),
})
export type TrafficDestination = z.infer<typeof TrafficDestination>

export const TrafficService = z.object({
  /** The logical name, e.g. `/svc/world`. */
  path: z.string(),
  destinations: z.array(TrafficDestination),
  /**
   * Why the expected split is unknown (the name does not bind, a namer failed) or names no
   * destination (it binds to neg); null when known. Destinations are then only those measured.
   */
  error: z.string().nullable(),
})
export type TrafficService = z.infer<typeof TrafficService>

/**
 * `GET /api/1/traffic/<ns>[?path=/svc/a&path=/svc/b][&window=10]`: per logical service (by
 * default the services the dtab names: its prefixes under `/svc/` without a wildcard, and those
 * reached from `/svc` by following its path dentries backwards, e.g. `/svc/world` for `/svc =>
 * /host; /host/world => ...`; when there are none, the proxies' destinations traced back to
 * `/svc` the same way), the split across
 * concrete destinations over the last `window` seconds, read from the proxies watching the
 * namespace (their `/admin/metrics/snapshot.json`), beside the dtab's weights.
 */
/**
 * Destinations come in order: the expected share, largest first, then requests. The paths are
 * checked: at most 20 (`400 invalid_path` naming the bad one), `window` 1..120 seconds (default
 * 10; `400 invalid_parameter`), a namespace that does not exist is `404 namespace_not_found`.
 * Proxies are read while someone asks (every 2 s, stopping a minute after the last request), so
 * the first answer for a namespace has nothing measured yet.
 */
export const Traffic = z.object({
  namespace: z.string(),
  /** The dtab version the expected shares come from. */
  version: z.string(),
  /** When the newest snapshot summed was taken (ISO); null before any. */
  at: z.iso.datetime().nullable(),
  windowSeconds: z.number().positive(),
  /**
   * The seconds the numbers really cover, at most the window: from the first snapshot read in
   * it to the newest. Counts are over this span and rates divide by it. 0 while there is
   * nothing to compare yet (one snapshot per proxy: namerd just started reading them).
   */
  coveredSeconds: z.number().nonnegative(),
  proxies: z.object({
    /** Proxies watching the namespace that named an admin address. */
    listed: z.int().nonnegative(),
    /** Of those, the ones whose snapshots were read for this window. */
    read: z.int().nonnegative(),
    /** What kept the others out, one line each. */
    problems: z.array(z.string()),
  }),
  services: z.array(TrafficService),
})
export type Traffic = z.infer<typeof Traffic>
