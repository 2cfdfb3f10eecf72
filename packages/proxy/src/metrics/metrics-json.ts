// `/admin/metrics.json`: Linkerd 1's flat form, `{"rt/outgoing/client/#/io.l5d.fs/world-v1/success": 12}`.
// Ids keep their inner slashes as one tree node, as Linkerd's did, so a dashboard that reads
// `rt/<router>/service/svc/world/success` works unchanged.
import type { LatencyHistogram } from './latency.js'
import { metricId, type RouterStats, type ScopeStats } from './scopes.js'

const QUANTILES: readonly (readonly [string, number])[] = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p9990', 0.999],
  ['p9999', 0.9999],
]

function histogram(out: Record<string, number>, name: string, h: LatencyHistogram): void {
  out[`${name}.count`] = h.count
  out[`${name}.sum`] = round(h.sum)
  out[`${name}.avg`] = h.count === 0 ? 0 : round(h.sum / h.count)
  out[`${name}.min`] = h.count === 0 ? 0 : round(h.min)
  out[`${name}.max`] = round(h.max)
  for (const [key, q] of QUANTILES) out[`${name}.${key}`] = round(h.quantile(q))
}

const round = (n: number) => Math.round(n * 1000) / 1000

function scope(out: Record<string, number>, base: string, s: ScopeStats, service: boolean): void {
  out[`${base}/requests`] = s.requests
  out[`${base}/success`] = s.success
  out[`${base}/failures`] = s.failures
  out[`${base}/pending`] = s.pending
  for (let cls = 1; cls <= 5; cls++) out[`${base}/status/${cls}XX`] = s.status[cls]!
  histogram(out, `${base}/request_latency_ms`, s.latency)
  if (service) {
    out[`${base}/retries/total`] = s.retries
    out[`${base}/retries/budget_exhausted`] = s.budgetExhausted
  }
}

export function metricsJson(routers: readonly RouterStats[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of routers) {
    const rt = `rt/${r.label}`
    for (const [id, s] of r.servers.byId) scope(out, `${rt}/server/${id}`, s, false)
    for (const [id, s] of r.services.byId) scope(out, `${rt}/service/${metricId(id)}`, s, true)
    for (const [id, s] of r.clients.byId) scope(out, `${rt}/client/${metricId(id)}`, s, false)
    const cache = r.routeCache
    if (cache !== undefined) {
      out[`${rt}/routes/cached`] = cache.size
      out[`${rt}/routes/cached_nodes`] = cache.nodes
      out[`${rt}/routes/cached_bytes`] = cache.bytes
    }
  }
  return out
}

/** Linkerd's `q=` filter: the entries under one subtree, or undefined if there is none. */
export function subtree(
  all: Record<string, number>,
  prefix: string,
): Record<string, number> | undefined {
  const p = prefix.replace(/^\/+|\/+$/g, '')
  const out: Record<string, number> = {}
  let found = false
  for (const [k, v] of Object.entries(all)) {
    if (k === p || k.startsWith(`${p}/`) || k.startsWith(`${p}.`)) {
      out[k] = v
      found = true
    }
  }
  return found ? out : undefined
}
