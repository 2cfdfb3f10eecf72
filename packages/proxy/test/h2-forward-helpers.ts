// Real HTTP/2 on 127.0.0.1 for the forwarder's tests: backends on node's http2 server, a front
// that hands each stream to forwardH2 (as the h2 router does) and answers a failure that has
// not begun with a 502, and clients that read a whole response.
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
  type Settings,
} from 'node:http2'
import type { AddressInfo } from 'node:net'
import { Addr, type Endpoint } from '@switchyard/namers'
import type { Test } from 'tap'
import { Client } from '../src/balance/client.js'
import { forwardH2 } from '../src/h2/forward.js'
import type { H2ForwardOptions, H2ForwardResult } from '../src/h2/forward-types.js'
import { type H2PoolOptions, H2SessionPool, h2Pools } from '../src/h2/session-pool.js'
import { RetryBudget } from '../src/retry/budget.js'

export interface H2Server {
  readonly port: number
  readonly server: Http2Server
  /** Sessions accepted and not yet closed. */
  readonly sessions: Set<Http2Session>
  /** Destroys every session and closes the listener. */
  close(): Promise<void>
}

export async function h2Server(
  onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void,
  settings: Settings = {},
): Promise<H2Server> {
  const server = createServer({ settings })
  const sessions = new Set<Http2Session>()
  server.on('session', (s) => {
    sessions.add(s)
    s.on('close', () => sessions.delete(s))
    s.on('error', () => {})
  })
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {})
    onStream(stream, headers)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    server,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy()
        server.close(() => resolve())
      }),
  }
}

export function endpoint(port: number): Endpoint {
  return { ip: '127.0.0.1', port, meta: {} }
}

export function h2Client(
  ports: number[],
  pool: Partial<H2PoolOptions> = {},
  random?: () => number,
): Client<H2SessionPool> {
  const c = new Client<H2SessionPool>('/#/io.l5d.test/h2', {
    makePool: h2Pools({ connectTimeoutMs: 1000, ...pool }),
    ...(random === undefined ? {} : { random }),
  })
  c.setAddr(Addr.bound(ports.map(endpoint)))
  return c
}

export interface Front {
  readonly port: number
  readonly results: H2ForwardResult[]
  /** The headers each forwarded stream was sent with, as the front built them. */
  readonly sent: OutgoingHttpHeaders[]
  /** Resolves with the next result. */
  next(): Promise<H2ForwardResult>
  close(): Promise<void>
}

export type FrontOptions = Partial<Omit<H2ForwardOptions, 'headers'>>

/** An h2c server forwarding every stream with forwardH2, as the h2 router does. */
export async function h2Front(
  client: Client<H2SessionPool>,
  opts: FrontOptions = {},
): Promise<Front> {
  const results: H2ForwardResult[] = []
  const sent: OutgoingHttpHeaders[] = []
  let waiters: ((r: H2ForwardResult) => void)[] = []
  const budget = opts.budget ?? new RetryBudget()
  const front = await h2Server((stream, headers) => {
    const out: OutgoingHttpHeaders = {}
    for (const [k, v] of Object.entries(headers)) {
      if (
        k === ':scheme' ||
        k === ':authority' ||
        k === ':method' ||
        k === ':path' ||
        !k.startsWith(':')
      ) {
        out[k] = v
      }
    }
    sent.push(out)
    const grpc = String(headers['content-type'] ?? '').startsWith('application/grpc')
    void forwardH2(client, stream, {
      headers: out,
      timeoutMs: opts.timeoutMs ?? 5000,
      ...(opts.deadlineMs === undefined ? {} : { deadlineMs: opts.deadlineMs }),
      grpc: opts.grpc ?? grpc,
      budget,
      maxRetries: opts.maxRetries ?? 2,
      ...(opts.retryableGrpc === undefined ? {} : { retryableGrpc: opts.retryableGrpc }),
      ...(opts.onResponseHeaders === undefined
        ? {}
        : { onResponseHeaders: opts.onResponseHeaders }),
      ...(opts.onTrailers === undefined ? {} : { onTrailers: opts.onTrailers }),
      ...(opts.clear === undefined ? {} : { clear: opts.clear }),
    }).then((r) => {
      results.push(r)
      const ws = waiters
      waiters = []
      for (const w of ws) w(r)
      if (!r.ok && !r.headersSent && !stream.destroyed && !stream.headersSent) {
        stream.respond({ ':status': r.kind === 'timeout' ? 504 : 502, 'l5d-err': r.kind })
        stream.end(r.message)
      }
    })
  })
  return {
    port: front.port,
    results,
    sent,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close: front.close,
  }
}

export interface Forwarding {
  readonly client: Client<H2SessionPool>
  readonly front: Front
  /** A client session to the front. */
  readonly session: ClientHttp2Session
}

/** What a forwarder test's client is sent to and stops at its end. */
export interface Backend {
  readonly port: number
  close(): unknown
}

/**
 * What most forwarder tests stand on: a client balancing over `backends` (or over `ports`), a
 * front forwarding each stream through it, and a session to the front; all stopped when `t`
 * ends (the session first, the backends last).
 */
export async function forwardingTo(
  t: Test,
  backends: readonly Backend[],
  options: {
    readonly pool?: Partial<H2PoolOptions>
    readonly front?: FrontOptions
    /** The client's endpoints when not the backends' own (a dead port among them). */
    readonly ports?: readonly number[]
    /** The balancer's random source (seeded, so a test picks the same endpoints each run). */
    readonly random?: () => number
  } = {},
): Promise<Forwarding> {
  const client = h2Client(
    [...(options.ports ?? backends.map((b) => b.port))],
    options.pool,
    options.random,
  )
  const front = await h2Front(client, options.front)
  const session = await h2Connect(front.port)
  t.teardown(async () => {
    await closeSession(session)
    await front.close()
    await client.close()
    for (const b of backends) await b.close()
  })
  return { client, front, session }
}

export function h2Connect(port: number): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = connect(`http://127.0.0.1:${port}`)
    s.on('error', reject)
    s.once('connect', () => resolve(s))
  })
}

export interface Answer {
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly trailers: IncomingHttpHeaders | undefined
  readonly rstCode: number
}

/** Reads a stream's whole answer; resolves when it closes, reset or not. */
export function answer(stream: ClientHttp2Stream): Promise<Answer> {
  return new Promise((resolve) => {
    let headers: IncomingHttpHeaders = {}
    let trailers: IncomingHttpHeaders | undefined
    const chunks: Buffer[] = []
    stream.on('error', () => {})
    stream.on('response', (h) => {
      headers = h
    })
    stream.on('trailers', (h) => {
      trailers = h
    })
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('close', () =>
      resolve({
        headers,
        body: Buffer.concat(chunks).toString(),
        trailers,
        rstCode: stream.rstCode ?? 0,
      }),
    )
  })
}

/** A request on `session` and its whole answer. */
export function ask(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: string | Buffer,
): Promise<Answer> {
  const stream = session.request(headers, { endStream: body === undefined })
  const a = answer(stream)
  if (body !== undefined) stream.end(body)
  return a
}

export function closeSession(s: ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) {
      resolve()
      return
    }
    s.once('close', () => resolve())
    s.close()
  })
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls `check` every 10 ms until it is true or `ms` pass; returns its last value. */
export async function until(check: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) return false
    await sleep(10)
  }
  return true
}

export { H2SessionPool }
