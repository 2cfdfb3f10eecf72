// RFC 9110 §7.6.1: headers meaningful for one connection only, never forwarded: Connection
// and every header it names, Keep-Alive, Proxy-Connection, TE (except `trailers`),
// Transfer-Encoding, Upgrade, Trailer, and the proxy credentials (§11.7).

export const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
] as const

type Headers = Record<string, string | string[] | number | undefined>

/**
 * Headers a `Connection` header may name but never removes: they frame and address the
 * message. Letting a client (or a backend) drop `Content-Length` this way would make the next
 * hop read the body as further messages: request smuggling.
 */
const NEVER_NAMED = new Set(['content-length', 'transfer-encoding', 'host'])

/**
 * Removes hop-by-hop headers from `headers` in place (lower-case names, as node and undici
 * give them). `TE: trailers` survives; with `keepUpgrade` (an upgrade request) so do Upgrade
 * and Connection. Returns `headers`.
 */
export function stripHopByHop<H extends Headers>(headers: H, keepUpgrade = false): H {
  const h = headers as Headers
  const connection = h.connection
  if (connection !== undefined) {
    for (const name of namedByConnection(connection)) {
      if (keepUpgrade && name === 'upgrade') continue
      if (Object.hasOwn(h, name)) delete h[name]
    }
  }
  for (const name of HOP_BY_HOP) {
    if (h[name] === undefined) continue
    if (name === 'te' && isTrailers(h.te)) continue
    if (keepUpgrade && (name === 'upgrade' || name === 'connection')) continue
    delete h[name]
  }
  return headers
}

const NONE: readonly string[] = Object.freeze([])

/**
 * The headers a Connection header names, lower-cased, less those it may not remove
 * (NEVER_NAMED). `keep-alive`, `close` or `upgrade` alone, the usual values, name nothing else
 * and cost no allocation.
 */
export function namedByConnection(connection: string | string[] | number): readonly string[] {
  const text = Array.isArray(connection) ? connection.join(',') : String(connection)
  if (!text.includes(',') && isPlainToken(text)) return NONE
  const names: string[] = []
  for (const t of text.split(',')) {
    const name = t.trim().toLowerCase()
    if (name !== '' && !NEVER_NAMED.has(name)) names.push(name)
  }
  return names
}

function isPlainToken(text: string): boolean {
  const v = text.trim().toLowerCase()
  return v === 'keep-alive' || v === 'close' || v === 'upgrade'
}

/** `TE: trailers`, the one TE value that is forwarded. */
export function isTrailers(te: Headers[string]): boolean {
  return typeof te === 'string' && te.trim().toLowerCase() === 'trailers'
}
