// What a differential case found: violations of the property, named by class so that a long
// run can tell a new class from one more example of a known one.

export type ViolationKind =
  /** The backend saw a request (or a head) that llhttp, reading the client's bytes, never saw. */
  | 'extra-request'
  /** The backend saw a request whose method, target, Host or headers differ from llhttp's. */
  | 'head-differs'
  /** A body reached the backend different from, or ended elsewhere than, llhttp's. */
  | 'body-differs'
  /** The proxy forwarded bytes that break RFC 9112 (it passed on what it should refuse). */
  | 'forwarded-invalid'
  /** The proxy sent the client bytes that break RFC 9112 or its own framing rules. */
  | 'sent-invalid'
  /** Responses at the client that do not match the requests the backend answered. */
  | 'response-mismatch'
  /** llhttp framed a request the proxy neither forwarded nor refused: it waits for bytes. */
  | 'stalled'
  /** The proxy closed the connection on a request without answering it. */
  | 'closed-without-status'
  /** Input invalid to both llhttp and the RFC, and the proxy waits instead of refusing it. */
  | 'waits-on-invalid'
  /** A response differs from what node:http's client reads from the same backend bytes. */
  | 'response-differs'
  /** A response to a later request carries bytes from an earlier one. */
  | 'response-leaked'
  /** A message built from valid RFC 9112 parts only, and the proxy refused it. */
  | 'valid-refused'

export interface Violation {
  readonly kind: ViolationKind
  /** What separates this class from others of its kind: an llhttp code, an RFC rule. */
  readonly key: string
  readonly detail: string
}

/** The class a violation belongs to. */
export const classOf = (v: Violation): string => `${v.kind}:${v.key}`

export class CaseFailure extends Error {
  constructor(readonly violations: readonly Violation[]) {
    super(violations.map((v) => `[${classOf(v)}] ${v.detail}`).join('\n'))
  }
}

/** Bytes as a readable JS string literal (CR, LF, NUL and the like escaped). */
export function showBytes(b: Buffer | string, max = 600): string {
  const s = typeof b === 'string' ? b : b.toString('latin1')
  const cut = s.length > max ? `${s.slice(0, max)}…` : s
  return JSON.stringify(cut)
}
