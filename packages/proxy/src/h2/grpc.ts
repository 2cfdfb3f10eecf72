// What the h2 router knows of gRPC (grpc/grpc PROTOCOL-HTTP2.md): which requests are gRPC
// calls, their `grpc-timeout` (a deadline like l5d-ctx-deadline), how a call's outcome is
// classified (only grpc-status 0 succeeds), and the status codes and percent-encoded
// `grpc-message` of the errors the proxy answers itself.

/** gRPC's status codes that the proxy uses or reads (grpc/grpc doc/statuscodes.md). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus]

/**
 * A gRPC call: `content-type` is `application/grpc`, optionally with a `+format` suffix or
 * parameters (`application/grpc+proto`, `application/grpc; charset=...`). gRPC-Web
 * (`application/grpc-web`) carries its trailers in the body and is plain HTTP to the proxy.
 */
export function isGrpc(contentType: string | string[] | undefined): boolean {
  const v = Array.isArray(contentType) ? contentType[0] : contentType
  if (v === undefined || v.length < 16) return false
  if (v.slice(0, 16).toLowerCase() !== 'application/grpc') return false
  if (v.length === 16) return true
  const next = v.charCodeAt(16)
  // '+' (a format), ';' (parameters), or whitespace before parameters.
  return next === 43 || next === 59 || next === 32 || next === 9
}

// Each unit in nanoseconds: integers, so whole milliseconds convert without rounding errors.
const UNIT_NS: Readonly<Record<string, number>> = {
  H: 3_600_000_000_000,
  M: 60_000_000_000,
  S: 1_000_000_000,
  m: 1_000_000,
  u: 1000,
  n: 1,
}
const TIMEOUT = /^(\d{1,8})([HMSmun])$/

/**
 * `grpc-timeout` in milliseconds: `TimeoutValue TimeoutUnit`, at most 8 digits and one of
 * H M S m u n. Undefined when absent or malformed (a malformed one is ignored, as a
 * malformed l5d-ctx-deadline is: the router's own timeout still applies).
 */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (v === undefined) return undefined
  const m = TIMEOUT.exec(v)
  if (m === null) return undefined
  return (Number(m[1]) * UNIT_NS[m[2]!]!) / 1e6
}

/**
 * `ms` as a `grpc-timeout` value, in the finest unit whose value fits in 8 digits, rounded up
 * (as grpc-js does) so the next hop never gets less time than was meant; 0 or less is `0n`.
 */
export function formatGrpcTimeout(ms: number): string {
  if (!(ms > 0)) return '0n'
  const ns = ms * 1e6
  for (const unit of ['n', 'u', 'm', 'S', 'M', 'H'] as const) {
    const value = Math.ceil(ns / UNIT_NS[unit]!)
    if (value < 100_000_000) return `${value}${unit}`
  }
  return '99999999H'
}

/**
 * The outcome of a gRPC call for the metrics and failure accrual: failed unless its
 * grpc-status is 0. No grpc-status at all (a backend that answered without gRPC's trailers)
 * is gRPC's UNKNOWN: a failure.
 */
export function grpcFailed(grpcStatus: number | undefined): boolean {
  return grpcStatus !== GrpcStatus.OK
}

/** A header's grpc-status as a number, or undefined when absent or not a decimal integer. */
export function readGrpcStatus(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined
  return Number(v)
}

const HEX = '0123456789ABCDEF'

/**
 * `grpc-message` as the spec writes it: the UTF-8 bytes of `text`, each byte outside
 * printable ASCII (0x20 to 0x7E) and `%` itself as `%XX`.
 */
export function encodeGrpcMessage(text: string): string {
  let plain = true
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false
      break
    }
  }
  if (plain) return text
  let out = ''
  for (const b of Buffer.from(text, 'utf8')) {
    if (b >= 0x20 && b <= 0x7e && b !== 0x25) out += String.fromCharCode(b)
    else out += `%${HEX[b >> 4]}${HEX[b & 15]}`
  }
  return out
}

/**
 * The text of an encoded `grpc-message`. As the spec asks of receivers, a `%` not followed by
 * two hex digits is kept as written, and bytes that are not UTF-8 become U+FFFD, never an error.
 */
export function decodeGrpcMessage(encoded: string): string {
  if (!encoded.includes('%')) return encoded
  const bytes: number[] = []
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded.charCodeAt(i)
    if (c === 0x25 && i + 2 < encoded.length && isHex(encoded, i + 1) && isHex(encoded, i + 2)) {
      bytes.push(Number.parseInt(encoded.slice(i + 1, i + 3), 16))
      i += 2
    } else if (c < 0x80) bytes.push(c)
    else {
      // Not what a sender writes, but read as its UTF-8 bytes (a surrogate pair as one character).
      const cp = encoded.codePointAt(i)!
      if (cp > 0xffff) i++
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b)
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

function isHex(s: string, i: number): boolean {
  const c = s.charCodeAt(i)
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}

/** The most of an encoded message sent in one header: Linkerd's l5d-err limit, 8 KiB. */
export const MAX_GRPC_MESSAGE_CHARS = 8 * 1024
