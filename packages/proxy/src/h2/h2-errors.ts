// The errors an h2 router answers itself. A plain HTTP/2 request gets what an HTTP/1.1 one gets
// (router/error-response.ts: the status, `l5d-err`, `l5d-retryable`, the message as the body).
// A gRPC call gets a gRPC error, which its client library can read: a trailers-only response
// (`:status 200`, `content-type: application/grpc`, `grpc-status`, `grpc-message`), with
// `l5d-err` too. The status codes, chosen after gRPC's own HTTP-to-gRPC mapping and Linkerd's
// h2 router:
//
//   400 (unidentified, a malformed override, a routing loop)    INVALID_ARGUMENT (3)
//   502 (no route, no endpoints, cannot connect, TLS failure)   UNAVAILABLE (14)
//   503 waiting for namerd's first dtab (retryable)             UNAVAILABLE (14)
//   503 the deadline spent (not retryable)                      DEADLINE_EXCEEDED (4)
//   the backend's connection lost before answering              UNAVAILABLE (14)
//   the backend reset the stream before answering               after its reset code (below)
//   431 a header list over the server's maxHeaderListBytes      RESOURCE_EXHAUSTED (8)
//   a bug in the proxy                                          INTERNAL (13)
//
// On a clearContext server neither `l5d-err` nor the body nor `grpc-message` is sent: an
// untrusted client learns only the status (Linkerd's ClearMiscServerFilter).
import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2'
import {
  type ErrorReply,
  type ProxyErrorStatus,
  truncateEncoded,
  urlEncodeJava,
} from '../router/error-response.js'
import type { H2ForwardResult } from './forward-types.js'
import {
  encodeGrpcMessage,
  GrpcStatus,
  type GrpcStatusCode,
  MAX_GRPC_MESSAGE_CHARS,
} from './grpc.js'

/**
 * An error the h2 router answers: HTTP's reply (and 431 for a header list over the server's
 * maxHeaderListBytes, RFC 9113 §10.5.1), and the gRPC status for a gRPC call.
 */
export interface H2ErrorReply extends Omit<ErrorReply, 'status'> {
  readonly status: ProxyErrorStatus | 431
  readonly grpcStatus: GrpcStatusCode
}

/** A header list over the server's maxHeaderListBytes. */
export function headersTooLarge(bytes: number, limit: number): H2ErrorReply {
  return {
    status: 431,
    message: `The request's header list is ${bytes} bytes, over this server's maxHeaderListBytes (${limit})`,
    retryable: false,
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
  }
}

const MAX_HEADER_CHARS = 8 * 1024
const MAX_BODY_BYTES = 5120 * 1024

/** The gRPC status of an error the route decision (route-decider.ts) answered with. */
export function grpcStatusOf(reply: ErrorReply): GrpcStatusCode {
  if (reply.status === 400) return GrpcStatus.INVALID_ARGUMENT
  // route-decider's timedOut: the deadline was spent waiting for addresses.
  if (reply.status === 503 && reply.retryable === false) return GrpcStatus.DEADLINE_EXCEEDED
  return GrpcStatus.UNAVAILABLE
}

/** A route decision's error with its gRPC status. */
export const h2Reply = (reply: ErrorReply): H2ErrorReply => ({
  ...reply,
  grpcStatus: grpcStatusOf(reply),
})

/** A bug met by one stream: it answers that stream, not every stream on the node. */
export const H2_INTERNAL_ERROR: H2ErrorReply = Object.freeze({
  status: 502,
  message: 'Internal proxy error',
  retryable: false,
  grpcStatus: GrpcStatus.INTERNAL,
})

/**
 * gRPC's reading of a reset code (PROTOCOL-HTTP2.md, "Errors"): REFUSED_STREAM was never
 * processed (UNAVAILABLE), CANCEL is CANCELLED, ENHANCE_YOUR_CALM is RESOURCE_EXHAUSTED, the
 * rest INTERNAL.
 */
export function grpcStatusOfReset(rstCode: number | undefined): GrpcStatusCode {
  switch (rstCode) {
    case constants.NGHTTP2_REFUSED_STREAM:
      return GrpcStatus.UNAVAILABLE
    case constants.NGHTTP2_CANCEL:
      return GrpcStatus.CANCELLED
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return GrpcStatus.RESOURCE_EXHAUSTED
    default:
      return GrpcStatus.INTERNAL
  }
}

/** The answer to a forward that failed before any of the response reached the client. */
export function h2ForwardError(
  result: Extract<H2ForwardResult, { ok: false }>,
  service: string,
  client: string,
): H2ErrorReply {
  const reply = (
    status: ProxyErrorStatus,
    message: string,
    retryable: boolean,
    grpcStatus: GrpcStatusCode,
  ): H2ErrorReply => ({ status, message, retryable, grpcStatus })
  switch (result.kind) {
    case 'timeout':
      return reply(
        503,
        `Request to ${service} timed out (${client}): ${result.message}`,
        false,
        GrpcStatus.DEADLINE_EXCEEDED,
      )
    case 'no-endpoints':
      return reply(
        502,
        `No hosts are available for ${service}, client ${client}`,
        true,
        GrpcStatus.UNAVAILABLE,
      )
    case 'connect':
      return reply(
        502,
        `Cannot connect to ${client} for ${service}: ${result.message}`,
        true,
        GrpcStatus.UNAVAILABLE,
      )
    case 'tls':
      // Worded as HTTP/1.1's 502 for a TLS failure (router/error-response.ts forwardError).
      return reply(
        502,
        `Cannot connect to ${client} for ${service}: ${result.message}`,
        true,
        GrpcStatus.UNAVAILABLE,
      )
    case 'upstream-reset':
      // No rstCode: the connection was lost before any answer, which gRPC (and grpc-js with no
      // proxy between) reads as UNAVAILABLE; a reset is read by its code.
      return reply(
        502,
        `${service} (${client}): ${result.message}`,
        false,
        result.rstCode === undefined ? GrpcStatus.UNAVAILABLE : grpcStatusOfReset(result.rstCode),
      )
    default:
      return reply(502, `${service} (${client}): ${result.message}`, false, GrpcStatus.INTERNAL)
  }
}

/**
 * Answers `reply` on `stream`, as gRPC when `grpc`. The request's body is not wanted: it is
 * read and dropped, and once the answer is written the stream is closed (RST_STREAM NO_ERROR,
 * RFC 9113 §8.1) so a client still sending stops. Returns the body's bytes (for the access
 * log), undefined when nothing could be answered.
 */
export function sendH2Error(
  stream: ServerHttp2Stream,
  reply: H2ErrorReply,
  grpc: boolean,
  clear: boolean,
  extra?: Readonly<Record<string, string>>,
): number | undefined {
  if (stream.destroyed || stream.headersSent) {
    if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR)
    return undefined
  }
  stream.resume()
  const done = () => {
    if (!stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR)
  }
  const headers: OutgoingHttpHeaders = {}
  if (!clear) {
    headers['l5d-err'] = truncateEncoded(urlEncodeJava(reply.message), MAX_HEADER_CHARS)
    if (reply.retryable !== undefined) headers['l5d-retryable'] = String(reply.retryable)
    if (reply.headers !== undefined) Object.assign(headers, reply.headers)
    if (extra !== undefined) Object.assign(headers, extra)
  }
  try {
    if (grpc) {
      headers[':status'] = 200
      headers['content-type'] = 'application/grpc'
      headers['grpc-status'] = String(reply.grpcStatus)
      if (!clear) {
        headers['grpc-message'] = truncateEncoded(
          encodeGrpcMessage(reply.message),
          MAX_GRPC_MESSAGE_CHARS,
        )
      }
      // Trailers-only: one HEADERS frame with END_STREAM. The reset that may follow is queued
      // behind it, so the client reads the status first.
      stream.respond(headers, { endStream: true })
      setImmediate(done)
      return 0
    }
    headers[':status'] = reply.status
    if (clear) {
      stream.respond(headers, { endStream: true })
      setImmediate(done)
      return 0
    }
    headers['content-type'] = 'text/plain; charset=utf-8'
    let body = Buffer.from(reply.message, 'utf8')
    if (body.length > MAX_BODY_BYTES) body = body.subarray(0, MAX_BODY_BYTES)
    stream.respond(headers)
    stream.end(body, done)
    return body.length
  } catch {
    // The stream closed under us (the client reset it): nothing left to answer.
    if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR)
    return undefined
  }
}
