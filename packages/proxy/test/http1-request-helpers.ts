// Raw sockets on both sides of the real proxy, for the request-side HTTP/1.1 tests: a client
// that writes exact bytes, and a relay in front of a node backend that records, byte for byte,
// what the backend received on each connection, so a forwarded hidden request cannot go
// unnoticed.
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import {
  inet,
  localConfig,
  type RecordingBackend,
  recordingBackend,
  runProxy,
} from './router-helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/**
 * Writes `chunks` (with `gapMs` between them) and collects what comes back until the proxy
 * closes. A FIN from the proxy does not stop the client writing, as it would not stop a
 * hostile one; the client never half-closes first (that aborts a request in flight).
 */
export function raw(
  port: number,
  chunks: readonly (string | Buffer)[],
  gapMs = 30,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    let got = ''
    s.setEncoding('latin1')
    s.on('data', (d: string) => {
      got += d
    })
    s.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after the proxy answered still leaves its answer to look at.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve(got)
      else reject(err)
    })
    s.on('close', () => resolve(got))
    let written: Promise<void> = Promise.resolve()
    s.on('end', () => void written.then(() => s.end()))
    s.on('connect', () => {
      written = (async () => {
        for (const [i, c] of chunks.entries()) {
          if (i > 0) await sleep(gapMs)
          if (!s.destroyed) typeof c === 'string' ? s.write(c, 'latin1') : s.write(c)
        }
      })()
    })
  })
}

/**
 * A client that writes `first`, then waits: resolves with what came back and whether the
 * proxy closed the connection within `waitMs`, without writing anything more.
 */
export function answeredWithin(
  port: number,
  first: string,
  waitMs: number,
): Promise<{ got: string; closed: boolean; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    let got = ''
    s.setEncoding('latin1')
    s.on('data', (d: string) => {
      got += d
    })
    const timer = setTimeout(() => {
      s.destroy()
      resolve({ got, closed: false, ms: performance.now() - start })
    }, waitMs)
    s.on('error', reject)
    s.on('end', () => {
      clearTimeout(timer)
      s.destroy()
      resolve({ got, closed: true, ms: performance.now() - start })
    })
    s.on('connect', () => s.write(first, 'latin1'))
  })
}

export interface RecordedConnection {
  /** Every byte the backend received on this connection, latin1. */
  bytes: string
  /** The proxy closed (or reset) the connection. */
  closed: boolean
}

export interface Relay {
  readonly port: number
  readonly connections: RecordedConnection[]
  /** Everything the backend received, connections in the order they opened. */
  received(): string
}

/** A TCP relay to `target` that records what passes towards it. */
export async function recordingRelay(t: Teardown, target: number): Promise<Relay> {
  const connections: RecordedConnection[] = []
  const sockets = new Set<Socket>()
  const server = createServer((inbound) => {
    const rec: RecordedConnection = { bytes: '', closed: false }
    connections.push(rec)
    const outbound = connect({ port: target, host: '127.0.0.1' })
    sockets.add(inbound).add(outbound)
    inbound.on('data', (d: Buffer) => {
      rec.bytes += d.toString('latin1')
      outbound.write(d)
    })
    outbound.on('data', (d: Buffer) => inbound.write(d))
    const cut = () => {
      rec.closed = true
      inbound.destroy()
      outbound.destroy()
    }
    inbound.on('close', cut).on('error', cut).on('end', cut)
    outbound.on('close', cut).on('error', cut)
  })
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  return { port, connections, received: () => connections.map((c) => c.bytes).join('') }
}

export interface Setup {
  /** The proxy's port. */
  readonly port: number
  readonly world: RecordingBackend
  readonly relay: Relay
  readonly proxy: Awaited<ReturnType<typeof runProxy>>
}

/** The real proxy routing `/svc/world` to a node backend through a recording relay. */
export async function setup(t: Teardown, router: Record<string, unknown> = {}): Promise<Setup> {
  const world = await recordingBackend(t, 'world')
  const relay = await recordingRelay(t, world.port)
  const proxy = await runProxy(t, localConfig(`/svc/world => ${inet(relay.port)}`, router))
  return { port: proxy.port, world, relay, proxy }
}

/** The request id and the deadline differ on every request: masked for comparison. */
export function masked(bytes: string): string {
  return bytes
    .replace(/\r\nl5d-reqid: [^\r]*/g, '\r\nl5d-reqid: *')
    .replace(/\r\nl5d-ctx-deadline: [^\r]*/g, '\r\nl5d-ctx-deadline: *')
}

/**
 * The bytes the proxy sends a backend for a request it routed as `/svc/world`: the
 * request line, `headers` as given (lower-case names), the proxy's own, then the framing and
 * `body`. Masked as by `masked`.
 */
export function forwarded(
  s: Setup,
  requestLine: string,
  headers: string,
  framing = '',
  body = '',
): string {
  return (
    `${requestLine}\r\n${headers}l5d-dst-service: /svc/world\r\n` +
    `l5d-dst-client: /$/inet/127.0.0.1/${s.relay.port}\r\nl5d-reqid: *\r\nvia: 1.1 switchyard\r\n` +
    `l5d-ctx-deadline: *\r\n${framing}\r\n${body}`
  )
}

export const statusOf = (response: string) => Number(response.slice(9, 12))

/** How many responses `text` holds. */
export const responses = (text: string) => text.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
