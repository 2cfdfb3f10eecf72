// Finagle's FailureAccrualFactory, "consecutive failures" policy: after N failures in a row an
// endpoint is ejected (marked dead) for a jittered backoff; then one request is let through
// as a probe, and a success revives it while a failure ejects it again.

export interface FailureAccrualOptions {
  /** Failures in a row that eject an endpoint; default 5. */
  readonly consecutiveFailures: number
  /** How long an ejected endpoint rests before a probe; default 5000 ms, jittered ±20%. */
  readonly backoffMs: number
}

export const DEFAULT_FAILURE_ACCRUAL: FailureAccrualOptions = Object.freeze({
  consecutiveFailures: 5,
  backoffMs: 5000,
})

interface AccrualState {
  failures: number
  ejectedUntil: number
  probing: boolean
}

/** Jitter keeps endpoints ejected together from being probed together. */
export function jitteredBackoff(backoffMs: number, random: () => number): number {
  return Math.max(1, Math.round(backoffMs * (0.8 + 0.4 * random())))
}

/** Records a success; returns true when it revives an ejected endpoint. */
export function accrueSuccess(s: AccrualState): boolean {
  s.failures = 0
  s.probing = false
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
    s.ejectedUntil = now + jitteredBackoff(opts.backoffMs, random)
    return true
  }
  return false
}
