// The headers of an h2 stream on their way through the proxy: what the route decision reads of
// a request (its RequestLike), the headers the request leaves with (namerd-wire.md §4, the same
// rules as HTTP/1.1's outbound-headers.ts), and what clearContext and an override do to the
// response's headers and trailers (routed-headers.ts).
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2'
import { isTrailers } from '../forward/hop-by-hop.js'
import { type HeaderMap, newHeaderMap } from '../http1/head.js'
import type { RequestLike } from '../identify/index.js'
import type { Destination } from '../router/outbound-headers.js'
import { addDestination, clearL5d } from '../router/outbound-headers.js'
import { type Routed, routedHeaders } from '../router/routed-headers.js'

/** The request as identifiers and the route decision read it. */
export interface H2Request extends RequestLike {
  readonly method: string
  readonly url: string
  readonly httpVersion: '2.0'
  /** Every field (pseudo-headers included) by lower-case name; RouteDecider may edit it. */
  readonly headers: HeaderMap
}

/**
 * A copy of the stream's headers the router can edit (clearContext removes from it), with
 * `:authority` filled from `host` when the client sent only that (RFC 9113 §8.3.1 allows
 * either; identifiers on `:authority` then still see the name).
 */
export function h2Request(incoming: IncomingHttpHeaders): H2Request {
  const headers = newHeaderMap()
  for (const name of Object.keys(incoming)) {
    const v = incoming[name]
    if (v !== undefined) headers[name] = v
  }
  if (headers[':authority'] === undefined && headers.host !== undefined) {
    const host = headers.host
    headers[':authority'] = Array.isArray(host) ? host[0] : host
  }
  const method = headers[':method']
  const path = headers[':path']
  return {
    method: typeof method === 'string' ? method : 'GET',
    url: typeof path === 'string' ? path : '/',
    httpVersion: '2.0',
    headers,
  }
}

/**
 * The header list's size as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 §6.5.2: each
 * field's name and value octets plus 32). nghttp2 announces the limit but does not enforce it
 * on what it receives, so the router does. Node gives header values as latin1 strings: one
 * character per octet.
 */
export function headerListBytes(incoming: IncomingHttpHeaders): number {
  let n = 0
  for (const name of Object.keys(incoming)) {
    const v = incoming[name]
    if (v === undefined) continue
    if (Array.isArray(v)) for (const one of v) n += name.length + one.length + 32
    else n += name.length + String(v).length + 32
  }
  return n
}

/**
 * Connection-specific fields (RFC 9113 §8.2.2) a client should not send on h2 and node will not
 * send on: never forwarded. `te` goes on only as `trailers` (gRPC requires it).
 */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
])

/** Request fields the router writes its own of (namerd-wire.md §4), or consumes. */
const REPLACED: ReadonlySet<string> = new Set([
  'via',
  'l5d-dtab',
  'l5d-ctx-dtab',
  'l5d-dst-service',
  'l5d-dst-client',
  'l5d-dst-residual',
  'l5d-reqid',
])

/** This hop in `Via`, as RFC 9110 §7.6.3 names an HTTP/2 hop. */
export const H2_VIA = '2 switchyard'

/**
 * The headers the request leaves with: `:method`, `:path` (the identifier's rewrite, when it
 * made one), `:authority` and `:scheme` as the client sent them, every other field but the
 * connection-specific ones, then the proxy's own: l5d-ctx-dtab, l5d-dst-*, l5d-reqid and Via.
 * The forwarder adds the deadline (l5d-ctx-deadline, grpc-timeout).
 */
export function h2OutboundHeaders(
  req: H2Request,
  path: string,
  dst: Destination,
): OutgoingHttpHeaders {
  const inbound = req.headers
  const out: OutgoingHttpHeaders = {
    ':method': req.method,
    ':path': path,
    ':scheme': typeof inbound[':scheme'] === 'string' ? inbound[':scheme'] : 'http',
  }
  const authority = inbound[':authority']
  if (typeof authority === 'string') out[':authority'] = authority
  for (const name in inbound) {
    if (name.charCodeAt(0) === 58 /* ':' */) continue
    const value = inbound[name]
    if (value === undefined || CONNECTION_SPECIFIC.has(name) || REPLACED.has(name)) continue
    if (name === 'te' && !isTrailers(value)) continue
    out[name] = value
  }
  addDestination(out, inbound.via, dst, H2_VIA)
  return out
}

/** An edit of response headers or trailers before they reach the client. */
export type HeadersEdit = (headers: IncomingHttpHeaders) => void

/** clearContext: no `l5d-*` field reaches an untrusted client, in headers or trailers. */
export const clearH2Context: HeadersEdit = (headers) => clearL5d(headers)

/**
 * For a request that carried an override: the response names where this hop sent it, in place
 * of any `l5d-dst-*` the backend sent (routed-headers.ts says why).
 */
export function showRoutedH2(r: Routed): HeadersEdit {
  const own = routedHeaders(r)
  return (headers) => {
    const status = headers[':status']
    if (typeof status === 'number' && status < 200) return
    for (const name of Object.keys(headers)) {
      if (name.startsWith('l5d-dst-')) delete headers[name]
    }
    Object.assign(headers, own)
  }
}
