// Real HTTP/2 parts for the h2 router's tests: backends on node's http2 server that record
// what reached them (h2c, on 127.0.0.1:0), a proxy with one h2 router started as main.ts starts
// it, and a client on node's http2 client that can send any headers and read the status,
// headers, body, trailers and reset code.
import {
  type ClientHttp2Session,
  connect,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
  type ServerHttp2Stream,
} from 'node:http2'
import type { AddressInfo, Socket } from 'node:net'
import { ProxyConfig, type ProxyConfig as ProxyConfigType } from '../src/config/schema.js'
import { runProxy, type TestProxy } from './router-helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface H2Seen {
  readonly headers: IncomingHttpHeaders
  body: string
}

export interface H2Backend {
  readonly port: number
  readonly seen: H2Seen[]
  close(): Promise<void>
}

/**
 * An h2c backend. By default it reads the whole request and answers 200 with `name` as the
 * body; `reply` answers instead (it gets the stream once the request body is read, unless
 * `streaming`: then at once, the body unread).
 */
export async function h2Backend(
  t: Teardown,
  name: string,
  reply?: (stream: ServerHttp2Stream, seen: H2Seen) => void,
  options: { streaming?: boolean } = {},
): Promise<H2Backend> {
  const seen: H2Seen[] = []
  const server = createServer()
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {})
    const s: H2Seen = { headers, body: '' }
    seen.push(s)
    if (options.streaming && reply) {
      reply(stream, s)
      return
    }
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      s.body += chunk
    })
    stream.on('end', () => {
      if (reply) reply(stream, s)
      else {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' })
        stream.end(name)
      }
    })
  })
  server.on('sessionError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const sessions = new Set<import('node:http2').Http2Session>()
  server.on('session', (s) => {
    sessions.add(s)
    s.on('close', () => sessions.delete(s))
    s.on('error', () => {})
  })
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sessions) s.destroy()
      server.close(() => resolve())
    })
  t.teardown(close)
  return { port, seen, close }
}

/** A gRPC-shaped answer: headers, one body chunk, then trailers with `grpcStatus`. */
export function grpcAnswer(
  grpcStatus: number,
  extra: { headers?: OutgoingHttpHeaders; trailers?: OutgoingHttpHeaders; body?: Buffer } = {},
): (stream: ServerHttp2Stream) => void {
  return (stream) => {
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', ...extra.headers },
      { waitForTrailers: true },
    )
    stream.on('wantTrailers', () =>
      stream.sendTrailers({ 'grpc-status': String(grpcStatus), ...extra.trailers }),
    )
    stream.end(extra.body ?? grpcFrame('hello'))
  }
}

/** One gRPC message frame (uncompressed) holding `text`. */
export function grpcFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8')
  const head = Buffer.alloc(5)
  head.writeUInt32BE(payload.length, 1)
  return Buffer.concat([head, payload])
}

export const inet = (port: number) => `/$/inet/127.0.0.1/${port}`

/** A proxy config with one h2 router on 127.0.0.1:0, a local interpreter and `dtab`. */
export function h2Config(
  dtab: string,
  router: Record<string, unknown> = {},
  server: Record<string, unknown> = {},
): ProxyConfigType {
  return ProxyConfig.parse({
    admin: { ip: '127.0.0.1', port: 0 },
    routers: [
      {
        protocol: 'h2',
        label: 'h2',
        interpreter: { kind: 'local', dtab },
        servers: [{ ip: '127.0.0.1', port: 0, ...server }],
        ...router,
      },
    ],
  })
}

export async function h2Proxy(
  t: Teardown,
  config: ProxyConfigType,
  options: { baseDir?: string } = {},
): Promise<TestProxy> {
  return runProxy(t, config, options)
}

export interface H2Reply {
  readonly status: number | undefined
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly trailers: IncomingHttpHeaders | undefined
  /** The RST_STREAM code the stream closed with (0 when it ended normally). */
  readonly rstCode: number | undefined
}

/** A client session to `authority` (`http://127.0.0.1:port` or https with `tls`). */
export function h2Connect(
  t: Teardown,
  authority: string,
  tls?: SecureClientSessionOptions,
): ClientHttp2Session {
  const session = connect(authority, tls)
  session.on('error', () => {})
  t.teardown(() => session.destroy())
  return session
}

/**
 * One request on `session`: `headers` (`:authority` defaults to the session's), `body`
 * written then ended. Resolves when the stream closes, however it closes.
 */
export function h2Request(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: string | Buffer,
): Promise<H2Reply> {
  return new Promise((resolve) => {
    const req = session.request({ ':method': body === undefined ? 'GET' : 'POST', ...headers })
    let status: number | undefined
    let resHeaders: IncomingHttpHeaders = {}
    let trailers: IncomingHttpHeaders | undefined
    let text = ''
    req.on('error', () => {})
    req.on('response', (h) => {
      status = Number(h[':status'])
      resHeaders = h
    })
    req.on('trailers', (h) => {
      trailers = h
    })
    req.setEncoding('utf8')
    req.on('data', (c: string) => {
      text += c
    })
    req.on('close', () =>
      resolve({ status, headers: resHeaders, body: text, trailers, rstCode: req.rstCode }),
    )
    req.end(body)
  })
}

/** `l5d-*` fields only. */
export function l5dOf(h: IncomingHttpHeaders): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(h)) if (k.startsWith('l5d-')) out[k] = v
  return out
}

/**
 * Whether the peer closes `sock` within `ms` (else it is destroyed then); what it sends is read
 * and dropped.
 */
export function closedWithin(sock: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    sock.on('error', () => {})
    sock.resume()
    sock.on('close', () => resolve(true))
    setTimeout(() => {
      sock.destroy()
      resolve(false)
    }, ms).unref()
  })
}

/**
 * Listens on 127.0.0.1 (a free port, returned) and, when `t` ends, destroys the sessions the
 * server accepted and closes it: a backend of a test's own making, stopped with the test.
 */
export async function listenForTest(
  t: { teardown(fn: () => unknown): void },
  server: Http2Server | Http2SecureServer,
): Promise<number> {
  const sessions = new Set<Http2Session>()
  server.on('session', (s) => {
    sessions.add(s)
    s.on('close', () => sessions.delete(s))
    s.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy()
        server.close(() => resolve())
      }),
  )
  return (server.address() as AddressInfo).port
}
