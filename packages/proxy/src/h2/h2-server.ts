// One HTTP/2 server of an h2 router, on node's http2 module (nghttp2 does the framing, HPACK,
// flow control and the protocol's own limits): h2c by prior knowledge, or h2 over TLS with
// ALPN `h2`. Its settings come from the server's keys (maxConcurrentStreamsPerConnection,
// initialStreamWindowBytes, maxFrameBytes, maxHeaderListBytes); its sessions are bounded so a
// hostile client costs a bounded amount:
//
// - nghttp2's memory per session (maxSessionMemory) bounds what a slow reader or a flood of
//   headers can make it buffer: past it new streams are refused (ENHANCE_YOUR_CALM);
// - the header list (maxHeaderListSize, maxHeaderListPairs) as an HTTP/1.1 head is bounded;
// - SETTINGS and PING floods: nghttp2 queues at most maxOutstandingPings unanswered pings
//   and maxSettings entries per frame, and ends a session that floods it with frames that
//   need an answer (its own limit on queued control frames, ENHANCE_YOUR_CALM); RST floods ("rapid reset", CVE-2023-44487): nghttp2 counts
//   streams reset by the client and node closes a session past maxSessionRejectedStreams and
//   maxSessionInvalidFrames;
// - a connection that does not complete its TLS handshake within TLS_HANDSHAKE_MS, or does not
//   send the HTTP/2 preface and its SETTINGS within PREFACE_MS, is closed; a session with no
//   open stream for SESSION_IDLE_MS (60 s, as HTTP/1.1 keep-alive) is closed with GOAWAY.
//
// close() stops accepting, sends GOAWAY to every session (streams in flight finish), and
// destroys what is still open after the grace period.
import {
  constants,
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type SecureServerOptions,
  type ServerHttp2Stream,
  type ServerOptions,
  type Settings,
} from 'node:http2'
import type { AddressInfo, Socket } from 'node:net'
import type { TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import type { ServerConfig } from '../config/schema.js'

/** The defaults of the h2 server keys (docs/proxy.md). */
export const H2_SERVER_DEFAULTS = Object.freeze({
  maxConcurrentStreamsPerConnection: 1000,
  initialStreamWindowBytes: 65_535,
  maxFrameBytes: 16_384,
  maxHeaderListBytes: 16 * 1024,
})

/** A session's connection-level receive window: a few streams' worth, bounded. */
const SESSION_WINDOW_BYTES = 1024 * 1024
/** nghttp2's buffered memory per session, in MB (node's default is 10). */
const MAX_SESSION_MEMORY_MB = 32
/**
 * A session with no stream open and no frames for this long is closed with GOAWAY (its client
 * reconnects when it needs): 60 s, as an HTTP/1.1 client connection's keep-alive. Longer, a
 * client holding thousands of idle sessions (~17 KB each) holds them for as long.
 */
export const SESSION_IDLE_MS = 60_000
/** A TLS handshake must finish within this (node's default is 120 s), as on an http router. */
const TLS_HANDSHAKE_MS = 10_000
/** A connection must send the client preface and its SETTINGS within this. */
export const PREFACE_MS = 10_000
/** How long close() lets streams in flight finish before it destroys their sessions. */
const CLOSE_GRACE_MS = 10_000

/** What the server needs of the TLS of a secure server (tls/server-tls.ts's ServerTls). */
export interface SecureOptionsSource {
  options(): TlsOptions
  /** Reloads the certificate into `server` when its files change. */
  watch(server: import('node:tls').Server): void
  close(): void
}

export type StreamHandler = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  remoteAddress: string | undefined,
) => void

export interface H2ServerOptions {
  readonly config: ServerConfig
  /** h2 over TLS with ALPN; cleartext h2 (prior knowledge) without. */
  readonly tls?: SecureOptionsSource | undefined
  readonly onStream: StreamHandler
  readonly logger: Logger
  /** For tests: the idle close. */
  readonly sessionIdleMs?: number
  /** For tests: the preface deadline. */
  readonly prefaceMs?: number
  /** For tests: the TLS handshake deadline. */
  readonly handshakeMs?: number
}

/** The HTTP/2 SETTINGS the server announces, from its config keys. */
export function serverSettings(config: ServerConfig): Settings {
  return {
    enablePush: false,
    maxConcurrentStreams:
      config.maxConcurrentStreamsPerConnection ??
      H2_SERVER_DEFAULTS.maxConcurrentStreamsPerConnection,
    initialWindowSize:
      config.initialStreamWindowBytes ?? H2_SERVER_DEFAULTS.initialStreamWindowBytes,
    maxFrameSize: config.maxFrameBytes ?? H2_SERVER_DEFAULTS.maxFrameBytes,
    maxHeaderListSize: config.maxHeaderListBytes ?? H2_SERVER_DEFAULTS.maxHeaderListBytes,
  }
}

export class H2Server {
  readonly net: Http2Server | Http2SecureServer
  private readonly sessions = new Set<Http2Session>()
  /**
   * Per session: its streams open, and its client's address, read once (through node's socket
   * proxy a read costs about a microsecond, per stream it added up).
   */
  private readonly state = new WeakMap<Http2Session, SessionState>()
  private closing = false

  constructor(private readonly options: H2ServerOptions) {
    const settings = serverSettings(options.config)
    const common: ServerOptions = {
      settings,
      maxSessionMemory: MAX_SESSION_MEMORY_MB,
      // The number of fields in one header list (the bytes are checked by the router, since
      // nghttp2 does not enforce its own SETTINGS_MAX_HEADER_LIST_SIZE on what it receives).
      maxHeaderListPairs: 256,
      maxOutstandingPings: 10,
      maxSettings: 32,
      // Node's defaults, written out because they are the flood limits this server relies on.
      maxSessionRejectedStreams: 100,
      maxSessionInvalidFrames: 1000,
      // The largest header block sent to a client; the forwarder refuses larger backend heads
      // (upstream-headers.ts MAX_FORWARDED_HEADER_BYTES), since a failed send closes the session.
      maxSendHeaderBlockLength: 65_536,
    }
    if (options.tls !== undefined) {
      const secure: SecureServerOptions = {
        ...common,
        handshakeTimeout: options.handshakeMs ?? TLS_HANDSHAKE_MS,
        ...options.tls.options(),
        ALPNProtocols: ['h2'],
        // An h2 router serves h2 only: a client that offers only http/1.1 is refused in the
        // handshake (no_application_protocol) rather than answered in the wrong protocol.
        allowHTTP1: false,
      }
      const server = createSecureServer(secure)
      options.tls.watch(server)
      this.net = server
    } else {
      this.net = createServer(common)
    }
    this.net.on('session', (session) => this.session(session))
    this.net.on('stream', (stream, headers) => {
      options.onStream(stream, headers, this.streamOpened(stream))
    })
    // A client that is not h2 (an HTTP/1.1 request on an h2c port, a bad preface): nghttp2
    // ends the session; say so at debug, as the HTTP/1.1 server logs unparseable requests.
    this.net.on('sessionError', (err: Error) =>
      options.logger.debug({ err: err.message }, 'h2 session error'),
    )
    this.net.on('unknownProtocol', (socket: Socket) => {
      options.logger.debug({ remote: socket.remoteAddress }, 'TLS client without ALPN h2')
      socket.destroy()
    })
    // Only a secure server emits it: a client that does not trust us, or without a certificate,
    // or one that did not finish its handshake in time. Node reports the handshake timeout here
    // but leaves the socket open (a client that never sends its ClientHello would hold it for
    // ever), so the socket is destroyed, as the HTTP/1.1 server does.
    this.net.on('tlsClientError', (err: Error, socket: Socket) => {
      options.logger.debug(
        { err: err.message, remote: socket.remoteAddress },
        'TLS handshake failed',
      )
      socket.destroy()
    })
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err)
      this.net.once('error', onError)
      this.net.listen(port, host, () => {
        this.net.off('error', onError)
        this.net.on('error', (err) =>
          this.options.logger.error({ err: err.message }, 'h2 server error'),
        )
        resolve()
      })
    })
  }

  address(): AddressInfo {
    return this.net.address() as AddressInfo
  }

  private session(session: Http2Session): void {
    if (this.closing) {
      session.close()
      return
    }
    this.sessions.add(session)
    this.state.set(session, { open: 0, remote: session.socket?.remoteAddress })
    session.on('error', (err: Error) =>
      this.options.logger.debug({ err: err.message }, 'h2 session error'),
    )
    session.on('close', () => this.sessions.delete(session))
    // A connection that never sends the preface (a slowloris, a port scan) holds a socket and an
    // nghttp2 session: bounded by PREFACE_MS, not by the minute of idleness.
    const preface = setTimeout(() => {
      this.options.logger.debug('h2 client sent no preface in time')
      session.destroy()
    }, this.options.prefaceMs ?? PREFACE_MS)
    preface.unref()
    session.once('remoteSettings', () => clearTimeout(preface))
    session.once('close', () => clearTimeout(preface))
    // A larger connection window than the protocol's 64 KiB, so one stream's window is not
    // shared by all; still bounded, and consumed as the forwarder reads.
    const widen = () => {
      try {
        session.setLocalWindowSize(SESSION_WINDOW_BYTES)
      } catch {
        // The session closed before it was set up.
      }
    }
    if (session.connecting) session.once('connect', widen)
    else widen()
    session.setTimeout(this.options.sessionIdleMs ?? SESSION_IDLE_MS, () => {
      // Idle means no frames for that long; a stream that waits quietly (a watch) keeps its
      // session open.
      if ((this.state.get(session)?.open ?? 0) === 0) session.close()
    })
  }

  /** Counts a new stream on its session; returns the session's client address. */
  private streamOpened(stream: ServerHttp2Stream): string | undefined {
    // A stream error (a reset, a write after close) is the stream's end, never the process's.
    stream.on('error', ignore)
    const session = stream.session
    if (session === undefined) return undefined
    let st = this.state.get(session)
    if (st === undefined) {
      st = { open: 0, remote: session.socket?.remoteAddress }
      this.state.set(session, st)
    }
    st.open++
    stream.once('close', streamClosed.bind(st))
    return st.remote
  }

  /** Stops accepting; GOAWAY to every session; destroys what remains after the grace. */
  close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closing = true
    this.options.tls?.close()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const s of this.sessions) s.destroy(undefined, constants.NGHTTP2_CANCEL)
      }, graceMs)
      timer.unref()
      this.net.close(() => {
        clearTimeout(timer)
        resolve()
      })
      for (const s of this.sessions) s.close()
    })
  }
}

interface SessionState {
  open: number
  readonly remote: string | undefined
}

function ignore(): void {}

/** A stream of the session whose state is `this` closed. */
function streamClosed(this: SessionState): void {
  this.open--
}
