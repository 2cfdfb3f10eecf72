// What one request leaves behind: its counts in the three scopes (server, service, client),
// their latency histograms, its access-log line, and the proxy's own answer when it has one.
// The router notes what it learns on the way (the service, the client it forwards to) and
// ends the record once, with how the request ended; everything is written there.
import type { Transaction } from '../http1/server.js'
import type { RouterStats, ScopeStats } from '../metrics/index.js'
import type { AccessLog } from './access-log.js'
import { type ErrorReply, sendError } from './error-response.js'
import { type Attempts, ScopeTally } from './scope-tally.js'

/** The response had begun when the request failed: the connection is cut, with no status. */
export const CUT = 'cut'
/** The client left: nothing to answer, no status. */
export const GONE = 'gone'

/**
 * How a request ended: the status of the backend's response the client got, an error the
 * proxy answers with (a cut when a response has begun), or no answer at all.
 */
export type Ending = number | ErrorReply | typeof CUT | typeof GONE

export class RequestRecord extends ScopeTally {
  /** finish() has run. */
  done = false

  constructor(
    readonly tx: Transaction,
    /** A clearContext server: error answers carry only their status. */
    readonly clear: boolean,
    stats: RouterStats,
    server: ScopeStats,
    private readonly accessLog: AccessLog | undefined,
  ) {
    super(stats, server)
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
    const clientStatus = typeof end === 'number' ? end : undefined
    const ms = this.close({ status, clientStatus }, attempts)
    this.accessLog?.write(tx, status, ms)
  }
}
