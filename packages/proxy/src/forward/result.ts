// What became of a forwarded request, typed so the router answers as Linkerd's
// ErrorResponder did: no endpoints or connection failure → 502, timeout → 503.

export type ForwardErrorKind =
  /** The client has no endpoints (neg, failed, or an empty bound set). */
  | 'no-endpoints'
  /** No connection could be made (refused, unreachable, connect timeout). Never reached a backend. */
  | 'connect'
  /** Timeout or `l5d-ctx-deadline` expired before the response head. */
  | 'timeout'
  /** The backend closed or reset the connection after the request was sent. */
  | 'upstream-reset'
  /** The client went away first; nothing is left to answer. */
  | 'client-aborted'
  /** The request body did not parse (a malformed chunk) before any response: a 400. */
  | 'bad-request'

export type ForwardResult =
  | {
      readonly ok: true
      readonly status: number
      /** `ip:port` of the endpoint that answered. */
      readonly endpoint: string
      readonly retries: number
      /** A retry was wanted but the retry budget refused it. */
      readonly budgetExhausted: boolean
    }
  | {
      readonly ok: false
      readonly kind: ForwardErrorKind
      readonly message: string
      readonly endpoint?: string
      readonly retries: number
      readonly budgetExhausted: boolean
      /** True when the response head was already written (the client socket was destroyed). */
      readonly headersSent: boolean
    }

export type ForwardFailure = Extract<ForwardResult, { ok: false }>

export function failure(
  kind: ForwardErrorKind,
  message: string,
  endpoint: string | undefined,
  retries: number,
  headersSent: boolean,
  budgetExhausted = false,
): ForwardResult {
  return endpoint === undefined
    ? { ok: false, kind, message, retries, headersSent, budgetExhausted }
    : { ok: false, kind, message, endpoint, retries, headersSent, budgetExhausted }
}
