// One endpoint of a concrete client: its connection pool, its load (requests outstanding),
// its weight and its failure-accrual state.
import type { Duplex } from 'node:stream'
import type { Endpoint } from '@switchyard/namers'
import { hostPort } from '@switchyard/wire'
import { type PoolOptions, UpstreamPool } from '../http1/upstream-pool.js'

export type { PoolOptions }

/** What an endpoint's connections are: HTTP/1.1 pools here, h2 sessions in h2/. */
export interface EndpointPool {
  /** Closes once the requests on it finish. */
  close(): Promise<void>
}

/** Makes the connections of one endpoint: the protocol's own, with the client's options. */
export type PoolFactory<P extends EndpointPool> = (e: Endpoint) => P

export class EndpointNode<P extends EndpointPool = UpstreamPool> {
  /** `ip:port` (`[ip]:port` for IPv6), as results and metrics name it. */
  readonly key: string
  readonly pool: P
  weight: number
  /** Requests dispatched and not yet finished (response body included). */
  outstanding = 0
  /** Consecutive failures since the last success. */
  failures = 0
  /** When ejected, the time (ms) after which one probe may go; 0 when live. */
  ejectedUntil = 0
  /** True while the single probe of an ejected endpoint is in flight. */
  probing = false
  /** Ejections in a row (failed probes lengthen the next backoff); 0 once revived. */
  ejections = 0
  /** Upgraded (websocket) connections, which leave the pool; destroyed on close. */
  readonly tunnels = new Set<Duplex>()

  constructor(e: Endpoint, makePool: PoolFactory<P>) {
    this.key = endpointKey(e.ip, e.port)
    this.weight = weightOf(e)
    this.pool = makePool(e)
  }

  get ejected(): boolean {
    return this.ejectedUntil !== 0
  }

  /** Closes the pool once its requests finish, and cuts any websocket through it. */
  close(): Promise<void> {
    for (const s of this.tunnels) s.destroy()
    this.tunnels.clear()
    return this.pool.close()
  }
}

/** The HTTP/1.1 pool factory: the proxy's own connections (http1/upstream-pool.ts). */
export const http1Pools =
  (opts: PoolOptions): PoolFactory<UpstreamPool> =>
  (e) =>
    new UpstreamPool(e.ip, e.port, opts)

/** An endpoint's key among its client's: its address as every program writes it. */
export const endpointKey: (ip: string, port: number) => string = hostPort

/** `endpoint_addr_weight`, default 1; a weight that is not a positive number counts as 1. */
export function weightOf(e: Endpoint): number {
  const w = e.meta.endpoint_addr_weight
  return typeof w === 'number' && w > 0 && Number.isFinite(w) ? w : 1
}
