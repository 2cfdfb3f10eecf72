// The Prometheus view of the proxy's counters, through prom-client. Names are the ones Linkerd
// 1's Prometheus telemeter wrote (`rt:service:requests{rt="outgoing",service="svc/world"}`), so
// dashboards carry over; Linkerd wrote latency as a summary, we write a histogram, which
// Prometheus can aggregate across proxies.
import {
  type Aggregator,
  Counter,
  Gauge,
  Histogram,
  type MetricType,
  type MetricValueWithName,
  Registry,
} from 'prom-client'
import { LATENCY_BOUNDS_MS, type LatencyHistogram } from './latency.js'
import {
  metricId,
  type RouteCacheView,
  type RouterStats,
  type ScopeFamily,
  type ScopeStats,
} from './scopes.js'

/** What the admin server knows of a router's interpreter, for the gauges. */
export interface RouterView {
  readonly stats: RouterStats
  /** 1 when the dtab source (namerd or a file) is reachable. */
  connected(): boolean
  /** Seconds since the last good dtab, or undefined before the first one. */
  stateAgeSeconds(): number | undefined
}

type Stack = 'server' | 'service' | 'client'
const KEY: Record<Stack, string> = { server: 'server', service: 'service', client: 'client' }

function families(views: readonly RouterView[], stack: Stack) {
  const out: { rt: string; id: string; s: ScopeStats }[] = []
  for (const v of views) {
    const family: ScopeFamily =
      stack === 'server'
        ? v.stats.servers
        : stack === 'service'
          ? v.stats.services
          : v.stats.clients
    for (const [id, s] of family.byId) out.push({ rt: v.stats.label, id: metricId(id), s })
  }
  return out
}

type Read = () => { labels: Record<string, string>; h: LatencyHistogram }[]

/**
 * A prom-client histogram whose buckets are read from our LatencyHistogram objects when
 * scraped, instead of being fed one observation (and one label hash) per request.
 */
class LatencyFamily extends Histogram<string> {
  // Set by prom-client's constructor; its typings do not list them.
  declare readonly name: string
  declare readonly help: string
  declare readonly type: MetricType
  declare readonly aggregator: Aggregator
  private readonly read: Read
  constructor(name: string, help: string, labelNames: string[], registry: Registry, read: Read) {
    super({ name, help, labelNames, buckets: [...LATENCY_BOUNDS_MS], registers: [registry] })
    this.read = read
  }

  override async get() {
    return this.snapshot()
  }

  /**
   * prom-client's text exposition (Registry.metrics) reads histograms through this method, not
   * get(), so it must be replaced too: without it the scrape showed the HELP and TYPE lines of
   * every latency family and no buckets at all.
   */
  async getForPromString() {
    return this.snapshot()
  }

  private snapshot() {
    const name = this.name
    const values: MetricValueWithName<string>[] = []
    for (const { labels, h } of this.read()) {
      let cumulative = 0
      LATENCY_BOUNDS_MS.forEach((le, i) => {
        cumulative += h.counts[i]!
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative })
      })
      values.push({
        metricName: `${name}_bucket`,
        labels: { ...labels, le: '+Inf' },
        value: h.count,
      })
      values.push({ metricName: `${name}_sum`, labels, value: h.sum })
      values.push({ metricName: `${name}_count`, labels, value: h.count })
    }
    const collect = () => {}
    return { name, help: this.help, type: this.type, aggregator: this.aggregator, collect, values }
  }
}

export function createRegistry(views: () => readonly RouterView[]): Registry {
  const registry = new Registry()
  const stacks: Stack[] = ['server', 'service', 'client']
  for (const stack of stacks) {
    const counter = (suffix: string, help: string, value: (s: ScopeStats) => number) =>
      new Counter({
        name: `rt:${stack}:${suffix}`,
        help,
        labelNames: ['rt', KEY[stack]],
        registers: [registry],
        collect() {
          this.reset()
          for (const { rt, id, s } of families(views(), stack)) {
            this.inc({ rt, [KEY[stack]]: id }, value(s))
          }
        },
      })
    counter('requests', `Requests, per ${stack}`, (s) => s.requests)
    counter(
      'success',
      `Requests that succeeded (not a 5XX, and answered), per ${stack}`,
      (s) => s.success,
    )
    counter(
      'failures',
      `Requests that failed (a 5XX or no response), per ${stack}`,
      (s) => s.failures,
    )
    for (let cls = 1; cls <= 5; cls++) {
      counter(
        `status:${cls}XX`,
        `Responses with a ${cls}XX status, per ${stack}`,
        (s) => s.status[cls]!,
      )
    }
    new Gauge({
      name: `rt:${stack}:pending`,
      help: `Requests in flight, per ${stack}`,
      labelNames: ['rt', KEY[stack]],
      registers: [registry],
      collect() {
        this.reset()
        for (const { rt, id, s } of families(views(), stack))
          this.set({ rt, [KEY[stack]]: id }, s.pending)
      },
    })
    new LatencyFamily(
      `rt:${stack}:request_latency_ms`,
      `Request latency in milliseconds, per ${stack}`,
      ['rt', KEY[stack]],
      registry,
      () =>
        families(views(), stack).map(({ rt, id, s }) => ({
          labels: { rt, [KEY[stack]]: id },
          h: s.latency,
        })),
    )
  }
  for (const [suffix, help, value] of [
    [
      'retries:total',
      'Requests sent again to another endpoint (connection refused, or closed before any answer)',
      (s: ScopeStats) => s.retries,
    ],
    [
      'retries:budget_exhausted',
      'Retries refused because the retry budget was spent',
      (s: ScopeStats) => s.budgetExhausted,
    ],
  ] as const) {
    new Counter({
      name: `rt:service:${suffix}`,
      help,
      labelNames: ['rt', 'service'],
      registers: [registry],
      collect() {
        this.reset()
        for (const { rt, id, s } of families(views(), 'service'))
          this.inc({ rt, service: id }, value(s))
      },
    })
  }
  for (const [suffix, help, value] of [
    ['cached', 'Routes cached (distinct name and l5d-dtab pairs)', (c: RouteCacheView) => c.size],
    [
      'cached_nodes',
      'Nodes of the bound trees of the cached routes',
      (c: RouteCacheView) => c.nodes,
    ],
    [
      'cached_bytes',
      'Estimated bytes of the cached routes and their keys (the cache is bounded by this)',
      (c: RouteCacheView) => c.bytes,
    ],
  ] as const) {
    new Gauge({
      name: `rt:routes:${suffix}`,
      help,
      labelNames: ['rt'],
      registers: [registry],
      collect() {
        this.reset()
        for (const v of views()) {
          const cache = v.stats.routeCache
          if (cache !== undefined) this.set({ rt: v.stats.label }, value(cache))
        }
      },
    })
  }
  new Gauge({
    name: 'rt:interpreter:connected',
    help: '1 when the router reaches its dtab source (namerd, or the dtab file); 0 while it routes on its last good state',
    labelNames: ['rt'],
    registers: [registry],
    collect() {
      this.reset()
      for (const v of views()) this.set({ rt: v.stats.label }, v.connected() ? 1 : 0)
    },
  })
  new Gauge({
    name: 'rt:interpreter:state_age_seconds',
    help: 'Seconds since the router last received a good dtab; absent before the first one',
    labelNames: ['rt'],
    registers: [registry],
    collect() {
      this.reset()
      for (const v of views()) {
        const age = v.stateAgeSeconds()
        if (age !== undefined) this.set({ rt: v.stats.label }, age)
      }
    },
  })
  return registry
}
