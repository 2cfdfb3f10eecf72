// Request latency in fixed buckets (milliseconds). Recording is a short scan over 14 bounds;
// quantiles are estimated from the buckets when read, like Prometheus' histogram_quantile. The
// bounds and the interpolation are wire's, the same namerd uses on the snapshot's buckets
// (rollouts), so both read one histogram alike.
import { LATENCY_BOUNDS_MS, quantileOfBuckets } from '@switchyard/wire'

export { LATENCY_BOUNDS_MS }

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

  /**
   * The q-quantile (0..1), interpolated inside its bucket; 0 when nothing was recorded. Kept
   * within the min and max seen, and the open last bucket answers the max (known here, unlike
   * from bucket counts alone).
   */
  quantile(q: number): number {
    const value = quantileOfBuckets(this.counts, LATENCY_BOUNDS_MS, q)
    if (value === null) return 0
    const last = LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!
    if (value >= last && this.max > last) return this.max
    return Math.min(Math.max(value, this.min), this.max)
  }
}
