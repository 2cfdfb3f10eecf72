// What goes between the backend's stream and the client's: the response head without the
// backend's pseudo-headers (but :status) and without connection-specific fields (RFC 9113
// §8.2.2: node refuses to send them, and a backend that sent them was malformed anyway); trailers
// likewise.
import type { OutgoingHttpHeaders } from 'node:http2'
import type { H2Headers } from './forward-types.js'

const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
])

/** The response head for the client: `:status` and the fields that may pass. */
export function responseHead(headers: H2Headers): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const name of Object.keys(headers)) {
    if (name.charCodeAt(0) === 58 /* : */ ? name !== ':status' : CONNECTION_SPECIFIC.has(name))
      continue
    out[name] = headers[name]
  }
  return out
}

/** Trailers for the client: no pseudo-headers, nothing connection-specific. */
export function trailerFields(trailers: H2Headers): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const name of Object.keys(trailers)) {
    if (name.charCodeAt(0) === 58 || CONNECTION_SPECIFIC.has(name)) continue
    out[name] = trailers[name]
  }
  return out
}

/**
 * The most header bytes (a response head, or trailers) this proxy takes from a backend to send
 * on: what node's server can send in one header block (H2Server sets maxSendHeaderBlockLength
 * above it), counted as HTTP/2 counts a header list (name + value + 32 per field), which is
 * never less than the block HPACK makes of it. A larger one would not be refused on its stream
 * alone: node closes the client's whole connection (F10).
 */
export const MAX_FORWARDED_HEADER_BYTES = 64_000

/**
 * What an upstream session takes in (its SETTINGS_MAX_HEADER_LIST_SIZE, and its
 * SETTINGS_MAX_FRAME_SIZE so such a head comes in one HEADERS frame): more than it can send on,
 * so a head too large is received whole and refused with its size named, on its stream only.
 * Past it node resets the stream (ENHANCE_YOUR_CALM); a head in many CONTINUATION frames
 * would make nghttp2 end the whole session (its flood limit).
 */
export const UPSTREAM_MAX_HEADER_BYTES = 1024 * 1024

/** The size of a header list as HTTP/2 counts it (RFC 9113 §6.5.2). */
export function headerBytes(headers: OutgoingHttpHeaders): number {
  let n = 0
  for (const name of Object.keys(headers)) {
    const v = headers[name]
    if (v === undefined) continue
    if (Array.isArray(v)) for (const one of v) n += name.length + one.length + 32
    else n += name.length + String(v).length + 32
  }
  return n
}
