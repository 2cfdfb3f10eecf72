// `GET /admin/metrics/snapshot.json` (docs/design/rollouts.md §4): raw counters and latency
// bucket counts per concrete client, summed over routers, for namerd's rollouts to take exact
// deltas over a window. `instance` is new with every process, so a restart (counters back at
// zero) is told apart from traffic stopping.
import { randomUUID } from 'node:crypto'
import { type ClientSnapshot, LATENCY_BOUNDS_MS, type ProxySnapshot } from '@switchyard/wire'
import type { RouterStats } from '../metrics/index.js'

const INSTANCE = randomUUID()
const STARTED_AT = new Date().toISOString()

/**
 * The snapshot of every client scope (`/#/io.l5d.fs/world-v2`, as l5d-dst-client names it),
 * or only of `only`'s ids when given (`?client=` repeated).
 */
export function metricsSnapshot(
  routers: readonly RouterStats[],
  only?: ReadonlySet<string>,
): ProxySnapshot {
  const clients: Record<string, ClientSnapshot> = {}
  for (const r of routers) {
    for (const [id, s] of r.clients.byId) {
      if (only !== undefined && !only.has(id)) continue
      const c = clients[id] ?? {
        requests: 0,
        success: 0,
        failures: 0,
        buckets: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
      }
      clients[id] = c
      c.requests += s.requests
      c.success += s.success
      c.failures += s.failures
      s.latency.counts.forEach((n, i) => {
        c.buckets[i]! += n
      })
    }
  }
  return {
    instance: INSTANCE,
    startedAt: STARTED_AT,
    at: new Date().toISOString(),
    bounds: [...LATENCY_BOUNDS_MS],
    clients,
  }
}
