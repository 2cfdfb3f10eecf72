// When an h2 request may be sent again (Linkerd's h2 rules): always when it never reached the
// backend (no session, REFUSED_STREAM, a GOAWAY that left it unprocessed), as long as the body
// read so far can be replayed; and a gRPC trailers-only answer only when the router's
// service.responseClassifier makes its status retryable (none by default, as Linkerd's h2
// router; response-classifier.ts) and the whole request body was read and is small enough to
// have been kept. Never once the response began.
import { constants } from 'node:http2'
import type { Outcome } from '../balance/client.js'

/** Request bodies up to this size are kept to be replayed; a larger one cannot be retried. */
export const MAX_REPLAY_BYTES = 64 * 1024

/** gRPC's UNAVAILABLE: the service could not take the call; safe to try elsewhere. */
export const GRPC_UNAVAILABLE = 14

/**
 * The request body as read from the client, kept while it fits in MAX_REPLAY_BYTES. Past it the
 * chunks are dropped at once (memory stays bounded) and the request can no longer be replayed.
 */
export class ReplayBody {
  private chunks_: Buffer[] = []
  private bytes_ = 0
  private overflowed = false
  /** The client ended its body (END_STREAM). */
  ended = false

  add(chunk: Buffer): void {
    if (this.overflowed) return
    this.bytes_ += chunk.length
    if (this.bytes_ > MAX_REPLAY_BYTES) {
      this.overflowed = true
      this.chunks_ = []
      return
    }
    this.chunks_.push(chunk)
  }

  /** What was read so far, to write again on a new stream; only while `intact`. */
  get chunks(): readonly Buffer[] {
    return this.chunks_
  }

  get bytes(): number {
    return this.bytes_
  }

  /** Everything read so far is kept: a request that never reached a backend may go again. */
  get intact(): boolean {
    return !this.overflowed
  }

  /** The whole body was read and kept: even a request a backend saw may be sent again. */
  get complete(): boolean {
    return this.ended && !this.overflowed
  }
}

/** A reset that says the backend did not process the stream (RFC 9113 §8.7). */
export function neverProcessed(rstCode: number): boolean {
  return rstCode === constants.NGHTTP2_REFUSED_STREAM
}

/**
 * gRPC codes that say the server, not the call, failed: they count against the endpoint for
 * failure accrual (an application's NOT_FOUND or INVALID_ARGUMENT does not). No grpc-status
 * at all is a broken answer and counts too.
 */
const SERVER_FAULTS = new Set([13, GRPC_UNAVAILABLE, 15])

/** How an answered stream counts for failure accrual. */
export function answerOutcome(
  status: number,
  grpc: boolean,
  grpcStatus: number | undefined,
): Outcome {
  if (status >= 500) return 'failure'
  if (grpc && (grpcStatus === undefined || SERVER_FAULTS.has(grpcStatus))) return 'failure'
  return 'success'
}

const CODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NO_ERROR',
  1: 'PROTOCOL_ERROR',
  2: 'INTERNAL_ERROR',
  3: 'FLOW_CONTROL_ERROR',
  4: 'SETTINGS_TIMEOUT',
  5: 'STREAM_CLOSED',
  6: 'FRAME_SIZE_ERROR',
  7: 'REFUSED_STREAM',
  8: 'CANCEL',
  9: 'COMPRESSION_ERROR',
  10: 'CONNECT_ERROR',
  11: 'ENHANCE_YOUR_CALM',
  12: 'INADEQUATE_SECURITY',
  13: 'HTTP_1_1_REQUIRED',
}

/** An HTTP/2 error code as RFC 9113 names it, for messages. */
export function h2CodeName(code: number): string {
  return CODE_NAMES[code] ?? `error code ${code}`
}
