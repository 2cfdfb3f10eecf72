// The admin server's connections: a bound, and a deadline for each request head, so that a
// flood of idle or half-sent connections can neither take the proxy's file descriptors nor
// keep the liveness and readiness probes out (namerd's connections.ts does the same, with a
// share for its API beside; every admin route is a probe or a scrape).
// - At most `maxConnections` are open. A new connection at the limit closes the one idle
//   longest (no request in progress: waiting for its first head, or kept alive), as nginx
//   reuses idle connections; only when every connection is busy is the new one refused, with
//   a 503, at once.
// - A new connection must complete its first request head within `headersTimeoutMs`: node's
//   own headersTimeout starts at the first byte, so a connection that sent nothing stayed
//   forever. Later heads are node's (headersTimeout, requestTimeout, keepAliveTimeout).
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'

export interface AdminConnectionLimits {
  /** Most connections open at once. Default 256: probes, scrapes and a few people. */
  readonly maxConnections: number
  /** How long a client has to send a whole request head. Default 10000 ms. */
  readonly headersTimeoutMs: number
}

export const DEFAULT_ADMIN_CONNECTION_LIMITS: AdminConnectionLimits = {
  maxConnections: 256,
  headersTimeoutMs: 10_000,
}

/** A whole request, body included (POST /delegator.json), must arrive within this. */
export const ADMIN_REQUEST_TIMEOUT_MS = 30_000

/** How often idle connections are checked against their deadline (node's check, too). */
export function adminSweepMs(limits: AdminConnectionLimits): number {
  return Math.max(25, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)))
}

interface Conn {
  /** Requests parsed and not yet answered. */
  active: number
  /** No request has been parsed on it yet. */
  fresh: boolean
  /** When it last became idle (performance.now()). */
  since: number
}

const REPORT_INTERVAL_MS = 10_000

function plain(status: string, text: string): string {
  return `HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
}

/** Holds the connections of `server` to `limits`. */
export function limitAdminConnections(
  server: Server,
  limits: AdminConnectionLimits,
  logger: Logger,
): void {
  const all = new Map<Socket, Conn>()
  /** Connections with no request in progress, the one idle longest first. */
  const idle = new Map<Socket, Conn>()
  const refusal = plain(
    '503 Service Unavailable',
    `the admin server is at its connection limit (admin.maxConnections: ${limits.maxConnections}) and every connection is busy\n`,
  )
  const late = plain(
    '408 Request Timeout',
    `no complete request head in time (admin.headersTimeoutMs: ${limits.headersTimeoutMs})\n`,
  )

  // One log line at once, then at most one per interval, with the counts since the last.
  let counts = { refused: 0, shed: 0, timedOut: 0 }
  let last = Number.NEGATIVE_INFINITY
  let reportTimer: NodeJS.Timeout | undefined
  const flush = () => {
    clearTimeout(reportTimer)
    reportTimer = undefined
    last = performance.now()
    const line = { open: all.size, maxConnections: limits.maxConnections, ...counts }
    const msg = 'admin connection limits closed connections (counts since the last such line)'
    if (counts.refused + counts.shed > 0) logger.warn(line, msg)
    else logger.info(line, msg)
    counts = { refused: 0, shed: 0, timedOut: 0 }
  }
  const note = (kind: keyof typeof counts) => {
    counts[kind]++
    const wait = last + REPORT_INTERVAL_MS - performance.now()
    if (wait <= 0) flush()
    else reportTimer ??= setTimeout(flush, wait).unref()
  }

  const forget = (socket: Socket) => {
    if (all.delete(socket)) idle.delete(socket)
  }
  const close = (socket: Socket, lastWords: string | null) => {
    forget(socket)
    // A small write on an open socket reaches the kernel at once; destroy does not drop it.
    if (lastWords !== null && socket.writable) socket.write(lastWords)
    socket.destroy()
  }

  server.on('connection', (socket: Socket) => {
    if (all.size >= limits.maxConnections) {
      const oldest = idle.keys().next()
      if (oldest.done) {
        note('refused')
        close(socket, refusal)
        return
      }
      note('shed')
      close(oldest.value, null)
    }
    const conn: Conn = { active: 0, fresh: true, since: performance.now() }
    all.set(socket, conn)
    idle.set(socket, conn)
    socket.once('close', () => forget(socket))
  })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket
    const conn = all.get(socket)
    if (conn === undefined) return
    if (conn.active++ === 0) idle.delete(socket)
    conn.fresh = false
    res.once('close', () => {
      if (--conn.active > 0 || socket.destroyed || !all.has(socket)) return
      conn.since = performance.now()
      idle.set(socket, conn)
    })
  })
  server.on('clientError', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') note('timedOut')
  })

  // Only fresh connections are node's blind spot; kept-alive ones are closed by node.
  const sweep = setInterval(() => {
    const now = performance.now()
    for (const [socket, conn] of idle) {
      if (now - conn.since < limits.headersTimeoutMs) break
      if (conn.fresh) {
        note('timedOut')
        close(socket, late)
      }
    }
  }, adminSweepMs(limits)).unref()
  server.once('close', () => {
    clearInterval(sweep)
    clearTimeout(reportTimer)
  })
}
