// One endpoint of a concrete client: its connection pool, its load (requests outstanding),
// its weight and its failure-accrual state.
import type { Duplex } from 'node:stream'
import type { Endpoint } from '@switchyard/namers'
import { hostPort } from '@switchyard/wire'
import { type PoolOptions, UpstreamPool } from '../http1/upstream-pool.js'

export type { PoolOptions }

export class EndpointNode {
  /** `ip:port` (`[ip]:port` for IPv6), as results and metrics name it. */
  readonly key: string
  readonly pool: UpstreamPool
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

  constructor(e: Endpoint, opts: PoolOptions) {
    this.key = endpointKey(e.ip, e.port)
    this.weight = weightOf(e)
    this.pool = new UpstreamPool(e.ip, e.port, opts)
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

/** An endpoint's key among its client's: its address as every program writes it. */
export const endpointKey: (ip: string, port: number) => string = hostPort

/** `endpoint_addr_weight`, default 1; a weight that is not a positive number counts as 1. */
export function weightOf(e: Endpoint): number {
  const w = e.meta.endpoint_addr_weight
  return typeof w === 'number' && w > 0 && Number.isFinite(w) ? w : 1
}
