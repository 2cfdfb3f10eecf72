// The span of time a traffic window's numbers really cover, by the rule of the rollouts'
// windowDelta (rollouts/sources/delta.ts): per proxy and process instance, from its first
// snapshot at or after the window's start (or the instance's start, when it began inside the
// window) to its last snapshot at or before the end; over every proxy, the earliest start to
// the latest end. A window of 10 s read for 4 s covers 4 s: the counts are over those 4 s, and
// windowDelta's rates divide by the same span, so the dashboard's count, rate and words agree.
// 0 until two snapshots of one instance span some time (only one read yet: nothing measured).
import type { ProxyRing } from '../rollouts/sources/delta.js'

export function coveredSeconds(rings: Iterable<ProxyRing>, start: Date, end: Date): number {
  const s = start.getTime()
  const e = end.getTime()
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  for (const ring of rings) {
    const inside = ring.samples.filter((x) => x.at.getTime() >= s && x.at.getTime() <= e)
    for (let i = 0; i < inside.length; ) {
      const head = inside[i]!
      let j = i
      while (j + 1 < inside.length && inside[j + 1]!.snapshot.instance === head.snapshot.instance)
        j++
      const started = Date.parse(head.snapshot.startedAt)
      first = Math.min(first, started > s ? started : head.at.getTime())
      last = Math.max(last, inside[j]!.at.getTime())
      i = j + 1
    }
  }
  return Number.isFinite(first) && last > first ? (last - first) / 1000 : 0
}
