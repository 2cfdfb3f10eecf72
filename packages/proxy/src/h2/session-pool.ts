// The HTTP/2 sessions to one endpoint: h2c (prior knowledge) or h2 over TLS (ALPN h2), on node's
// http2 module. A stream goes on a session with room under the peer's SETTINGS_MAX_CONCURRENT_
// STREAMS; when every session is full another is opened (up to maxSessions), and beyond that the
// stream waits in a bounded queue. A session that receives GOAWAY takes no new streams (its
// in-flight ones finish) and the next stream opens a fresh one; an idle session is closed after
// idleTimeoutMs. close() lets in-flight streams finish.
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type ClientSessionRequestOptions,
  connect,
  type Http2Session,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2'
import type { ConnectionOptions } from 'node:tls'
import type { Endpoint } from '@switchyard/namers'
import { hostPort } from '@switchyard/wire'
import type { EndpointPool, PoolFactory } from '../balance/endpoint.js'
import { tlsFailure } from './tls-failure.js'
import { UPSTREAM_MAX_HEADER_BYTES } from './upstream-headers.js'

/** What the pool needs of a client's TLS (tls/client-tls.ts's ClientTls). */
export interface H2ClientTls {
  connectOptions(host: string, alpn?: readonly string[]): ConnectionOptions
  /** A handshake failure in words, with what the config knows (its CA files). */
  describe?(err: unknown, peer: string): string | undefined
  /** describe(), with the dates of an expired (or not yet valid) certificate, read from `host:port`. */
  describeWithDates?(
    err: unknown,
    host: string,
    port: number,
    peer: string,
  ): Promise<string | undefined>
  /** The config: whether this side presents a certificate (clientAuth). */
  readonly config?: { readonly clientAuth?: unknown }
}

/** Why a session died under its streams (H2SessionPool.lossReason). */
export interface H2Loss {
  /** Nothing was processed as a request (no SETTINGS came): another endpoint may take it. */
  readonly unprocessed: boolean
  /** How the forwarder reports it: a TLS failure, or one to connect. */
  readonly kind: 'connect' | 'tls'
  readonly message: string
}

export interface H2PoolOptions {
  /** How long a session may take to connect (TCP, TLS and the HTTP/2 preface). */
  readonly connectTimeoutMs: number
  /** Speak h2 over TLS with these options; without, h2c. */
  readonly tls?: H2ClientTls | undefined
  /** Sessions open at once to the endpoint; default 8. */
  readonly maxSessions?: number | undefined
  /** Streams waiting for room on a session, at most; default 1000 (then refused at once). */
  readonly maxWaiting?: number | undefined
  /** An idle session (no streams) is closed after this long; default 60 s. */
  readonly idleTimeoutMs?: number | undefined
}

export const DEFAULT_MAX_SESSIONS = 8
export const DEFAULT_MAX_WAITING = 1000
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000
/**
 * Streams a session is expected to carry when the pool decides whether to connect another
 * (RFC 9113 §6.5.2 recommends peers allow at least 100). Only an estimate: streams are sent
 * up to what the peer's SETTINGS allow.
 */
const ASSUMED_MAX_STREAMS = 100
/**
 * Streams sent on a new session before the peer's SETTINGS arrive: one. Every peer allows one
 * (a SETTINGS_MAX_CONCURRENT_STREAMS of 0 is refused anyway), and the first stream on a session
 * is what tells a non-HTTP/2 peer apart (lossReason); the rest wait for 'remoteSettings', so a
 * backend allowing 5 is never sent 100 to refuse 95 (F9).
 */
const STREAMS_BEFORE_SETTINGS = 1

export type H2PoolErrorCode =
  /** The session could not be made: refused, unreachable, TLS, no h2 by ALPN. */
  | 'H2_CONNECT'
  /** The session took longer than connectTimeoutMs. */
  | 'H2_CONNECT_TIMEOUT'
  /** Every session is full and the waiting queue too. */
  | 'H2_POOL_FULL'
  /** The pool is closed (the endpoint left its client). */
  | 'H2_POOL_CLOSED'

/** A stream that could not be opened; nothing reached the endpoint, so it may go elsewhere. */
export class H2PoolError extends Error {
  constructor(
    readonly code: H2PoolErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'H2PoolError'
  }
}

/** Told when its stream is open, or why it could not be. */
export interface StreamWaiter {
  onStream(stream: ClientHttp2Stream): void
  onOpenError(err: H2PoolError): void
}

interface Pending {
  readonly waiter: StreamWaiter
  readonly headers: OutgoingHttpHeaders
  readonly options: ClientSessionRequestOptions
}

class Session {
  /** Streams open on it. */
  active = 0
  ready = false
  /** GOAWAY received or closing: no new streams. */
  draining = false
  maxStreams = STREAMS_BEFORE_SETTINGS
  /** The peer's SETTINGS arrived: it speaks HTTP/2. */
  settings = false
  idleTimer: NodeJS.Timeout | undefined
  connectTimer: NodeJS.Timeout | undefined
  error: Error | undefined

  constructor(readonly session: ClientHttp2Session) {}

  get hasRoom(): boolean {
    return this.ready && !this.draining && !this.session.destroyed && this.active < this.maxStreams
  }
}

export class H2SessionPool implements EndpointPool {
  /** `ip:port` (`[ip]:port` for IPv6). */
  readonly key: string
  private readonly authority: string
  private readonly sessions = new Set<Session>()
  private readonly waiting: Pending[] = []
  private readonly bySession = new WeakMap<Http2Session, Session>()
  private closed = false
  private closing: Promise<void> | undefined
  private readonly maxSessions: number
  private readonly maxWaiting: number
  private readonly idleTimeoutMs: number

  constructor(
    readonly endpoint: Endpoint,
    readonly options: H2PoolOptions,
  ) {
    this.key = hostPort(endpoint.ip, endpoint.port)
    this.authority = `${options.tls === undefined ? 'http' : 'https'}://${this.key}`
    this.maxSessions = Math.max(1, options.maxSessions ?? DEFAULT_MAX_SESSIONS)
    this.maxWaiting = Math.max(0, options.maxWaiting ?? DEFAULT_MAX_WAITING)
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS
  }

  /** Sessions open or connecting. */
  get sessionCount(): number {
    return this.sessions.size
  }

  /** Streams open on the sessions. */
  get activeStreams(): number {
    let n = 0
    for (const s of this.sessions) n += s.active
    return n
  }

  /** Streams waiting for room or for a session to connect. */
  get waitingCount(): number {
    return this.waiting.length
  }

  /**
   * Opens a stream with `headers`: `waiter.onStream` with it (synchronously when a session has
   * room), or `waiter.onOpenError` when no session could carry it. The stream's end is
   * noticed here (its 'close'); the caller owns everything else about it.
   */
  open(
    waiter: StreamWaiter,
    headers: OutgoingHttpHeaders,
    options: ClientSessionRequestOptions,
  ): void {
    if (this.closed) {
      waiter.onOpenError(new H2PoolError('H2_POOL_CLOSED', `the pool of ${this.key} is closed`))
      return
    }
    const s = this.withRoom()
    if (s !== undefined && this.waiting.length === 0) {
      this.start(s, { waiter, headers, options })
      return
    }
    if (this.waiting.length >= this.maxWaiting) {
      waiter.onOpenError(
        new H2PoolError(
          'H2_POOL_FULL',
          `${this.key} has ${this.activeStreams} streams open on ${this.sessions.size} sessions and ${this.waiting.length} waiting; raise maxConnectionsPerEndpoint or add endpoints`,
        ),
      )
      return
    }
    this.waiting.push({ waiter, headers, options })
    this.dispatch()
  }

  /**
   * Why `session` (one of this pool's) died under its streams, when known. Before the peer's
   * SETTINGS nothing was processed as a request: a TLS refusal after the handshake (a TLS 1.3
   * server refusing this side's certificate, by an alert or, node's way, by closing), or a peer
   * that does not speak HTTP/2 (an HTTP/1.1 server, a wrong port). Else the session's error.
   */
  lossReason(session: Http2Session): H2Loss | undefined {
    const s = this.bySession.get(session)
    if (s === undefined) return undefined
    const tls = this.options.tls
    if (!s.settings) {
      const said = s.error === undefined ? undefined : tlsFailure(s.error, this.key, tls)
      if (said !== undefined) return { unprocessed: true, kind: 'tls', message: said }
      if (tls?.config?.clientAuth !== undefined) {
        return {
          unprocessed: true,
          kind: 'tls',
          message: `${this.key} closed the connection after the TLS handshake, before any answer: it may not accept this proxy's client certificate (tls.clientAuth)`,
        }
      }
      return {
        unprocessed: true,
        kind: 'connect',
        message: `${this.key} did not answer in HTTP/2 (no SETTINGS frame): is it an HTTP/1.1 server? An h2 router's backends speak h2c (prior knowledge) or h2 over TLS (ALPN h2)`,
      }
    }
    if (s.error !== undefined) {
      // nghttp2 ends a session whose peer sends a header block in too many CONTINUATION frames
      // (its flood limit): a backend's response head far too large.
      const huge = /CONTINUATION/.test(s.error.message)
      return {
        unprocessed: false,
        kind: 'connect',
        message: huge
          ? `the connection failed: ${this.key} sent a header block over the ${UPSTREAM_MAX_HEADER_BYTES} bytes this proxy takes (${s.error.message})`
          : `the connection failed: ${s.error.message}`,
      }
    }
    return undefined
  }

  /** Forgets a waiter that no longer wants its stream (its client left, its time ran out). */
  cancel(waiter: StreamWaiter): void {
    const i = this.waiting.findIndex((p) => p.waiter === waiter)
    if (i >= 0) this.waiting.splice(i, 1)
  }

  /** Closes every session once its streams end; waiting streams are refused. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing
    this.closed = true
    const waiting = this.waiting.splice(0)
    for (const p of waiting) {
      p.waiter.onOpenError(new H2PoolError('H2_POOL_CLOSED', `the pool of ${this.key} is closed`))
    }
    const done: Promise<void>[] = []
    for (const s of this.sessions) {
      done.push(
        new Promise<void>((resolve) => {
          if (s.session.destroyed) resolve()
          else s.session.once('close', () => resolve())
        }),
      )
      s.draining = true
      if (s.idleTimer !== undefined) clearTimeout(s.idleTimer)
      if (!s.ready) s.session.destroy()
      else s.session.close()
    }
    this.closing = Promise.all(done).then(() => undefined)
    return this.closing
  }

  private withRoom(): Session | undefined {
    // The busiest session with room: streams pack onto few sessions and the others idle out.
    let best: Session | undefined
    for (const s of this.sessions) {
      if (s.hasRoom && (best === undefined || s.active > best.active)) best = s
    }
    return best
  }

  /** Starts what waits on sessions with room, and connects another when that helps. */
  private dispatch(): void {
    while (this.waiting.length > 0) {
      const s = this.withRoom()
      if (s === undefined) break
      this.start(s, this.waiting.shift()!)
    }
    if (this.waiting.length === 0 || this.closed) return
    let connecting = 0
    let usable = 0
    for (const s of this.sessions) {
      // A destroyed session may wait a while for its 'close': it carries nothing more.
      if (s.draining || s.session.destroyed) continue
      usable++
      // Connected but its SETTINGS not in yet: it will take more than it has room for now.
      if (!s.ready || !s.settings) connecting++
    }
    // Each session connecting will take up to ASSUMED_MAX_STREAMS of the waiting. Draining
    // sessions (GOAWAY) do not count against maxSessions: a long stream finishing on one must
    // not hold every new stream back.
    if (connecting * ASSUMED_MAX_STREAMS < this.waiting.length && usable < this.maxSessions) {
      this.connect()
    }
  }

  private start(s: Session, p: Pending): void {
    let stream: ClientHttp2Stream
    try {
      stream = s.session.request(p.headers, p.options)
    } catch {
      // The session went away between the check and the request (GOAWAY, destroyed): nothing was
      // sent, so another session takes it.
      s.draining = true
      this.waiting.unshift(p)
      process.nextTick(() => this.dispatch())
      return
    }
    s.active++
    if (s.idleTimer !== undefined) {
      clearTimeout(s.idleTimer)
      s.idleTimer = undefined
    }
    stream.once('close', () => this.streamClosed(s))
    p.waiter.onStream(stream)
  }

  private streamClosed(s: Session): void {
    s.active--
    if (s.active === 0 && !s.draining && !this.closed) this.streamIdle(s)
    if (this.waiting.length > 0) this.dispatch()
  }

  private connect(): void {
    const tls = this.options.tls
    const options: SecureClientSessionOptions = {
      // A head too large to send on is still received whole, on its stream (upstream-headers.ts).
      settings: {
        enablePush: false,
        maxHeaderListSize: UPSTREAM_MAX_HEADER_BYTES,
        maxFrameSize: UPSTREAM_MAX_HEADER_BYTES,
      },
      ...(tls === undefined ? {} : tls.connectOptions(this.endpoint.ip, ['h2'])),
    }
    const session = connect(this.authority, options)
    const s = new Session(session)
    this.bySession.set(session, s)
    this.sessions.add(s)
    s.connectTimer = setTimeout(() => {
      s.connectTimer = undefined
      s.error = new H2PoolError(
        'H2_CONNECT_TIMEOUT',
        `connecting to ${this.key} took longer than ${this.options.connectTimeoutMs} ms`,
      )
      session.destroy()
    }, this.options.connectTimeoutMs)
    session.once('connect', () => {
      if (s.connectTimer !== undefined) clearTimeout(s.connectTimer)
      s.connectTimer = undefined
      s.ready = true
      this.dispatch()
      // A stream-less session idles out like any other.
      if (s.active === 0) this.streamIdle(s)
    })
    session.on('remoteSettings', (settings) => {
      s.settings = true
      const max = settings.maxConcurrentStreams
      s.maxStreams = max === undefined ? ASSUMED_MAX_STREAMS : Math.max(1, max)
      if (this.waiting.length > 0) this.dispatch()
    })
    session.on('goaway', () => {
      s.draining = true
      if (this.waiting.length > 0) this.dispatch()
    })
    session.on('error', (err: Error) => {
      if (s.error === undefined) s.error = err
    })
    // The socket's own error, seen before the session's: node reports a socket error on the
    // session only after the streams it kills have closed, and a TLS 1.3 server's refusal of
    // this side's certificate (an alert after the handshake) is such an error. The streams'
    // close then reads it through lossReason.
    session.socket.on('error', (err: Error) => {
      if (s.error === undefined) s.error = err
    })
    // No one reads or answers a session's own frame errors: the stream's 'close' says enough.
    session.on('frameError', () => {})
    session.once('close', () => this.sessionClosed(s))
  }

  private streamIdle(s: Session): void {
    if (s.idleTimer !== undefined) return
    s.idleTimer = setTimeout(() => {
      s.idleTimer = undefined
      if (s.active === 0) {
        s.draining = true
        s.session.close()
      }
    }, this.idleTimeoutMs)
    s.idleTimer.unref()
  }

  private sessionClosed(s: Session): void {
    this.sessions.delete(s)
    if (s.connectTimer !== undefined) clearTimeout(s.connectTimer)
    if (s.idleTimer !== undefined) clearTimeout(s.idleTimer)
    if (!s.ready) {
      // It never connected: what waits fails unless another session may still carry it.
      let other = false
      for (const o of this.sessions) if (!o.draining) other = true
      if (!other) {
        const err = this.connectError(s.error)
        for (const p of this.waiting.splice(0)) p.waiter.onOpenError(err)
        return
      }
    }
    if (this.waiting.length > 0) this.dispatch()
  }

  private connectError(err: Error | undefined): H2PoolError {
    if (err instanceof H2PoolError) return err
    const why = err === undefined ? 'the connection closed' : err.message
    return new H2PoolError('H2_CONNECT', `cannot connect to ${this.key}: ${why}`, { cause: err })
  }
}

/** The factory a client of an h2 router makes its endpoints' pools with. */
export const h2Pools =
  (options: H2PoolOptions): PoolFactory<H2SessionPool> =>
  (e) =>
    new H2SessionPool(e, options)
