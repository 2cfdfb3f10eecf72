// Errors the proxy answers itself, as Linkerd 1's ErrorResponder did: the status, the message
// URL-encoded in `l5d-err` (so any byte survives a header), the plain message as the body, and
// `l5d-retryable` when the request never reached a backend.
import type { ForwardResult } from '../forward/result.js'
import type { Transaction } from '../http1/server.js'

/** 400: unidentified or malformed; 502: no route or no connection; 503: timeout or no state yet. */
export type ProxyErrorStatus = 400 | 502 | 503

/** Linkerd truncated `l5d-err` to its header size limit; ours is 8 KiB like its default. */
const MAX_HEADER_CHARS = 8 * 1024
/** Linkerd's maxErrResponseKB: 5120. */
const MAX_BODY_BYTES = 5120 * 1024

/** Java's URLEncoder: `+` for a space, `%XX` for anything outside `A-Za-z0-9.-*_`. */
export function urlEncodeJava(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

/**
 * `encoded` cut to at most `max` characters, never inside a `%XX` escape nor inside the
 * escapes of one UTF-8 character, so what is left still decodes (URLDecoder and
 * decodeURIComponent refuse a lone `%`; decodeURIComponent half a character).
 */
export function truncateEncoded(encoded: string, max: number): string {
  if (encoded.length <= max) return encoded
  let end = max
  if (encoded.charCodeAt(end - 1) === 37) end -= 1
  else if (encoded.charCodeAt(end - 2) === 37) end -= 2
  // A UTF-8 character is at most four escapes: drop them one by one until the rest decodes.
  for (let i = 0; i < 4 && !decodes(encoded.slice(0, end)); i++) end -= 3
  return encoded.slice(0, end)
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text)
    return true
  } catch {
    return false
  }
}

export interface ErrorReply {
  readonly status: ProxyErrorStatus
  readonly message: string
  /** True when the request was never sent to a backend, so a client may safely retry. */
  readonly retryable?: boolean
  /** More headers for a client that may see them (routed-headers.ts); never with clear. */
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * Writes the error, unless the response is already under way (then the connection is cut).
 * With `clear` (a clearContext server), neither `l5d-err` nor the body is sent, as Linkerd's
 * ClearMiscServerFilter does: an untrusted client learns only the status.
 */
export function sendError(tx: Transaction, reply: ErrorReply, clear: boolean): void {
  if (clear) {
    tx.respond(reply.status, {}, undefined)
    return
  }
  let body = Buffer.from(reply.message, 'utf8')
  if (body.length > MAX_BODY_BYTES) body = body.subarray(0, MAX_BODY_BYTES)
  const headers: Record<string, string> = {
    'l5d-err': truncateEncoded(urlEncodeJava(reply.message), MAX_HEADER_CHARS),
    'content-type': 'text/plain; charset=utf-8',
  }
  if (reply.retryable !== undefined) headers['l5d-retryable'] = String(reply.retryable)
  if (reply.headers !== undefined) Object.assign(headers, reply.headers)
  tx.respond(reply.status, headers, body)
}

/** A bug met by one request: it answers that request, not every request on the node. */
export const INTERNAL_ERROR: ErrorReply = Object.freeze({
  status: 502,
  message: 'Internal proxy error',
  retryable: false,
})

/** The answer to a forward that failed before any of the response reached the client. */
export function forwardError(
  result: Extract<ForwardResult, { ok: false }>,
  service: string,
  client: string,
): ErrorReply {
  switch (result.kind) {
    case 'timeout':
      return {
        status: 503,
        message: `Request to ${service} timed out (${client}): ${result.message}`,
        retryable: false,
      }
    case 'no-endpoints':
      return {
        status: 502,
        message: `No hosts are available for ${service}, client ${client}`,
        retryable: true,
      }
    case 'connect':
      return {
        status: 502,
        message: `Cannot connect to ${client} for ${service}: ${result.message}`,
        retryable: true,
      }
    case 'bad-request':
      return { status: 400, message: result.message, retryable: false }
    default:
      return { status: 502, message: `${service} (${client}): ${result.message}`, retryable: false }
  }
}
