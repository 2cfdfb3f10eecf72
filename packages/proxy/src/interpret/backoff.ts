// Reconnect delays: jittered exponential, as Linkerd's namerd clients (Backoff.exponentialJittered
// from retry.baseSeconds to retry.maxSeconds), so a fleet of proxies does not reconnect in step.

export interface RetryConfig {
  readonly baseSeconds: number
  readonly maxSeconds: number
}

export const DEFAULT_RETRY: RetryConfig = { baseSeconds: 5, maxSeconds: 600 }

/** The delay before attempt `n` (0-based): uniform in [d/2, d] where d = min(max, base·2^n). */
export function backoffMs(
  retry: RetryConfig,
  attempt: number,
  random: () => number = Math.random,
): number {
  const d = Math.min(retry.maxSeconds, retry.baseSeconds * 2 ** Math.min(attempt, 30)) * 1000
  return d / 2 + random() * (d / 2)
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
