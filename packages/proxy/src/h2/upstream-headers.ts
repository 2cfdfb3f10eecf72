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
