// Removes the headers no hop passes on (RFC 9110 §7.6.1): the hop-by-hop ones of
// http1/header-roles.ts and every header the message's Connection names.
import { connectionTokens, HOP_BY_HOP } from '../http1/header-roles.js'

type Headers = Record<string, string | string[] | number | undefined>

/**
 * Removes hop-by-hop headers from `headers` in place (lower-case names, as the proxy's parser
 * gives them). `TE: trailers` survives; with `keepUpgrade` (an upgrade request) so do Upgrade
 * and Connection. Returns `headers`.
 */
export function stripHopByHop<H extends Headers>(headers: H, keepUpgrade = false): H {
  const h = headers as Headers
  const connection = h.connection
  if (connection !== undefined) {
    const { named } = connectionTokens(
      typeof connection === 'number' ? String(connection) : connection,
    )
    for (const name of named) {
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

/** `TE: trailers`, the one TE value that is forwarded. */
export function isTrailers(te: Headers[string]): boolean {
  return typeof te === 'string' && te.trim().toLowerCase() === 'trailers'
}
