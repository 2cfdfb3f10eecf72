// The scope accounting one request or h2 stream shares with its router's metrics, whatever the
// protocol (router/request-record.ts for HTTP/1.1, h2/stream-record.ts for h2): in flight in the
// server scope from its start, in the service scope once it names one, in the client scope once
// it is forwarded; at its end counted once in each scope it reached, with one latency for all.
// The records extend it: the router calls named() and forwarding() on them as it learns.
import type { RouterStats, ScopeStats } from '../metrics/index.js'

/** A forwarded request's attempts, counted in its service's scope. */
export interface Attempts {
  readonly retries: number
  readonly budgetExhausted: boolean
}

/** How a request ended, for the scopes: `failed` overrides the 5xx rule (gRPC). */
export interface Outcome {
  /** The status the client got (undefined: none, the answer was cut or the client left). */
  readonly status: number | undefined
  readonly failed?: boolean | undefined
  /** What a backend answered, for the client scope (undefined: the proxy's own or none). */
  readonly clientStatus: number | undefined
  readonly clientFailed?: boolean | undefined
}

export class ScopeTally {
  private readonly start = performance.now()
  /** The service scope, once the request names one; the client scope once it is forwarded. */
  private service: ScopeStats | undefined
  private client: ScopeStats | undefined

  constructor(
    private readonly stats: RouterStats,
    private readonly server: ScopeStats,
  ) {
    server.pending++
  }

  /**
   * The request named `service` before it failed: its failure counts in that service's scope,
   * so a shift to a name that cannot be routed shows in the success rate a rollout reads.
   */
  named(service: string): void {
    this.service = this.stats.services.get(service)
  }

  /** The request goes to an endpoint of `client` for `service`: in flight in both scopes. */
  forwarding(service: string, client: string): void {
    const s = this.stats.services.get(service)
    const c = this.stats.clients.get(client)
    s.pending++
    c.pending++
    this.service = s
    this.client = c
  }

  /**
   * Counts the ending in every scope the request reached and returns its latency in ms (from
   * the start to now: call it once the answer is sent). The record's finish() calls it once.
   */
  protected close(outcome: Outcome, attempts?: Attempts): number {
    const ms = performance.now() - this.start
    const service = this.service
    if (service !== undefined) {
      const client = this.client
      if (client !== undefined) {
        service.pending--
        client.pending--
        // The client scope counts what its endpoints answered, not the proxy's own errors.
        client.record(outcome.clientStatus, ms, outcome.clientFailed)
      }
      if (attempts !== undefined) {
        service.retries += attempts.retries
        if (attempts.budgetExhausted) service.budgetExhausted++
      }
      service.record(outcome.status, ms, outcome.failed)
    }
    this.server.pending--
    this.server.record(outcome.status, ms, outcome.failed)
    return ms
  }
}
