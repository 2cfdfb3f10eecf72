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
