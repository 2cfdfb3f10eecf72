// The two ways TLS goes wrong: a configuration that cannot be loaded (a start error naming the
// config key and the file, so the operator knows which line to fix) and a handshake that fails
// on one connection (a 502 whose message says what the peer's certificate is wrong about).
import type { PeerCertificate } from 'node:tls'

/** A TLS file that cannot be used: `key` is the config key (`routers[0].servers[1].tls.certPath`). */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError'
  readonly code = 'TLS_CONFIG'
  constructor(
    readonly key: string,
    /** The problem without the key: `cannot read /etc/x.pem: no such file`. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${key}: ${reason}`, options)
  }

  /** The same error under a longer key: `routers[0].` + `servers[1].tls.certPath`. */
  prefixed(prefix: string): TlsConfigError {
    return new TlsConfigError(`${prefix}${this.key}`, this.reason, { cause: this.cause })
  }
}

/** What describeTlsError can add when the caller knows it. */
export interface TlsErrorContext {
  /** The files of the CAs trusted, named when the peer's certificate is not signed by them. */
  readonly trustCerts?: readonly string[] | undefined
  /** Whether this side presented a client certificate (clientAuth). */
  readonly clientAuth?: boolean | undefined
  /**
   * The error came before the handshake finished (before 'secureConnect'): a reset or a broken
   * pipe then is the peer closing during the handshake, not a TLS-less network error.
   */
  readonly handshaking?: boolean | undefined
}

// What node reports when the peer resets or closes the socket under it.
const CLOSED = new Set(['ECONNRESET', 'EPIPE'])

// OpenSSL's verify codes (X509_V_ERR_*, as node names them) that mean "signed by a CA we do not
// trust" or "the chain cannot be built from what we trust".
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
])

// Alerts the server sends when it does not accept this side's client certificate.
const CLIENT_CERT_REQUIRED = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
])
const CLIENT_CERT_REFUSED = new Set([
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
  'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
])
// What a TLS client reads when the peer answers in plain text (an HTTP server, not TLS).
const NOT_TLS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_RECORD_LAYER_FAILURE',
  'ERR_SSL_UNKNOWN_PROTOCOL',
])
const NO_ALPN = new Set([
  'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
  'ERR_SSL_NO_APPLICATION_PROTOCOL',
])

interface ErrorFields {
  readonly code?: unknown
  readonly message?: unknown
  readonly reason?: unknown
  readonly host?: unknown
  readonly cert?: Partial<PeerCertificate>
}

/** The names a certificate is for: its subjectAltName entries, else its subject's CN. */
export function certificateNames(cert: Partial<PeerCertificate> | undefined): string[] {
  if (cert === undefined) return []
  const alt = typeof cert.subjectaltname === 'string' ? cert.subjectaltname : ''
  const names = alt
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => s.replace(/^DNS:/, '').replace(/^IP Address:/, ''))
  if (names.length > 0) return names
  const cn = cert.subject?.CN
  return typeof cn === 'string' ? [cn] : Array.isArray(cn) ? cn.map(String) : []
}

function isoDate(text: string): string {
  const d = new Date(text)
  return Number.isNaN(d.getTime()) ? text : d.toISOString()
}

function notAfter(cert: Partial<PeerCertificate> | undefined): string {
  const to = cert?.valid_to
  return typeof to === 'string' ? ` (not after ${isoDate(to)})` : ''
}

/**
 * A sentence naming what went wrong in a TLS handshake with `peer` (`host:port`), or undefined
 * when `err` is not a TLS error (a refused connection, a timeout: the caller words those).
 */
export function describeTlsError(
  err: unknown,
  peer: string,
  context: TlsErrorContext = {},
): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as ErrorFields
  const code = typeof e.code === 'string' ? e.code : ''
  const message = typeof e.message === 'string' ? e.message : String(err)
  if (code === 'CERT_HAS_EXPIRED') {
    return `the certificate of ${peer} has expired${notAfter(e.cert)}`
  }
  if (code === 'CERT_NOT_YET_VALID') {
    const from = e.cert?.valid_from
    return `the certificate of ${peer} is not valid yet${typeof from === 'string' ? ` (not before ${isoDate(from)})` : ''}`
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = certificateNames(e.cert)
    const host = typeof e.host === 'string' ? e.host : undefined
    const forWhat = names.length > 0 ? `is for ${names.join(', ')}` : 'names no host'
    return `the certificate of ${peer} ${forWhat}, not ${host ?? 'the name asked for'}`
  }
  if (UNTRUSTED.has(code)) {
    const trusted =
      context.trustCerts !== undefined && context.trustCerts.length > 0
        ? `trustCerts: ${context.trustCerts.join(', ')}`
        : "the system's CAs; set tls.trustCerts"
    return `the certificate of ${peer} is signed by a CA not trusted (${trusted})`
  }
  if (code === 'CERT_REVOKED') return `the certificate of ${peer} is revoked`
  if (CLIENT_CERT_REQUIRED.has(code)) {
    return `${peer} requires a client certificate${context.clientAuth === true ? '' : ' (set tls.clientAuth)'}`
  }
  if (CLIENT_CERT_REFUSED.has(code)) {
    return `${peer} refused this proxy's client certificate (${message.replace(/^.*alert /, 'alert ').trim()})`
  }
  if (NOT_TLS.has(code)) return `${peer} did not answer in TLS (is it serving plain text?)`
  if (NO_ALPN.has(code)) return `${peer} offers none of the protocols asked for (ALPN)`
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return `the TLS handshake with ${peer} timed out`
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_OSSL_')) {
    return `the TLS handshake with ${peer} failed: ${message}`
  }
  // Node's wording when the peer closes before the handshake finished: often a server refusing
  // this side's certificate in TLS 1.2, or not speaking TLS at all.
  if (
    message.includes('before secure TLS connection was established') ||
    (context.handshaking === true && CLOSED.has(code))
  ) {
    return `${peer} closed the connection during the TLS handshake`
  }
  return undefined
}
