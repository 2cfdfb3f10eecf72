// What each version did over a window, from the proxies' snapshot rings (docs/design/rollouts.md
// §4). Pure, so the restart and reset rules are table-tested. Per proxy and per process instance:
// the last snapshot at or before the window's end minus the FIRST one at or after its start,
// never an older one: a window counts only traffic inside it (a step's numbers must not hold the
// smoke requests or the last scrape interval of the step before). The controller asks the
// source for a snapshot as soon as a window starts (MetricsSource.mark), so little is lost at
// its head. An instance that began after the start counts from zero (it started inside the
// window); a proxy that stopped watching counts up to its last snapshot. A counter that went
// down within one instance (it should not) counts as reset, like Prometheus' increase(): never
// a negative delta. Rates are over the time the snapshots actually cover.
import {
  type ClientSnapshot,
  LATENCY_BOUNDS_MS,
  type ProxySnapshot,
  quantileOfBuckets,
  type VersionStats,
} from '@switchyard/wire'
import type { VersionIds, WindowReading } from './source.js'

/**
 * One snapshot as the scraper got it; `at` is namerd's own clock when the request was SENT, so
 * the counters were taken no earlier than `at` (a baseline at or after a window's start holds
 * nothing from before it).
 */
export interface Sample {
  readonly at: Date
  readonly snapshot: ProxySnapshot
}

/** A proxy's snapshots, oldest first. */
export interface ProxyRing {
  readonly admin: string
  readonly samples: readonly Sample[]
}

interface Counts {
  requests: number
  success: number
  failures: number
  buckets: number[]
}

const zero = (): Counts => ({
  requests: 0,
  success: 0,
  failures: 0,
  buckets: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
})

/** `/%/io.l5d.port/4141/#/io.l5d.fs/x` → `/#/io.l5d.fs/x`, as namerd strips transformer prefixes. */
export function stripTransformer(id: string): string {
  if (!id.startsWith('/%/')) return id
  const parts = id.split('/')
  const i = parts.findIndex((p) => p === '#' || p === '$')
  return i === -1 ? '' : `/${parts.slice(i).join('/')}`
}

function add(into: Counts, later: ClientSnapshot, base: ClientSnapshot | undefined): void {
  const b = base ?? { requests: 0, success: 0, failures: 0, buckets: [] }
  const reset =
    later.requests < b.requests ||
    later.success < b.success ||
    later.failures < b.failures ||
    later.buckets.some((c, i) => c < (b.buckets[i] ?? 0))
  const from = reset ? { requests: 0, success: 0, failures: 0, buckets: [] } : b
  into.requests += later.requests - from.requests
  into.success += later.success - from.success
  into.failures += later.failures - from.failures
  for (let i = 0; i < into.buckets.length; i++) {
    into.buckets[i]! += (later.buckets[i] ?? 0) - (from.buckets[i] ?? 0)
  }
}

/** Adds `later - base` of the clients that are one of `ids` (base undefined: from zero). */
function addDelta(
  sums: Counts,
  ids: ReadonlySet<string>,
  later: ProxySnapshot,
  base: ProxySnapshot | undefined,
): void {
  for (const [id, c] of Object.entries(later.clients)) {
    if (!ids.has(stripTransformer(id))) continue
    add(sums, c, base?.clients[id])
  }
}

function stats(ids: readonly string[], c: Counts, seconds: number): VersionStats {
  return {
    ids: [...ids],
    requests: c.requests,
    successes: c.success,
    failures: c.failures,
    successRate: c.requests === 0 ? null : c.success / c.requests,
    p99Ms: quantileOfBuckets(c.buckets, LATENCY_BOUNDS_MS, 0.99),
    ratePerSec: seconds > 0 ? c.requests / seconds : 0,
  }
}

/** The window's reading over every ring. */
export function windowDelta(
  rings: Iterable<ProxyRing>,
  ids: VersionIds,
  start: Date,
  end: Date,
): WindowReading {
  const s = start.getTime()
  const e = end.getTime()
  const from = zero()
  const to = zero()
  const fromIds = new Set(ids.from)
  const toIds = new Set(ids.to)
  let proxies = 0
  let lastAt = Number.NEGATIVE_INFINITY
  /** The earliest time a counted delta starts from: the covered span is [firstFrom, lastAt]. */
  let firstFrom = Number.POSITIVE_INFINITY
  for (const ring of rings) {
    const upToEnd = ring.samples.filter((x) => x.at.getTime() <= e)
    if (!upToEnd.some((x) => x.at.getTime() >= s)) continue
    proxies++
    // One run of samples per process instance, in order.
    const runs: Sample[][] = []
    for (const x of upToEnd) {
      const run = runs[runs.length - 1]
      if (run !== undefined && run[0]!.snapshot.instance === x.snapshot.instance) run.push(x)
      else runs.push([x])
    }
    for (const run of runs) {
      const last = run[run.length - 1]!
      if (last.at.getTime() < s) continue // ended before the window
      lastAt = Math.max(lastAt, last.at.getTime())
      const started = Date.parse(run[0]!.snapshot.startedAt)
      let base: ProxySnapshot | undefined
      if (started > s) {
        base = undefined // started inside the window: everything it counted is in it
        firstFrom = Math.min(firstFrom, started)
      } else {
        // The first snapshot taken at or after the start: older ones hold traffic from before.
        const first = run.find((x) => x.at.getTime() >= s)!
        base = first.snapshot
        firstFrom = Math.min(firstFrom, first.at.getTime())
      }
      addDelta(from, fromIds, last.snapshot, base)
      addDelta(to, toIds, last.snapshot, base)
    }
  }
  const seconds = Number.isFinite(firstFrom) && lastAt > firstFrom ? (lastAt - firstFrom) / 1000 : 0
  return {
    from: stats(ids.from, from, seconds),
    to: stats(ids.to, to, seconds),
    proxies,
    at: new Date(Number.isFinite(lastAt) ? lastAt : e),
  }
}
