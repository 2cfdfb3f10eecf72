// What goes between the backend's stream and the client's: the response head without the
// backend's pseudo-headers (but :status) and without connection-specific fields (RFC 9113
// §8.2.2: node refuses to send them, and a backend that sent them was malformed anyway); trailers
// likewise; and the grpc-timeout written on for the next hop.
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

const UNITS = [
  ['n', 0.000_001],
  ['u', 0.001],
  ['m', 1],
  ['S', 1000],
  ['M', 60_000],
  ['H', 3_600_000],
] as const

/**
 * `ms` as a grpc-timeout (`<at most 8 digits><unit>`), in the finest unit that fits, rounded up
 * so the next hop never gets less time than is left. (A private copy: h2/grpc.ts has the
 * router's parser and formatter.)
 */
export function grpcTimeout(ms: number): string {
  if (!(ms > 0)) return '0n'
  for (const [unit, size] of UNITS) {
    const value = Math.ceil(ms / size)
    if (value < 100_000_000) return `${value}${unit}`
  }
  return '99999999H'
}

/** A header's grpc-status as a number; undefined when absent or not a decimal integer. */
export function grpcStatusOf(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined
  return Number(v)
}
