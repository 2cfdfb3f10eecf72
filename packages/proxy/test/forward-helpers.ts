// Real servers on loopback for the data-plane tests: backends, and a front that proxies with
// `forward` on the proxy's own HTTP/1.1 server and records each result.
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Endpoint } from '@switchyard/namers'
import { Addr } from '@switchyard/namers'
import { Client, type ClientOptions } from '../src/balance/client.js'
import { type ForwardOptions, type ForwardResult, forward } from '../src/forward/forward.js'
import { Http1Server } from '../src/http1/server.js'
import { RetryBudget } from '../src/retry/budget.js'

export interface Backend {
  readonly port: number
  readonly server: Server
  /** Connections the backend accepted. */
  connections: number
  /** Requests it received. */
  requests: number
  close(): Promise<void>
}

export async function backend(handler: RequestListener, name = 'backend'): Promise<Backend> {
  const server = createServer({ keepAliveTimeout: 10_000 }, handler)
  const b = {
    port: 0,
    server,
    connections: 0,
    requests: 0,
    name,
    close: () => closeServer(server),
  }
  server.on('connection', () => b.connections++)
  server.on('request', () => b.requests++)
  b.port = await listen(server)
  return b
}

export function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

export function endpoint(port: number, weight?: number): Endpoint {
  return {
    ip: '127.0.0.1',
    port,
    meta: weight === undefined ? {} : { endpoint_addr_weight: weight },
  }
}

export function bound(...ports: number[]): Addr {
  return Addr.bound(ports.map((p) => endpoint(p)))
}

export interface Front {
  readonly port: number
  readonly url: string
  readonly results: ForwardResult[]
  /** Resolves with the oldest result not yet taken, waiting for one if need be. */
  next(): Promise<ForwardResult>
  close(): Promise<void>
}

export type FrontOptions = Partial<Omit<ForwardOptions, 'headers' | 'path'>>

/** A proxy in front of `client`: copies the request headers (hop-by-hop stripped) and forwards. */
export async function front(client: Client, opts: FrontOptions = {}): Promise<Front> {
  const budget = opts.budget ?? new RetryBudget()
  const results: ForwardResult[] = []
  const waiters: ((r: ForwardResult) => void)[] = []
  let consumed = 0
  const record = (r: ForwardResult): void => {
    results.push(r)
    const w = waiters.shift()
    if (w !== undefined) {
      consumed++
      w(r)
    }
  }
  const server = new Http1Server({
    keepAliveTimeoutMs: 10_000,
    onRequest: async (tx) => {
      const r = await forward(client, tx, {
        timeoutMs: undefined,
        ...opts,
        budget,
        headers: { ...tx.headers },
        path: tx.url,
      })
      if (!r.ok && !r.headersSent && r.kind !== 'client-aborted') {
        const status = r.kind === 'timeout' ? 503 : 502
        tx.respond(status, { 'l5d-err': encodeURIComponent(r.message) }, undefined)
      }
      record(r)
    },
  })
  await server.listen(0, '127.0.0.1')
  const port = (server.net.address() as AddressInfo).port
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    results,
    next: () =>
      consumed < results.length
        ? Promise.resolve(results[consumed++]!)
        : new Promise((resolve) => waiters.push(resolve)),
    close: () => server.close(),
  }
}

export function newClient(ports: number[], options?: ClientOptions): Client {
  const c = new Client('/#/test', options)
  c.setAddr(bound(...ports))
  return c
}

/** A backend with `handler`, a client for it, and a front forwarding to it; all closed at teardown. */
export async function proxied(
  t: { teardown(fn: () => unknown): void },
  handler: RequestListener,
  opts: FrontOptions = {},
): Promise<{ b: Backend; client: Client; f: Front }> {
  const b = await backend(handler)
  const client = newClient([b.port])
  const f = await front(client, opts)
  t.teardown(async () => {
    await f.close()
    await client.close()
    await b.close()
  })
  return { b, client, f }
}

/** A port nothing listens on (bound, then closed). */
export async function deadPort(): Promise<number> {
  const s = createServer()
  const port = await listen(s)
  await closeServer(s)
  return port
}

/** Deterministic random numbers (mulberry32), so statistical tests do not flake. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type { Socket }
