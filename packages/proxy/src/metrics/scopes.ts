// Per-request counters live in plain objects: an increment on the request path is a field
// update, not a label hash. prom-client reads them when scraped (see registry.ts). Scopes are
// Linkerd 1's: per server, per logical service, per concrete client, under each router.
import { BoundedFamily } from '../bounded-family.js'
import { LatencyHistogram } from './latency.js'

export { OVERFLOW } from '../bounded-family.js'

/** Counters of one scope; `status` is indexed by the status class (1 to 5). */
export class ScopeStats {
  requests = 0
  success = 0
  failures = 0
  /** Responses by class, index 1 to 5 (1XX to 5XX); requests with no response are not here. */
  readonly status = [0, 0, 0, 0, 0, 0]
  retries = 0
  budgetExhausted = 0
  pending = 0
  readonly latency = new LatencyHistogram()

  /**
   * Linkerd's default classifier: a 5XX, or no response at all, is a failure; anything else
   * is a success. `failed`, when given, decides instead (a gRPC call: a grpc-status other
   * than 0 in its trailers fails under HTTP 200).
   */
  record(status: number | undefined, latencyMs: number, failed?: boolean): void {
    this.requests++
    this.latency.observe(latencyMs)
    if (failed ?? (status === undefined || status >= 500)) this.failures++
    else this.success++
    if (status !== undefined) {
      const cls = (status / 100) | 0
      if (cls >= 1 && cls <= 5) this.status[cls]!++
    }
  }
}

/** Scopes keyed by an id from requests, bounded (see BoundedFamily). */
export class ScopeFamily extends BoundedFamily<ScopeStats> {
  constructor() {
    super(() => new ScopeStats())
  }
}

/** How Linkerd writes an id in metric names and labels: without its leading `/`. */
export const metricId = (id: string): string => (id.startsWith('/') ? id.slice(1) : id)

/** What a router's routes cache (route/routes.ts) reports, read when scraped. */
export interface RouteCacheView {
  /** Routes cached. */
  readonly size: number
  /** Nodes of their bound trees. */
  readonly nodes: number
  /** Their estimated bytes, keys included. */
  readonly bytes: number
}

/** The scopes of one router. */
export class RouterStats {
  readonly servers = new ScopeFamily()
  readonly services = new ScopeFamily()
  readonly clients = new ScopeFamily()
  /** Set by the router to its routes cache. */
  routeCache: RouteCacheView | undefined
  constructor(readonly label: string) {}
}
