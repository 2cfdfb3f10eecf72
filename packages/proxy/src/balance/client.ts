// One concrete (bound) client: its endpoints and their pools, fed by the id's live Addr; the
// P2C balancer over the endpoints not ejected; failure accrual.
//
// When every endpoint is ejected the balancer chooses among all of them, as Finagle's
// balancers do when nothing is Open: the ejection may be stale (a restart, a blip), and a
// request that may succeed is better than a certain 502.
import type { Addr } from '@switchyard/namers'
import type { UpstreamPool } from '../http1/upstream-pool.js'
import {
  EndpointNode,
  type EndpointPool,
  endpointKey,
  http1Pools,
  type PoolFactory,
  weightOf,
} from './endpoint.js'
import {
  accrueFailure,
  accrueSuccess,
  DEFAULT_FAILURE_ACCRUAL,
  type FailureAccrualOptions,
} from './failure-accrual.js'
import { Distribution, p2c } from './p2c.js'

export interface ClientOptions<P extends EndpointPool = UpstreamPool> {
  /**
   * The endpoints' connections; default the proxy's HTTP/1.1 pools with the options below
   * (connectTimeoutMs, maxConnectionsPerEndpoint, keepAliveTimeoutMs, tls).
   */
  readonly makePool?: PoolFactory<P>
  /** Defaults: 5 consecutive failures, then a jittered backoff from 5 s to 300 s. */
  readonly failureAccrual?: FailureAccrualOptions
  /** Default 3000. */
  readonly connectTimeoutMs?: number
  /** Connections per endpoint pool; default unlimited. */
  readonly maxConnectionsPerEndpoint?: number
  /**
   * How long an idle upstream connection is kept at most; default 4 s (undici's default, kept
   * when the proxy's own pool replaced it, http1/upstream-pool.ts). A backend's
   * `Keep-Alive: timeout=N` shortens it to a margin under N (http1/keep-alive.ts).
   */
  readonly keepAliveTimeoutMs?: number
  /** The random source of the balancer and the jitter, in [0, 1); for tests. */
  readonly random?: () => number
}

/** How a finished request counts for failure accrual. */
export type Outcome = 'success' | 'failure' | 'ignore'

export interface EndpointStatus {
  readonly endpoint: string
  readonly weight: number
  readonly outstanding: number
  readonly consecutiveFailures: number
  readonly ejected: boolean
}

export class Client<P extends EndpointPool = UpstreamPool> {
  readonly id: string
  private readonly nodes = new Map<string, EndpointNode<P>>()
  private all: Distribution<P> = new Distribution<P>([])
  private live: Distribution<P> = this.all
  private ejectedCount = 0
  /** The earliest time an ejected endpoint may be probed; Infinity when none may. */
  private nextProbeAt = Number.POSITIVE_INFINITY
  private outstanding = 0
  private closed = false
  private readonly accrual: FailureAccrualOptions
  private readonly random: () => number
  private readonly makePool: PoolFactory<P>

  constructor(id: string, options: ClientOptions<P> = {}) {
    this.id = id
    this.accrual = options.failureAccrual ?? DEFAULT_FAILURE_ACCRUAL
    this.random = options.random ?? Math.random
    this.makePool =
      options.makePool ??
      // Without a factory the pool is HTTP/1.1's, P's default.
      (http1Pools({
        connectTimeoutMs: options.connectTimeoutMs ?? 3000,
        maxConnections: options.maxConnectionsPerEndpoint,
        keepAliveTimeoutMs: options.keepAliveTimeoutMs,
      }) as unknown as PoolFactory<P>)
  }

  /** bound: the endpoint set; neg/failed: none; pending: keep what we have. */
  setAddr(addr: Addr): void {
    if (this.closed || addr.type === 'pending') return
    const addrs = addr.type === 'bound' ? addr.addrs : []
    const next = new Map<string, EndpointNode<P>>()
    for (const e of addrs) {
      const key = endpointKey(e.ip, e.port)
      if (next.has(key)) continue
      let node = this.nodes.get(key)
      if (node === undefined) node = new EndpointNode(e, this.makePool)
      else node.weight = weightOf(e)
      next.set(key, node)
    }
    for (const [key, node] of this.nodes) {
      // In-flight requests finish; the pool closes after them.
      if (!next.has(key)) void node.close()
    }
    this.nodes.clear()
    for (const [key, node] of next) this.nodes.set(key, node)
    this.rebuild()
  }

  /** Endpoints known. */
  get size(): number {
    return this.all.size
  }

  /** Endpoints not ejected. */
  get available(): number {
    return this.live.size
  }

  /** Requests in flight through this client. */
  get pending(): number {
    return this.outstanding
  }

  /**
   * The endpoint for the next request: a due probe first, else P2C among the live endpoints
   * (or among all when none is live). `avoid`: endpoints already tried by this request,
   * skipped when there is another choice.
   */
  pick(avoid?: readonly EndpointNode<P>[]): EndpointNode<P> | undefined {
    if (this.ejectedCount > 0 && this.nextProbeAt <= Date.now()) {
      const probe = this.dueProbe(avoid)
      if (probe !== undefined) return probe
    }
    const d = this.live.size > 0 ? this.live : this.all
    if (avoid === undefined) return p2c(d, this.random)
    const rest = d.nodes.filter((n) => !avoid.includes(n))
    return rest.length === 0 ? p2c(d, this.random) : p2c(new Distribution(rest), this.random)
  }

  /** A request starts on `node`. */
  begin(node: EndpointNode<P>): void {
    node.outstanding++
    this.outstanding++
  }

  /** A request on `node` finished (or failed); updates load and failure accrual. */
  end(node: EndpointNode<P>, outcome: Outcome): void {
    node.outstanding--
    this.outstanding--
    if (outcome === 'success') {
      if (node.failures !== 0 || node.ejectedUntil !== 0) {
        if (accrueSuccess(node)) this.rebuild()
      }
    } else if (outcome === 'failure') {
      if (accrueFailure(node, this.accrual, Date.now(), this.random)) this.rebuild()
    } else if (node.probing) {
      // The probe was abandoned (client went away): the next request probes instead.
      node.probing = false
      this.updateProbeTime()
    }
  }

  /** A snapshot for the admin's client state. */
  endpoints(): EndpointStatus[] {
    return this.all.nodes.map((n) => ({
      endpoint: n.key,
      weight: n.weight,
      outstanding: n.outstanding,
      consecutiveFailures: n.failures,
      ejected: n.ejected,
    }))
  }

  /** Closes every pool (after in-flight requests) and cuts websockets. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    const nodes = [...this.nodes.values()]
    this.nodes.clear()
    this.rebuild()
    await Promise.all(nodes.map((n) => n.close()))
  }

  private dueProbe(avoid: readonly EndpointNode<P>[] | undefined): EndpointNode<P> | undefined {
    const now = Date.now()
    for (const n of this.all.nodes) {
      if (n.ejectedUntil !== 0 && !n.probing && n.ejectedUntil <= now && !avoid?.includes(n)) {
        n.probing = true
        this.updateProbeTime()
        return n
      }
    }
    return undefined
  }

  private rebuild(): void {
    const all = [...this.nodes.values()]
    const live = all.filter((n) => n.ejectedUntil === 0)
    this.all = new Distribution(all)
    this.live = live.length === all.length ? this.all : new Distribution(live)
    this.ejectedCount = all.length - live.length
    this.updateProbeTime()
  }

  private updateProbeTime(): void {
    let t = Number.POSITIVE_INFINITY
    if (this.ejectedCount > 0) {
      for (const n of this.all.nodes) {
        if (n.ejectedUntil !== 0 && !n.probing && n.ejectedUntil < t) t = n.ejectedUntil
      }
    }
    this.nextProbeAt = t
  }
}
