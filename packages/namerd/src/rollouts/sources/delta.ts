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

/**
 * Per snapshot: its client keys by stripped id. Built once per snapshot (a snapshot is read by
 * every rollout of every namespace its proxy serves, every tick), so a reading costs the ids it
 * asks about, not every client the proxy knows.
 */
const byId = new WeakMap<ProxySnapshot, Map<string, string[]>>()

function clientIndex(snapshot: ProxySnapshot): Map<string, string[]> {
  let index = byId.get(snapshot)
  if (index === undefined) {
    index = new Map()
    for (const key of Object.keys(snapshot.clients)) {
      const id = stripTransformer(key)
      const keys = index.get(id)
      if (keys === undefined) index.set(id, [key])
      else keys.push(key)
    }
    byId.set(snapshot, index)
  }
  return index
}

/** Adds `later - base` of the clients that are one of `ids` (base undefined: from zero). */
function addDelta(
  sums: Counts,
  ids: ReadonlySet<string>,
  later: ProxySnapshot,
  base: ProxySnapshot | undefined,
): void {
  const index = clientIndex(later)
  for (const id of ids) {
    const keys = index.get(id)
    if (keys === undefined) continue
    for (const key of keys) add(sums, later.clients[key]!, base?.clients[key])
  }
}

/** The index of the first sample at or after `t` (samples are in time order). */
function firstAtOrAfter(samples: readonly Sample[], t: number): number {
  let lo = 0
  let hi = samples.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (samples[mid]!.at.getTime() < t) lo = mid + 1
    else hi = mid
  }
  return lo
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
    // Only the samples inside [start, end] matter: a run of an instance counts from its first
    // sample at or after the start (or from zero if it started inside the window) to its last
    // at or before the end. Found by binary search: rings hold up to thousands of samples.
    const i0 = firstAtOrAfter(ring.samples, s)
    const i1 = firstAtOrAfter(ring.samples, e + 1)
    if (i0 >= i1) continue
    proxies++
    let i = i0
    while (i < i1) {
      const first = ring.samples[i]!
      let j = i
      while (j + 1 < i1 && ring.samples[j + 1]!.snapshot.instance === first.snapshot.instance) j++
      const last = ring.samples[j]!
      lastAt = Math.max(lastAt, last.at.getTime())
      const started = Date.parse(first.snapshot.startedAt)
      let base: ProxySnapshot | undefined
      if (started > s) {
        base = undefined // started inside the window: everything it counted is in it
        firstFrom = Math.min(firstFrom, started)
      } else {
        // The first snapshot taken at or after the start: older ones hold traffic from before.
        base = first.snapshot
        firstFrom = Math.min(firstFrom, first.at.getTime())
      }
      addDelta(from, fromIds, last.snapshot, base)
      addDelta(to, toIds, last.snapshot, base)
      i = j + 1
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
