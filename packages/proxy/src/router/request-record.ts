// What one request leaves behind: its counts in the three scopes (server, service, client),
// their latency histograms, its access-log line, and the proxy's own answer when it has one.
// The router notes what it learns on the way (the service, the client it forwards to) and
// ends the record once, with how the request ended; everything is written there.
import type { Transaction } from '../http1/server.js'
import type { RouterStats, ScopeStats } from '../metrics/index.js'
import type { AccessLog } from './access-log.js'
import { type ErrorReply, sendError } from './error-response.js'

/** The response had begun when the request failed: the connection is cut, with no status. */
export const CUT = 'cut'
/** The client left: nothing to answer, no status. */
export const GONE = 'gone'

/**
 * How a request ended: the status of the backend's response the client got, an error the
 * proxy answers with (a cut when a response has begun), or no answer at all.
 */
export type Ending = number | ErrorReply | typeof CUT | typeof GONE

/** A forwarded request's attempts, counted in its service's scope. */
export interface Attempts {
  readonly retries: number
  readonly budgetExhausted: boolean
}

export class RequestRecord {
  private readonly start = performance.now()
  /** The service scope, once the request names one; the client scope once it is forwarded. */
  private service: ScopeStats | undefined
  private client: ScopeStats | undefined
  /** finish() has run. */
  done = false

  constructor(
    readonly tx: Transaction,
    /** A clearContext server: error answers carry only their status. */
    readonly clear: boolean,
    private readonly stats: RouterStats,
    private readonly server: ScopeStats,
    private readonly accessLog: AccessLog | undefined,
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
   * Ends the request: answers it when the ending is an error of the proxy's, then counts it
   * in every scope it reached, and logs it. Only the first call does anything.
   */
  finish(end: Ending, attempts?: Attempts): void {
    if (this.done) return
    this.done = true
    const tx = this.tx
    let status: number | undefined
    if (typeof end === 'number') status = end
    else if (end === CUT) tx.destroy()
    else if (end !== GONE) {
      sendError(tx, end, this.clear)
      status = end.status
    }
    const ms = performance.now() - this.start
    const service = this.service
    if (service !== undefined) {
      const client = this.client
      if (client !== undefined) {
        service.pending--
        client.pending--
        // The client scope counts what its endpoints answered, not the proxy's own errors.
        client.record(typeof end === 'number' ? end : undefined, ms)
      }
      if (attempts !== undefined) {
        service.retries += attempts.retries
        if (attempts.budgetExhausted) service.budgetExhausted++
      }
      service.record(status, ms)
    }
    this.server.pending--
    this.server.record(status, ms)
    this.accessLog?.write(tx, status, ms)
  }
}
