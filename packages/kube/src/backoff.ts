// Jittered exponential backoff while the API server is away: each wait doubles up to a cap,
// and is drawn from [half, all] of it, so many clients restarted together do not retry in step.

export interface BackoffOptions {
  /** First wait, ms. Default 250. */
  readonly initialMs?: number
  /** Longest wait, ms. Default 10 000. */
  readonly maxMs?: number
  /** Random source in [0, 1); tests pin it. Default Math.random. */
  readonly random?: () => number
}

export class Backoff {
  private readonly initialMs: number
  private readonly maxMs: number
  private readonly random: () => number
  private nextMs: number

  constructor(options: BackoffOptions = {}) {
    this.initialMs = Math.max(1, options.initialMs ?? 250)
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? 10_000)
    this.random = options.random ?? Math.random
    this.nextMs = this.initialMs
  }

  /** The next wait, ms; the one after it is twice as long (up to the cap). */
  next(): number {
    const base = this.nextMs
    this.nextMs = Math.min(this.maxMs, base * 2)
    return Math.round(base / 2 + (base / 2) * this.random())
  }

  reset(): void {
    this.nextMs = this.initialMs
  }

  /** Waits the next delay; resolves early (to false) when `signal` aborts. */
  wait(signal: AbortSignal): Promise<boolean> {
    return sleep(this.next(), signal)
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      resolve(value)
    }
    const onAbort = () => done(false)
    const timer = setTimeout(() => done(true), ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
