// The proxy's `GET /admin/metrics/snapshot.json` (docs/design/rollouts.md §4): raw counters and
// latency bucket counts per concrete client, so namerd can take exact deltas over a window and a
// p99 from summed buckets. `instance` changes when the process restarts (counters reset).
import { z } from 'zod'

/** Upper bounds (ms) of the latency buckets; a last, open bucket follows. Shared by proxy and namerd. */
export const LATENCY_BOUNDS_MS = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
] as const

export const ClientSnapshot = z.strictObject({
  requests: z.int().nonnegative(),
  success: z.int().nonnegative(),
  failures: z.int().nonnegative(),
  /** Counts per bucket: LATENCY_BOUNDS_MS.length + 1 entries, the last for slower than the last bound. */
  buckets: z.array(z.int().nonnegative()),
})
export type ClientSnapshot = z.infer<typeof ClientSnapshot>

export const ProxySnapshot = z.strictObject({
  /** A random id per process: a new one means the counters restarted from zero. */
  instance: z.string(),
  startedAt: z.iso.datetime(),
  /** When the snapshot was taken. */
  at: z.iso.datetime(),
  bounds: z.array(z.number()),
  /** Keyed by the concrete client id as the proxy labels it (e.g. `/#/io.l5d.fs/world-v2`). */
  clients: z.record(z.string(), ClientSnapshot),
})
export type ProxySnapshot = z.infer<typeof ProxySnapshot>

/**
 * The q-quantile (0..1) of a histogram given as bucket counts over `bounds`, interpolated inside
 * its bucket like Prometheus' histogram_quantile; null when the counts are all zero. The open last
 * bucket answers its lower bound (we do not know how slow).
 */
export function quantileOfBuckets(
  counts: readonly number[],
  bounds: readonly number[],
  q: number,
): number | null {
  const total = counts.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  const rank = q * total
  let seen = 0
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0
    if (c > 0 && seen + c >= rank) {
      const lo = i === 0 ? 0 : (bounds[i - 1] ?? 0)
      if (i >= bounds.length) return lo
      const hi = bounds[i] ?? lo
      return lo + ((hi - lo) * (rank - seen)) / c
    }
    seen += c
  }
  return bounds[bounds.length - 1] ?? null
}
