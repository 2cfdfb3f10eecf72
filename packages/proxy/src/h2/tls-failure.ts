// A connect failure that was the TLS handshake's, in words (tls/tls-errors.ts), so the router's
// answer names it (expired, wrong name, unknown CA) instead of "cannot connect". A session to a
// backend that does not offer h2 by ALPN is a TLS-level mismatch too and is said so.
import { describeTlsError } from '../tls/tls-errors.js'
import type { H2ClientTls } from './session-pool.js'

/**
 * The handshake failure of a session to `peer`, or undefined when `err` was not one; worded by
 * the client's TLS when it can (it names its trusted CA files).
 */
export function tlsFailure(err: unknown, peer: string, tls?: H2ClientTls): string | undefined {
  const described = tls?.describe?.(err, peer) ?? describeTlsError(err, peer)
  if (described !== undefined) return described
  if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'ERR_HTTP2_ERROR') {
    const message = 'message' in err && typeof err.message === 'string' ? err.message : ''
    if (/h2 is not supported/i.test(message)) return `${peer} does not offer h2 by ALPN`
  }
  return undefined
}

const DATED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'])

/**
 * tlsFailure, with the dates of a certificate out of its validity (read with one more,
 * unverified, handshake to `host:port`, ClientTls.describeWithDates), as HTTP/1.1's 502 has them.
 */
export async function tlsFailureWithDates(
  err: unknown,
  host: string,
  port: number,
  peer: string,
  tls?: H2ClientTls,
): Promise<string | undefined> {
  const code = (err as { code?: unknown } | null)?.code
  if (tls?.describeWithDates !== undefined && typeof code === 'string' && DATED.has(code)) {
    const said = await tls.describeWithDates(err, host, port, peer)
    if (said !== undefined) return said
  }
  return tlsFailure(err, peer, tls)
}
