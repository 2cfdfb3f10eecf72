// NOT BUILT YET (task A2 of issue 15): an endpoint's HTTP/2 sessions. The agreed shape only.
import type { Endpoint } from '@switchyard/namers'
import type { PoolFactory } from '../balance/endpoint.js'

export interface H2PoolOptions {
  readonly connectTimeoutMs: number
}

export class H2SessionPool {
  constructor(
    readonly endpoint: Endpoint,
    readonly options: H2PoolOptions,
  ) {}

  close(): Promise<void> {
    return Promise.resolve()
  }
}

export const h2Pools =
  (options: H2PoolOptions): PoolFactory<H2SessionPool> =>
  (e) =>
    new H2SessionPool(e, options)
