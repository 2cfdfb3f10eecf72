// Connections: how many namerd holds, how long a client may take to send a request head, and a
// share kept for the operations endpoints, so that no flood of idle or half-open connections
// can take namerd's file descriptors or lock its probes out.
//
// The share is kept on the one port, by shedding idle connections (as nginx reuses its idle
// connections) and by capping what API requests may hold (as Envoy's overload manager does):
// - At most `maxConnections` are open. A new connection at the limit closes the one idle
//   longest, with no request in progress: waiting for its first head, or kept alive between
//   requests. A connection with a request in progress, a watch stream above all, is never shed.
//   Only when every connection is busy is the new one refused: a 503, closed at once.
// - API requests (all but /ready, /admin/ping and /metrics) may keep at most
//   `maxConnections - reservedConnections` connections busy (counted by connection: requests
//   pipelined on one take one place); beyond that they get 503 `overloaded` with
//   `connection: close`. So at least `reservedConnections` connections are idle or serving
//   probes: a probe always finds a free place or an idle connection to shed.
// - A new connection must complete its first request head within `headersTimeoutMs`. Node's
//   own headersTimeout starts at the first byte, so a connection that sends nothing would stay
//   forever. Later requests on a kept-alive connection are node's (keepAliveTimeout to their
//   first byte, headersTimeout to the end of the head, requestTimeout to the end of the body);
//   the sweep here only backs them up.
import { readFileSync } from 'node:fs'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { TLSSocket, Server as TlsServer } from 'node:tls'
import type { FastifyBaseLogger } from 'fastify'
import type { Metrics } from './metrics.js'

export interface ConnectionLimits {
  /**
   * Most client connections open at once, watch streams included. Default 12288: room for
   * `limits.maxWatchers` (10000, one connection each) and for the API beside them.
   */
  readonly maxConnections: number
  /** Connections API requests may never hold: kept for /ready, /admin/ping, /metrics. Default 64. */
  readonly reservedConnections: number
  /** How long a client has to send a whole request head. Default 10000 ms. */
  readonly headersTimeoutMs: number
  /** How long a client has to send a whole request, head and body. Default 30000 ms. */
  readonly requestTimeoutMs: number
  /** How long a kept-alive connection may wait for its next request. Default 72000 ms. */
  readonly keepAliveTimeoutMs: number
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 12_288,
  reservedConnections: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
}

/**
 * The limits with their defaults filled in (an undefined key keeps its default). The default
 * reserve is 64, or a quarter of `maxConnections` when that is less. Throws a RangeError naming
 * the keys that do not fit.
 */
export function resolveConnectionLimits(
  given: { readonly [K in keyof ConnectionLimits]?: number | undefined } = {},
): ConnectionLimits {
  const d = DEFAULT_CONNECTION_LIMITS
  const maxConnections = given.maxConnections ?? d.maxConnections
  const limits: ConnectionLimits = {
    maxConnections,
    reservedConnections:
      given.reservedConnections ?? Math.min(d.reservedConnections, Math.floor(maxConnections / 4)),
    headersTimeoutMs: given.headersTimeoutMs ?? d.headersTimeoutMs,
    requestTimeoutMs: given.requestTimeoutMs ?? d.requestTimeoutMs,
    keepAliveTimeoutMs: given.keepAliveTimeoutMs ?? d.keepAliveTimeoutMs,
  }
  const problems: string[] = []
  if (limits.reservedConnections < 1 || limits.reservedConnections >= limits.maxConnections)
    problems.push(
      `limits.reservedConnections (${limits.reservedConnections}) must be at least 1 and below limits.maxConnections (${limits.maxConnections})`,
    )
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    problems.push(
      `limits.headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed limits.requestTimeoutMs (${limits.requestTimeoutMs}): the head is part of the request`,
    )
  if (problems.length > 0) throw new RangeError(problems.join('; '))
  return limits
}

/**
 * The routes the reserved share is kept for: probes and scrapes, cheap and open to all, under
 * namerd's names and the proxy's (routes/admin.ts).
 */
export const OPERATIONS_ROUTES: ReadonlySet<string> = new Set([
  '/ready',
  '/admin/ready',
  '/admin/ping',
  '/metrics',
  '/admin/metrics/prometheus',
])

/** File descriptors left for the store, the namers, the log and node itself. */
export const FD_HEADROOM = 256

/**
 * The process's limit on open files, or null where it cannot be read (not Linux). Node raises
 * the soft limit to the hard one when it starts, so this is the limit namerd really has.
 */
export function openFileLimit(
  read = () => readFileSync('/proc/self/limits', 'utf8'),
): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(read())
    return m === null || m[1] === 'unlimited' ? null : Number(m[1])
  } catch {
    return null
  }
}

/**
 * The limits, with `maxConnections` lowered to leave FD_HEADROOM descriptors under `fileLimit`
 * (and the reserve to a quarter of it at most), as HAProxy adjusts its maxconn to `ulimit -n`.
 */
export function fitToFileLimit(
  limits: ConnectionLimits,
  fileLimit: number | null,
): { readonly limits: ConnectionLimits; readonly lowered: boolean } {
  if (fileLimit === null || limits.maxConnections <= fileLimit - FD_HEADROOM)
    return { limits, lowered: false }
  const maxConnections = Math.max(16, fileLimit - FD_HEADROOM)
  const reservedConnections = Math.min(limits.reservedConnections, Math.floor(maxConnections / 4))
  return { limits: { ...limits, maxConnections, reservedConnections }, lowered: true }
}

/** How often idle connections are checked against their deadline (node's check, too). */
export function sweepIntervalMs(limits: ConnectionLimits): number {
  return Math.max(25, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)))
}

interface Conn {
  /** Requests parsed and not yet answered. */
  active: number
  /** No request has been parsed on it yet. */
  fresh: boolean
  /** When it last became idle (performance.now()). */
  since: number
  /** API requests in progress on it: the connection holds a place of the API share while > 0. */
  api: number
}

function rawResponse(status: string, headers: string, error: string, message: string): string {
  const body = JSON.stringify({ error, message })
  return `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\n${headers}connection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

/**
 * Answers what node's parser refuses before any route sees it (fastify's clientErrorHandler):
 * a late head or body (408), headers too large (431), a malformed request (400), each with
 * namerd's JSON error body, then closes the connection.
 */
export function clientErrorResponder(
  limits: ConnectionLimits,
): (err: NodeJS.ErrnoException, socket: Socket) => void {
  const late = rawResponse(
    '408 Request Timeout',
    '',
    'timeout',
    `the request did not arrive in time (limits.headersTimeoutMs: ${limits.headersTimeoutMs} for the head, limits.requestTimeoutMs: ${limits.requestTimeoutMs} for all of it)`,
  )
  const large = rawResponse(
    '431 Request Header Fields Too Large',
    '',
    'headers_too_large',
    'the request head is larger than 16 KiB',
  )
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    const answer =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? late
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? large
          : rawResponse(
              '400 Bad Request',
              '',
              'bad_request',
              `malformed request (${err.code ?? 'parse error'})`,
            )
    if (socket.writable) socket.write(answer)
    socket.destroy()
  }
}

/** Counts what the limits closed and logs it: at once, then at most one line per interval. */
class ClosedReport {
  static readonly INTERVAL_MS = 10_000
  #counts = { refused: 0, shed: 0, timedOut: 0 }
  #last = Number.NEGATIVE_INFINITY
  #timer: NodeJS.Timeout | undefined

  constructor(
    private readonly logger: FastifyBaseLogger,
    private readonly context: () => Record<string, number>,
  ) {}

  note(kind: 'refused' | 'shed' | 'timedOut'): void {
    this.#counts[kind]++
    const wait = this.#last + ClosedReport.INTERVAL_MS - performance.now()
    if (wait <= 0) this.#flush()
    else this.#timer ??= setTimeout(() => this.#flush(), wait).unref()
  }

  #flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#last = performance.now()
    const counts = this.#counts
    this.#counts = { refused: 0, shed: 0, timedOut: 0 }
    const line = { ...this.context(), ...counts }
    const msg = 'connection limits closed connections (counts since the last such line)'
    if (counts.refused + counts.shed > 0) this.logger.warn(line, msg)
    else this.logger.info(line, msg)
  }

  stop(): void {
    clearTimeout(this.#timer)
  }
}

/** Watches every connection of one HTTP server and holds it to the limits. */
export class ConnectionGuard {
  readonly #all = new Map<Socket, Conn>()
  /**
   * Over TLS: the TCP sockets whose handshake is not done, by peer address and port, so the
   * TLS socket requests arrive on can take its TCP socket's place once it is.
   */
  readonly #handshaking = new Map<string, Socket>()
  readonly #tls: boolean
  /** Connections with no request in progress, the one idle longest first. */
  readonly #idle = new Map<Socket, Conn>()
  /** Connections with an API request in progress. */
  #apiConnections = 0
  readonly #sweep: NodeJS.Timeout
  readonly #report: ClosedReport
  readonly #refusal: string
  readonly #headTimeout: string

  constructor(
    server: Server,
    readonly limits: ConnectionLimits,
    private readonly metrics: Metrics,
    logger: FastifyBaseLogger,
  ) {
    this.#report = new ClosedReport(logger, () => ({
      open: this.#all.size,
      maxConnections: limits.maxConnections,
    }))
    this.#refusal = rawResponse(
      '503 Service Unavailable',
      'retry-after: 1\r\n',
      'overloaded',
      `namerd is at its connection limit (limits.maxConnections: ${limits.maxConnections}) and every connection is busy; retry later`,
    )
    this.#headTimeout = rawResponse(
      '408 Request Timeout',
      '',
      'timeout',
      `no complete request head in time (limits.headersTimeoutMs: ${limits.headersTimeoutMs})`,
    )
    // Over TLS a connection is counted from its TCP accept, so handshakes that never finish are
    // held to the limit and the head deadline as idle connections are; once the handshake is
    // done, the TLS socket, where requests arrive, takes the TCP socket's place.
    this.#tls = server instanceof TlsServer
    server.on('connection', (socket: Socket) => this.#accept(socket))
    if (this.#tls) server.on('secureConnection', (socket: TLSSocket) => this.#secured(socket))
    server.on('request', (req: IncomingMessage, res: ServerResponse) =>
      this.#begin(req.socket, res),
    )
    // Node's own head and request timeouts (fastify answers them 408 and closes).
    server.on('clientError', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') this.#timedOut()
    })
    this.#sweep = setInterval(() => this.#expire(), sweepIntervalMs(limits)).unref()
    server.once('close', () => this.stop())
  }

  /** Connections open now. */
  get open(): number {
    return this.#all.size
  }

  /** Connections with an API request in progress now. */
  get apiConnections(): number {
    return this.#apiConnections
  }

  /**
   * Admits an API request on `socket`: null when API requests already hold every connection
   * but the reserved ones, else the function that ends it (call it once the response closes).
   * Places are counted by connection, so requests pipelined on one connection (node parses
   * them all while the first is answered) take one place, as they hold one descriptor.
   */
  admitApi(socket: Socket): (() => void) | null {
    let conn = this.#all.get(socket)
    if (conn === undefined) {
      // A socket no longer tracked (closed meanwhile, or an injected request) counts on its
      // own, and gives its place back when it closes, as a tracked one does in #forget.
      const own: Conn = { active: 0, fresh: false, since: 0, api: 0 }
      socket.once('close', () => this.#releaseApi(own))
      conn = own
    }
    if (conn.api === 0) {
      if (this.#apiConnections >= this.limits.maxConnections - this.limits.reservedConnections)
        return null
      this.#apiConnections++
    }
    conn.api++
    const held = conn
    let done = false
    return () => {
      // After the socket closed, its place is already given back (#releaseApi).
      if (done || held.api === 0) return
      done = true
      if (--held.api === 0) this.#apiConnections--
    }
  }

  /**
   * Gives back the API place of a connection that closed. Node 22 emits no 'close' for the
   * responses still queued behind a pipelined request when the socket dies, so waiting for
   * each response's close would lose the place for good.
   */
  #releaseApi(conn: Conn): void {
    if (conn.api === 0) return
    conn.api = 0
    this.#apiConnections--
  }

  stop(): void {
    clearInterval(this.#sweep)
    this.#report.stop()
  }

  #accept(socket: Socket): void {
    if (this.#all.size >= this.limits.maxConnections) {
      const oldest = this.#idle.keys().next()
      if (oldest.done) {
        this.metrics.connectionsRefused.inc()
        this.#report.note('refused')
        this.#close(socket, this.#refusal)
        return
      }
      this.metrics.connectionsShed.inc()
      this.#report.note('shed')
      this.#close(oldest.value, null)
    }
    const conn: Conn = { active: 0, fresh: true, since: performance.now(), api: 0 }
    this.#all.set(socket, conn)
    this.#idle.set(socket, conn)
    this.metrics.connectionsOpen.set(this.#all.size)
    socket.once('close', () => this.#forget(socket))
    if (this.#tls && !(socket instanceof TLSSocket)) {
      const key = peerKey(socket)
      if (key !== null) {
        this.#handshaking.set(key, socket)
        socket.once('close', () => {
          if (this.#handshaking.get(key) === socket) this.#handshaking.delete(key)
        })
      }
    }
  }

  /** A handshake done: the TLS socket takes its TCP socket's place, a fresh connection. */
  #secured(socket: TLSSocket): void {
    const key = peerKey(socket)
    const tcp = key === null ? undefined : this.#handshaking.get(key)
    if (key !== null) this.#handshaking.delete(key)
    const conn = tcp === undefined ? undefined : this.#all.get(tcp)
    if (tcp === undefined || conn === undefined) {
      // Not found by its peer (it had no address): counted as a new connection.
      this.#accept(socket)
      return
    }
    this.#all.delete(tcp)
    this.#idle.delete(tcp)
    // The head deadline starts again after the handshake (handshakeTimeout bounded that), and
    // the idle map stays in the order of `since`, which the sweep relies on.
    conn.since = performance.now()
    this.#all.set(socket, conn)
    this.#idle.set(socket, conn)
    socket.once('close', () => this.#forget(socket))
  }

  #begin(socket: Socket, res: ServerResponse): void {
    const conn = this.#all.get(socket)
    if (conn === undefined) return // closed by the limits meanwhile
    if (conn.active++ === 0) this.#idle.delete(socket)
    conn.fresh = false
    res.once('close', () => {
      if (--conn.active > 0 || socket.destroyed || !this.#all.has(socket)) return
      conn.since = performance.now()
      this.#idle.set(socket, conn)
    })
  }

  /** Closes the idle connections past their deadline; the map is in idle order. */
  #expire(): void {
    const now = performance.now()
    const { headersTimeoutMs, keepAliveTimeoutMs } = this.limits
    for (const [socket, conn] of this.#idle) {
      const idleFor = now - conn.since
      if (idleFor < headersTimeoutMs) break
      if (conn.fresh || idleFor >= keepAliveTimeoutMs + headersTimeoutMs) {
        this.#timedOut()
        this.#close(socket, this.#headTimeout)
      }
    }
  }

  #timedOut(): void {
    this.metrics.connectionsTimedOut.inc()
    this.#report.note('timedOut')
  }

  /** Forgets the socket now and destroys it, after writing `last` if given. */
  #close(socket: Socket, last: string | null): void {
    this.#forget(socket)
    // A small write on an open socket reaches the kernel at once; destroy does not drop it.
    // Over TLS, a TCP socket still in its handshake cannot take an HTTP answer: closed bare.
    const speaksHttp = !this.#tls || socket instanceof TLSSocket
    if (last !== null && speaksHttp && socket.writable) socket.write(last)
    socket.destroy()
  }

  #forget(socket: Socket): void {
    const conn = this.#all.get(socket)
    if (conn === undefined) return
    this.#all.delete(socket)
    this.#releaseApi(conn)
    this.#idle.delete(socket)
    this.metrics.connectionsOpen.set(this.#all.size)
  }
}

/** `address|port` of the peer, the same for a TLS socket and the TCP socket under it. */
function peerKey(socket: Socket): string | null {
  const { remoteAddress, remotePort } = socket
  return remoteAddress === undefined || remotePort === undefined
    ? null
    : `${remoteAddress}|${remotePort}`
}
