// Prometheus metrics: one registry per server (no global), served at /metrics.
import type { DtabStore } from '@switchyard/store'
import { isStoreError } from '@switchyard/store'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

export type WatchKind = 'dtabs' | 'dtab' | 'bind' | 'addr' | 'resolve' | 'bound-names' | 'rollout'

export class Metrics {
  readonly registry = new Registry()
  readonly requests: Counter<'method' | 'route' | 'status'>
  readonly requestSeconds: Histogram<'method' | 'route'>
  readonly watchers: Gauge<'kind'>
  readonly watchStates: Counter<'kind'>
  readonly watchDropped: Counter<'kind'>
  readonly storeSeconds: Histogram<'op'>
  readonly storeErrors: Counter<'op' | 'code'>
  readonly connectionsOpen: Gauge
  readonly connectionsRefused: Counter
  readonly connectionsShed: Counter
  readonly connectionsTimedOut: Counter

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    const registers = [this.registry]
    this.requests = new Counter({
      name: 'namerd_http_requests_total',
      help: 'HTTP requests answered, by route template and status (watch streams count when they end)',
      labelNames: ['method', 'route', 'status'],
      registers,
    })
    this.requestSeconds = new Histogram({
      name: 'namerd_http_request_duration_seconds',
      help: 'Time from request to the end of the response (watch streams excluded)',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.watchers = new Gauge({
      name: 'namerd_watchers',
      help: 'Open watch streams, by kind',
      labelNames: ['kind'],
      registers,
    })
    this.watchStates = new Counter({
      name: 'namerd_watch_states_sent_total',
      help: 'States written to watch streams',
      labelNames: ['kind'],
      registers,
    })
    this.watchDropped = new Counter({
      name: 'namerd_watch_states_dropped_total',
      help: 'States a slow watcher skipped: it was sent a later state instead',
      labelNames: ['kind'],
      registers,
    })
    this.storeSeconds = new Histogram({
      name: 'namerd_store_operation_duration_seconds',
      help: 'Dtab store operation latency',
      labelNames: ['op'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    })
    this.storeErrors = new Counter({
      name: 'namerd_store_errors_total',
      help: 'Dtab store operations that failed, by error code (version_mismatch and the like included)',
      labelNames: ['op', 'code'],
      registers,
    })
    this.connectionsOpen = new Gauge({
      name: 'namerd_connections_open',
      help: 'Client connections open now (watch streams included), at most limits.maxConnections',
      registers,
    })
    this.connectionsRefused = new Counter({
      name: 'namerd_connections_refused_total',
      help: 'New connections answered 503 and closed at once: at the connection limit, every connection busy',
      registers,
    })
    this.connectionsShed = new Counter({
      name: 'namerd_connections_shed_total',
      help: 'Idle connections (no request in progress) closed to admit a new one at the connection limit',
      registers,
    })
    this.connectionsTimedOut = new Counter({
      name: 'namerd_connections_timed_out_total',
      help: 'Connections closed because a request head or body did not arrive in time',
      registers,
    })
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'namerd_' })
  }
}

type AsyncOp = 'list' | 'get' | 'create' | 'put' | 'update' | 'delete' | 'history'

/** The store, timing every call and counting failures by code. */
export function instrumentStore(store: DtabStore, metrics: Metrics): DtabStore {
  const timed = async <T>(op: AsyncOp, run: () => Promise<T>): Promise<T> => {
    const end = metrics.storeSeconds.startTimer({ op })
    try {
      return await run()
    } catch (err) {
      metrics.storeErrors.inc({ op, code: isStoreError(err) ? err.code : 'unknown' })
      throw err
    } finally {
      end()
    }
  }
  const counted = <T>(op: 'watch' | 'watchList', run: () => T): T => {
    try {
      return run()
    } catch (err) {
      metrics.storeErrors.inc({ op, code: isStoreError(err) ? err.code : 'unknown' })
      throw err
    }
  }
  return {
    kind: store.kind,
    namespaceRule: store.namespaceRule,
    health: store.health?.bind(store),
    notFound: store.notFound?.bind(store),
    list: () => timed('list', () => store.list()),
    get: (ns) => timed('get', () => store.get(ns)),
    create: (ns, dtab, o) => timed('create', () => store.create(ns, dtab, o)),
    put: (ns, dtab, o) => timed('put', () => store.put(ns, dtab, o)),
    update: (ns, dtab, v, o) => timed('update', () => store.update(ns, dtab, v, o)),
    delete: (ns, o) => timed('delete', () => store.delete(ns, o)),
    history: (ns, o) => timed('history', () => store.history(ns, o)),
    watch: (ns, o) => counted('watch', () => store.watch(ns, o)),
    watchList: (o) => counted('watchList', () => store.watchList(o)),
    close: () => store.close(),
    // Rollouts and leases are not dtab reads: passed through as they are.
    rollouts: store.rollouts,
    leases: store.leases,
  }
}
