// What one h2 stream leaves behind, as router/request-record.ts for an HTTP/1.1 request: its
// counts in the three scopes (server, service, client) and their latency histograms, its
// access-log line, and the proxy's own answer when it has one. For a gRPC call the outcome is
// its grpc-status (only 0 succeeds, grpc.ts), so a call answered `:status 200` with
// `grpc-status: 14` counts as a failure, in the metrics and so for rollouts.
import { constants, type ServerHttp2Stream } from 'node:http2'
import type { RouterStats, ScopeStats } from '../metrics/index.js'
import type { AccessLog } from '../router/access-log.js'
import { type Attempts, ScopeTally } from '../router/scope-tally.js'
import { grpcFailed } from './grpc.js'
import { type H2ErrorReply, sendH2Error } from './h2-errors.js'
import type { H2Request } from './h2-headers.js'

/** The response had begun when the stream failed: it was reset, with no status of its own. */
export const CUT = 'cut'
/** The client left (reset its stream, or its connection went): nothing to answer. */
export const GONE = 'gone'

/** A response that reached the client from a backend. */
export interface Answered {
  readonly status: number
  /** For a gRPC call: the grpc-status of its trailers (undefined: none came). */
  readonly grpcStatus: number | undefined
}

/** How a stream ended: a backend's answer, an error of the proxy's, a cut, or no answer. */
export type StreamEnding = Answered | H2ErrorReply | typeof CUT | typeof GONE

export class StreamRecord extends ScopeTally {
  /** finish() has run. */
  done = false

  constructor(
    readonly stream: ServerHttp2Stream,
    readonly req: H2Request,
    /** A gRPC call (content-type application/grpc...). */
    readonly grpc: boolean,
    /** A clearContext server: error answers carry only their status. */
    readonly clear: boolean,
    private readonly remoteAddress: string | undefined,
    stats: RouterStats,
    server: ScopeStats,
    private readonly accessLog: AccessLog | undefined,
  ) {
    super(stats, server)
  }

  /**
   * Ends the stream's record: answers it when the ending is an error of the proxy's, counts it
   * in every scope it reached, and logs it. Only the first call does anything.
   */
  finish(
    end: StreamEnding,
    attempts?: Attempts & { readonly bodyBytes?: number },
    extraHeaders?: Record<string, string>,
  ): void {
    if (this.done) return
    this.done = true
    let status: number | undefined
    let failed: boolean | undefined
    // The response body's bytes sent: the forwarder's count, or the proxy's own answer's.
    let size = this.stream.headersSent ? attempts?.bodyBytes : undefined
    // The client scope counts what its endpoints answered, not the proxy's own errors.
    let answered: Answered | undefined
    if (end === CUT) {
      if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_INTERNAL_ERROR)
    } else if (end === GONE) {
      // Nothing to say: the stream is gone or going.
    } else if ('message' in end) {
      size = sendH2Error(this.stream, end, this.grpc, this.clear, extraHeaders)
      // What the client saw: a gRPC error is a 200 whose grpc-status fails.
      status = this.grpc ? 200 : end.status
      // HTTP's 5xx rule otherwise, as on HTTP/1.1 (a 400 is the client's mistake).
      if (this.grpc) failed = true
    } else {
      answered = end
      status = end.status
      if (this.grpc) failed = grpcFailed(end.grpcStatus)
    }
    const ms = this.close(
      {
        status,
        failed,
        clientStatus: answered?.status,
        clientFailed:
          answered !== undefined && this.grpc ? grpcFailed(answered.grpcStatus) : undefined,
      },
      attempts,
    )
    this.accessLog?.writeH2(this.remoteAddress, this.req, status, size, ms)
  }
}
