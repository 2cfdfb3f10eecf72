// Raw sockets on both sides of the proxy, for the response-side tests: a scripted backend that
// records every byte each connection received and answers with bytes the test chooses, and a
// client that writes bytes and keeps every byte that comes back.
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** One request as the backend received it. */
export interface BackendRequest {
  /** Its bytes, head and body, as they arrived (latin1). */
  readonly text: string
  /** Its index among all requests the backend received, from 0. */
  readonly index: number
  /** Its connection's index among the backend's connections, from 0. */
  readonly conn: number
  /** Its index among its connection's requests, from 0. */
  readonly onConn: number
}

export interface BackendConnection {
  /** Every byte the connection received, in order (latin1). */
  received: string
  /** The proxy closed or reset it (the backend saw the end or an error). */
  closedByPeer: boolean
  readonly socket: Socket
}

export interface ScriptedBackend {
  readonly port: number
  readonly connections: BackendConnection[]
  readonly requests: BackendRequest[]
  /** Whether connection `i` is closed by the proxy, now or within `ms`. */
  closedByPeer(i: number, ms?: number): Promise<boolean>
}

/**
 * A backend on raw sockets: each request (a head and a Content-Length body; the proxy frames
 * what it sends itself) is handed to `answer` with its socket, which writes what it likes.
 */
export async function scriptedBackend(
  t: Teardown,
  answer: (req: BackendRequest, socket: Socket) => void,
): Promise<ScriptedBackend> {
  const connections: BackendConnection[] = []
  const requests: BackendRequest[] = []
  const waiters = new Map<number, () => void>()
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const i = connections.length
    const c: BackendConnection = { received: '', closedByPeer: false, socket }
    connections.push(c)
    let pending = ''
    let onConn = 0
    const peerGone = () => {
      c.closedByPeer = true
      waiters.get(i)?.()
    }
    socket.on('end', peerGone)
    socket.on('error', peerGone)
    socket.on('data', (d: Buffer) => {
      const text = d.toString('latin1')
      c.received += text
      pending += text
      for (;;) {
        const end = pending.indexOf('\r\n\r\n')
        if (end < 0) return
        const m = /\r\ncontent-length: *(\d+)\r\n/i.exec(pending.slice(0, end + 2))
        const total = end + 4 + (m === null ? 0 : Number(m[1]))
        if (pending.length < total) return
        const req = { text: pending.slice(0, total), index: requests.length, conn: i, onConn }
        onConn++
        pending = pending.slice(total)
        requests.push(req)
        answer(req, socket)
      }
    })
  })
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
  t.teardown(() => {
    for (const c of connections) c.socket.destroy()
    server.close()
  })
  return {
    port,
    connections,
    requests,
    closedByPeer: (i, ms = WAIT_MS) =>
      connections[i]?.closedByPeer
        ? Promise.resolve(true)
        : new Promise((resolve) => {
            const timer = setTimeout(() => resolve(false), ms)
            waiters.set(i, () => {
              clearTimeout(timer)
              resolve(true)
            })
          }),
  }
}

export interface RawClient {
  /** Every byte received so far (latin1). */
  readonly received: string
  send(text: string): void
  /**
   * Waits until what was received satisfies `done`, the socket closed or `ms` passed (so a
   * failing test fails, not hangs); returns every byte received.
   */
  until(done: (received: string) => boolean, ms?: number): Promise<string>
  /** Every byte received once the proxy closed the connection, or after `ms` if it did not. */
  closed(ms?: number): Promise<{ received: string; closed: boolean }>
  destroy(): void
}

/** How long a test waits for something that should come at once. */
const WAIT_MS = 3000

/** A client on a raw socket to the proxy at `port`; destroyed at teardown. */
export async function rawClient(t: Teardown, port: number): Promise<RawClient> {
  const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  let received = ''
  let isClosed = false
  const checks = new Set<() => void>()
  s.setEncoding('latin1')
  s.on('data', (d: string) => {
    received += d
    for (const c of checks) c()
  })
  s.on('error', () => {})
  s.on('close', () => {
    isClosed = true
    for (const c of checks) c()
  })
  s.on('end', () => s.end())
  const until = (done: (received: string) => boolean, ms = WAIT_MS): Promise<string> =>
    new Promise((resolve) => {
      const check = () => {
        if (done(received) || isClosed) finish()
      }
      const finish = () => {
        clearTimeout(timer)
        checks.delete(check)
        resolve(received)
      }
      const timer = setTimeout(finish, ms)
      checks.add(check)
      check()
    })
  await new Promise<void>((resolve) => s.on('connect', () => resolve()))
  t.teardown(() => s.destroy())
  return {
    get received() {
      return received
    },
    send: (text) => void s.write(text, 'latin1'),
    until,
    closed: async (ms = WAIT_MS) => {
      await until(() => false, ms)
      return { received, closed: isClosed }
    },
    destroy: () => s.destroy(),
  }
}

/** `received` holds `n` whole responses framed by Content-Length (the proxy's own answers). */
export function responses(received: string): number {
  let n = 0
  let at = 0
  for (;;) {
    const end = received.indexOf('\r\n\r\n', at)
    if (end < 0) return n
    const m = /\r\ncontent-length: *(\d+)\r\n/i.exec(received.slice(at, end + 2))
    const next = end + 4 + (m === null ? 0 : Number(m[1]))
    if (received.length < next) return n
    n++
    at = next
  }
}

/** The status of the response starting at `received`'s index `at`. */
export const statusAt = (received: string, at = 0) => Number(received.slice(at + 9, at + 12))

/**
 * A request as the proxy (runProxy, localConfig) sends it to the backend at `port` for service
 * `/svc/<host>`, with the per-request values (request id, deadline) left as `*`; compare with
 * `normalized` of what the backend received.
 */
export function forwardedByProxy(
  port: number,
  request: { method?: string; path?: string; host?: string; headers?: string; body?: string },
): string {
  const host = request.host ?? 'world'
  const body = request.body ?? ''
  return (
    `${request.method ?? 'GET'} ${request.path ?? '/'} HTTP/1.1\r\nhost: ${host}\r\n${request.headers ?? ''}` +
    `l5d-dst-service: /svc/${host}\r\nl5d-dst-client: /$/inet/127.0.0.1/${port}\r\n` +
    'l5d-reqid: *\r\nvia: 1.1 switchyard\r\nl5d-ctx-deadline: *\r\n' +
    (body === '' ? '' : `content-length: ${body.length}\r\n`) +
    `\r\n${body}`
  )
}

/** Backend bytes with the per-request header values (request id, deadline) as `*`. */
export const normalized = (text: string) =>
  text.replace(/\r\n(l5d-reqid|l5d-ctx-deadline): [^\r]*/g, '\r\n$1: *')
