// Which undici errors mean "never reached a backend" (safe to send elsewhere) and which mean
// the backend hung up on a request it received.

export interface Classified {
  readonly kind: 'connect' | 'upstream-reset'
  /** May an idempotent request without a body be sent again? */
  readonly retryable: boolean
}

const CONNECT: Classified = Object.freeze({ kind: 'connect', retryable: true })
const STALE: Classified = Object.freeze({ kind: 'upstream-reset', retryable: true })
const RESET: Classified = Object.freeze({ kind: 'upstream-reset', retryable: false })

/** Errors of a connection that closed before answering anything. */
const CLOSED_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED'])

/**
 * `written`: undici had started writing the request on a connection. Before that, any error
 * is a connection (or pool) failure. After it, a connection closed before any response byte
 * is a keep-alive race (the backend closed an idle connection as we reused it), which
 * RFC 9110 §9.2.2 lets us retry for idempotent requests; anything else is final.
 */
export function classify(err: Error, written: boolean, responseStarted: boolean): Classified {
  if (!written) return CONNECT
  const code = (err as { code?: unknown }).code
  if (!responseStarted && typeof code === 'string' && CLOSED_CODES.has(code)) return STALE
  return RESET
}

export function errorMessage(err: Error): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && !err.message.includes(code)
    ? `${err.message} (${code})`
    : err.message
}
