// What the grpc-*.test.ts files share: an h2 router in this process (the whole proxy, started
// as main.ts starts it) in front of the gRPC test services, grpc-js clients that stop with the
// test, and the admin's metrics as a test reads them.
import type { ProxySnapshot } from '@switchyard/wire'
import { GrpcClient, type GrpcClientOptions } from '../../../test/support/grpc/client.js'
import {
  type GrpcBackend,
  startWorld,
  type WorldOptions,
} from '../../../test/support/grpc/world.js'
import { localConfig, runProxy, type TestProxy } from './router-helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export { eventually } from './interpret-helpers.js'
export { inet } from './router-helpers.js'

/** The proxy with one h2 router labelled `outgoing` on 127.0.0.1:0 (h2c), a local `dtab`. */
export function h2Proxy(
  t: Teardown,
  dtab: string,
  router: Record<string, unknown> = {},
  options: { baseDir?: string; top?: Record<string, unknown> } = {},
): Promise<TestProxy> {
  const { top, ...run } = options
  return runProxy(t, localConfig(dtab, { protocol: 'h2', ...router }, top), run)
}

/** A world.World backend stopped when the test ends. */
export async function world(t: Teardown, options: WorldOptions): Promise<GrpcBackend> {
  const w = await startWorld(options)
  t.teardown(() => w.close())
  return w
}

/** A grpc-js client (own channel, no retries) closed when the test ends. */
export function client(
  t: Teardown,
  target: number | string,
  options: GrpcClientOptions = {},
): GrpcClient {
  const c = new GrpcClient(target, options)
  t.teardown(() => c.close())
  return c
}

/** `/admin/metrics.json`, flat. */
export async function metrics(admin: string): Promise<Record<string, number>> {
  const res = await fetch(`${admin}/admin/metrics.json`)
  return (await res.json()) as Record<string, number>
}

/** `/admin/metrics/snapshot.json`. */
export async function snapshot(admin: string): Promise<ProxySnapshot> {
  const res = await fetch(`${admin}/admin/metrics/snapshot.json`)
  return (await res.json()) as ProxySnapshot
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
