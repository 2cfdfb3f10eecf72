// Keep-alive connections to one endpoint. Each socket carries one exchange at a time; between
// exchanges it waits on an idle stack (the most recently used first, so a few warm sockets do
// the work and the rest time out). Listeners are attached once per socket and dispatch to the
// exchange that holds it, so a request adds and removes none.
//
// An idle connection is kept until its deadline: the pool's limit, or a margin short of the
// backend's own `Keep-Alive: timeout=` (keep-alive.ts), whichever comes first. It is checked
// when a connection is handed out, so none is used past it however late the sweep runs: a
// request written on a socket the backend is closing fails, and one with a body cannot be
// retried (RFC 9110 §9.2.2).
import { connect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { hostPort } from '@switchyard/wire'
import type { ClientTls } from '../tls/client-tls.js'
import { idleLimit, NO_HINT } from './keep-alive.js'

/** What holds a connection: told of its bytes, its end and its errors. */
export interface ConnectionOwner {
  onUpstreamData(conn: UpstreamConnection, chunk: Buffer): void
  /** The connection closed: `err` when it failed, undefined on the backend's clean close. */
  onUpstreamClose(conn: UpstreamConnection, err: Error | undefined): void
  onUpstreamDrain(conn: UpstreamConnection): void
}

/** Told when a connection is ready or could not be made. */
export interface ConnectionWaiter {
  onConnection(conn: UpstreamConnection): void
  onConnectError(err: Error): void
}

export interface PoolOptions {
  readonly connectTimeoutMs: number
  /** Connections open at once (in use or idle); default unlimited. */
  readonly maxConnections: number | undefined
  /** How long an idle connection is kept at most; default 4 s (undici's default, kept). */
  readonly keepAliveTimeoutMs: number | undefined
  /** TLS to the endpoint (the client's `tls`, resolved for its bound id); default cleartext. */
  readonly tls?: ClientTls | undefined
}

/**
 * A TLS failure, worded for the 502 that answers it (the peer's certificate expired, is for
 * another name, is signed by an unknown CA; the peer refused our client certificate), with
 * node's code for searching. Node's own message is not appended (errorMessage would add a
 * cause's): it repeats what the sentence says, less clearly.
 */
export class UpstreamTlsError extends Error {
  override readonly name = 'UpstreamTlsError'
  /** Node's (OpenSSL's) code of the failure, e.g. CERT_HAS_EXPIRED. */
  readonly tlsCode: string | undefined
  constructor(message: string, tlsCode?: string) {
    super(tlsCode === undefined ? message : `${message} (${tlsCode})`)
    this.tlsCode = tlsCode
  }
}

/** `err` as an UpstreamTlsError when it is a TLS failure, else unchanged. */
function tlsFailure(
  tls: ClientTls | undefined,
  err: Error,
  peer: string,
  handshaking = false,
): Error {
  if (tls === undefined || err instanceof UpstreamTlsError) return err
  const said = tls.describe(err, peer, handshaking)
  if (said === undefined) return err
  const code = (err as { code?: unknown }).code
  return new UpstreamTlsError(said, typeof code === 'string' ? code : undefined)
}

export class UpstreamConnection {
  owner: ConnectionOwner | undefined
  /** It carried an exchange before: a close before any answer may be a keep-alive race. */
  reused = false
  /** While idle: when it must no longer be used (performance.now() time). */
  idleUntil = 0
  private error: Error | undefined
  /** The backend sent something on it. */
  private answered = false

  constructor(
    readonly pool: UpstreamPool,
    readonly socket: Socket,
  ) {
    socket.on('data', (d: Buffer) => {
      this.answered = true
      if (this.owner !== undefined) this.owner.onUpstreamData(this, d)
      // Bytes nobody asked for on an idle connection: the server is confused; drop it.
      else socket.destroy()
    })
    socket.on('drain', () => this.owner?.onUpstreamDrain(this))
    socket.on('error', (err) => {
      // TLS 1.3 sends a refused client certificate's alert after the handshake: it arrives here.
      this.error = tlsFailure(pool.options.tls, err, pool.peer)
    })
    socket.on('close', () => {
      // Node's TLS servers refuse a client certificate they do not trust by closing, without an
      // alert: a close of a new TLS connection before any answer, when we presented one, is
      // most likely that, and the 502 says so.
      if (this.error === undefined && !this.answered && !this.reused) {
        const tls = pool.options.tls
        if (tls?.config.clientAuth !== undefined) {
          this.error = new UpstreamTlsError(
            `${pool.peer} closed the connection after the TLS handshake, before any answer: it may not accept this proxy's client certificate (tls.clientAuth)`,
          )
        }
      }
      pool.removed(this)
      const owner = this.owner
      this.owner = undefined
      owner?.onUpstreamClose(this, this.error)
    })
    // The server's FIN: with allowHalfOpen off, node ends our side and 'close' follows.
  }

  write(chunk: Buffer | string): boolean {
    return typeof chunk === 'string' ? this.socket.write(chunk, 'latin1') : this.socket.write(chunk)
  }

  /**
   * Gives the connection back for another exchange. `keepAliveHint`: what the backend's last
   * response said of its idle timeout (keep-alive.ts), NO_HINT when nothing.
   */
  release(keepAliveHint = NO_HINT): void {
    this.owner = undefined
    this.pool.released(this, keepAliveHint)
  }

  /** Closes it (a response that leaves the connection unusable, or an abort). */
  destroy(): void {
    this.owner = undefined
    this.socket.destroy()
  }

  /** Leaves the pool for good: an upgraded connection now belongs to a tunnel. */
  detach(): Socket {
    this.owner = undefined
    this.pool.removed(this)
    const s = this.socket
    s.removeAllListeners('data')
    s.removeAllListeners('drain')
    s.removeAllListeners('close')
    return s
  }
}

export class UpstreamPool {
  private readonly idle: UpstreamConnection[] = []
  private readonly all = new Set<UpstreamConnection>()
  private readonly waiters: ConnectionWaiter[] = []
  private connecting = 0
  /** Closed: hands out no more connections. */
  closed = false
  private sweeper: NodeJS.Timeout | undefined
  private readonly keepAliveMs: number
  private onEmpty: (() => void) | undefined

  /** `host:port`, as TLS errors name the peer. */
  readonly peer: string

  constructor(
    readonly host: string,
    readonly port: number,
    readonly options: PoolOptions,
  ) {
    this.keepAliveMs = options.keepAliveTimeoutMs ?? 4000
    this.peer = hostPort(host, port)
  }

  /** Connections open (in use and idle) and being opened. */
  get size(): number {
    return this.all.size + this.connecting
  }

  /** Hands `waiter` a connection: an idle one at once, else a new one, else when one frees. */
  acquire(waiter: ConnectionWaiter): void {
    if (this.closed) {
      waiter.onConnectError(new Error('endpoint removed'))
      return
    }
    const now = performance.now()
    for (let idle = this.idle.pop(); idle !== undefined; idle = this.idle.pop()) {
      // Past its deadline, or already ended by the backend ('close' may not have come yet).
      if (idle.idleUntil > now && idle.socket.writable && !idle.socket.readableEnded) {
        waiter.onConnection(idle)
        return
      }
      idle.socket.destroy()
    }
    const max = this.options.maxConnections
    if (max !== undefined && this.size >= max) {
      this.waiters.push(waiter)
      return
    }
    this.open(waiter)
  }

  /** A waiter that no longer wants a connection (its client left). */
  cancel(waiter: ConnectionWaiter): void {
    const i = this.waiters.indexOf(waiter)
    if (i >= 0) this.waiters.splice(i, 1)
  }

  /** Closes idle connections now and the rest as their exchanges finish. */
  close(): Promise<void> {
    this.closed = true
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    for (const w of this.waiters.splice(0)) w.onConnectError(new Error('endpoint removed'))
    for (const c of this.idle.splice(0)) c.socket.destroy()
    if (this.all.size === 0 && this.connecting === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.onEmpty = resolve
    })
  }

  /** @internal */
  released(conn: UpstreamConnection, keepAliveHint: number): void {
    const keepMs = idleLimit(keepAliveHint, this.keepAliveMs)
    if (this.closed || conn.socket.destroyed || keepMs <= 0) {
      conn.socket.destroy()
      return
    }
    conn.reused = true
    const w = this.waiters.shift()
    if (w !== undefined) {
      w.onConnection(conn)
      return
    }
    conn.idleUntil = performance.now() + keepMs
    this.idle.push(conn)
    // The sweep only frees sockets (acquire never hands out an expired one), so it may run late.
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), Math.max(250, Math.min(keepMs, 1000)))
      this.sweeper.unref()
    }
  }

  /** @internal */
  removed(conn: UpstreamConnection): void {
    if (!this.all.delete(conn)) return
    const i = this.idle.indexOf(conn)
    if (i >= 0) this.idle.splice(i, 1)
    if (!this.closed && this.waiters.length > 0) this.open(this.waiters.shift()!)
    this.checkEmpty()
  }

  private open(waiter: ConnectionWaiter): void {
    this.connecting++
    const tls = this.options.tls
    // With TLS the connection is ready once the handshake is done (and the server's certificate
    // checked): the connect timeout covers both.
    const socket =
      tls === undefined
        ? connect({ host: this.host, port: this.port, noDelay: true })
        : tlsConnect({ ...tls.connectOptions(this.host, ['http/1.1']), port: this.port })
    socket.setNoDelay(true)
    const timer = setTimeout(() => {
      socket.destroy(
        new Error(
          `${tls === undefined ? 'connect' : 'connect and TLS handshake'} timed out after ${this.options.connectTimeoutMs} ms`,
        ),
      )
    }, this.options.connectTimeoutMs)
    const failed = (err: Error) => {
      clearTimeout(timer)
      this.connecting--
      this.checkEmpty()
      const code = (err as { code?: unknown }).code
      if (tls !== undefined && (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')) {
        // The 502 says when the certificate expired: one more (unverified) handshake reads it.
        void tls
          .describeWithDates(err, this.host, this.port, this.peer)
          .then((said) =>
            waiter.onConnectError(said === undefined ? err : new UpstreamTlsError(said, code)),
          )
        return
      }
      // Before 'secureConnect': a reset is the backend closing during the handshake.
      waiter.onConnectError(tlsFailure(tls, err, this.peer, true))
    }
    socket.once('error', failed)
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer)
      socket.off('error', failed)
      this.connecting--
      const conn = new UpstreamConnection(this, socket)
      this.all.add(conn)
      if (this.closed) {
        socket.destroy()
        waiter.onConnectError(new Error('endpoint removed'))
        return
      }
      waiter.onConnection(conn)
    })
  }

  private sweep(): void {
    const now = performance.now()
    // Deadlines differ with the hints, so the whole stack is looked at; it is small.
    let kept = 0
    for (const c of this.idle) {
      if (c.idleUntil > now) this.idle[kept++] = c
      else c.socket.destroy()
    }
    this.idle.length = kept
    if (kept === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper)
      this.sweeper = undefined
    }
  }

  private checkEmpty(): void {
    if (this.closed && this.all.size === 0 && this.connecting === 0) {
      this.onEmpty?.()
      this.onEmpty = undefined
    }
  }
}
