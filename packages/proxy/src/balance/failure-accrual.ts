// Finagle's FailureAccrualFactory, "consecutive failures" policy: after N failures in a row an
// endpoint is ejected (marked dead) for a backoff; then one request is let through as a probe.
// A success revives it; a failure ejects it again for the next, longer, backoff.

/** Linkerd's `failureAccrual.backoff`. */
export type AccrualBackoff =
  | { readonly kind: 'constant'; readonly ms: number }
  | { readonly kind: 'jittered'; readonly minMs: number; readonly maxMs: number }

export interface FailureAccrualOptions {
  /** Failures in a row that eject an endpoint; default 5. */
  readonly consecutiveFailures: number
  /** How long an ejected endpoint rests before its probe; default jittered 5 s to 300 s. */
  readonly backoff: AccrualBackoff
}

export const DEFAULT_FAILURE_ACCRUAL: FailureAccrualOptions = Object.freeze({
  consecutiveFailures: 5,
  backoff: Object.freeze({ kind: 'jittered', minMs: 5000, maxMs: 300_000 }),
})

interface AccrualState {
  failures: number
  ejectedUntil: number
  probing: boolean
  /** Ejections since the endpoint was last live; picks the backoff step. */
  ejections: number
}

/**
 * The rest before the probe after ejection number `n` (0-based) in a row. `jittered` doubles
 * with each failed probe, between minMs and maxMs, drawn from the upper half of the step so
 * endpoints ejected together are not probed together: [min, 2·min], then [2·min, 4·min], ...
 */
export function ejectionMs(b: AccrualBackoff, n: number, random: () => number): number {
  if (b.kind === 'constant') return b.ms
  const step = Math.min(b.maxMs, b.minMs * 2 ** Math.min(n + 1, 40))
  const drawn = step / 2 + random() * (step / 2)
  return Math.round(Math.min(b.maxMs, Math.max(b.minMs, drawn)))
}

/** Records a success; returns true when it revives an ejected endpoint. */
export function accrueSuccess(s: AccrualState): boolean {
  s.failures = 0
  s.probing = false
  s.ejections = 0
  if (s.ejectedUntil === 0) return false
  s.ejectedUntil = 0
  return true
}

/** Records a failure; returns true when the endpoint is (re-)ejected by it. */
export function accrueFailure(
  s: AccrualState,
  opts: FailureAccrualOptions,
  now: number,
  random: () => number,
): boolean {
  s.failures++
  const probeFailed = s.probing
  s.probing = false
  if (probeFailed || (s.ejectedUntil === 0 && s.failures >= opts.consecutiveFailures)) {
    s.ejectedUntil = now + ejectionMs(opts.backoff, s.ejections, random)
    s.ejections++
    return true
  }
  return false
}
