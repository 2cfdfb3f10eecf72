// Request latency in fixed buckets (milliseconds). Recording is a short scan over 14 bounds;
// quantiles are estimated from the buckets when read, like Prometheus' histogram_quantile.

export const LATENCY_BOUNDS_MS = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000,
] as const

export class LatencyHistogram {
  /** Counts per bucket; the last one is above every bound (+Inf). */
  readonly counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0)
  count = 0
  sum = 0
  min = Number.POSITIVE_INFINITY
  max = 0

  observe(ms: number): void {
    let i = 0
    while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++
    this.counts[i]!++
    this.count++
    this.sum += ms
    if (ms < this.min) this.min = ms
    if (ms > this.max) this.max = ms
  }

  /** The q-quantile (0..1), interpolated inside its bucket; 0 when nothing was recorded. */
  quantile(q: number): number {
    if (this.count === 0) return 0
    const rank = q * this.count
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!
      if (seen + c >= rank && c > 0) {
        const lo = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!
        const hi = i < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[i]! : this.max
        const value = lo + ((hi - lo) * (rank - seen)) / c
        return Math.min(Math.max(value, this.min), this.max)
      }
      seen += c
    }
    return this.max
  }
}
