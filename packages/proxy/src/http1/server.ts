// The proxy's HTTP/1.1 server on plain sockets, in place of node's http server, which builds two
// streams and a header object per request: a proxy needs none of that, since it passes bodies
// through as bytes (a chunked request body with chunk-size lines of its own, see feed).
// Measured, node's server was most of the proxy's cost (docs/decisions.md).
//
// One request at a time per connection: a pipelined request waits in the buffer until the
// response before it has ended and, as in node's http server, until that response has drained
// to the client, so a client that sends without reading is not read either. What a connection
// holds is bounded: unread bytes by MAX_BUFFERED (then the socket is paused), a head by
// MAX_HEAD_BYTES, answers by the socket's high-water mark. A head is checked as its bytes
// arrive and refused at the first invalid byte (head.ts). Keep-alive connections idle for
// longer than the keep-alive timeout, or sitting on half a head for as long, are closed by one
// sweep per server.
import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TlsOptions } from 'node:tls'
import { BodyCursor, type BodyOut, type Framing, requestFraming } from './framing.js'
import {
  type HeaderMap,
  HttpParseError,
  type HttpVersion,
  hasToken,
  joined,
  RequestHeadScanner,
} from './head.js'
import { connectionTokens } from './header-roles.js'
import { headerLines, statusLine } from './serialize.js'

/**
 * What holds a transaction while it handles it (the router's wait for a route, then the
 * forward exchange): told of the client's abort, of its drain, and of the request body, as
 * an upstream connection's ConnectionOwner is of its bytes (upstream-pool.ts).
 */
export interface TransactionOwner {
  /** The client left before the response ended; called once. */
  onClientAbort(): void
  /** The client took what was written after write() returned false. */
  onClientDrain(): void
  /**
   * A piece of the request body, once readBody() started it (a chunked body in the proxy's
   * own chunk lines, see feed). Returns false to pause the client until `resumeBody()`.
   */
  onRequestBody(chunk: Buffer): boolean
  onRequestBodyEnd(): void
  /**
   * The body does not parse (a malformed chunk) and no response has begun: the owner abandons
   * its exchange and the handler answers (400). Nothing more of the body is delivered.
   */
  onRequestBodyError(err: HttpParseError): void
}

export interface ServerOptions {
  /** Idle keep-alive connections, and heads that take this long, are closed; default 60 s. */
  readonly keepAliveTimeoutMs?: number
  readonly onRequest: (tx: Transaction) => void
  /** A request that does not parse; the server answers it and closes the connection. */
  readonly onParseError?: (err: HttpParseError, remoteAddress: string | undefined) => void
  /** Serve over TLS with these options (tls/server-tls.ts); default cleartext. */
  readonly tls?: TlsOptions
  /** A TLS handshake that failed (a client that does not trust us, or has no certificate). */
  readonly onTlsError?: (err: Error, remoteAddress: string | undefined) => void
}

/** How long a client may take over its TLS handshake; node's default is 120 s. */
const TLS_HANDSHAKE_MS = 10_000

/** Unread bytes a connection holds before it stops reading from its client. */
const MAX_BUFFERED = 64 * 1024
/** Scans every head that arrives whole; a connection gets its own only for a partial head. */
const HEADS = new RequestHeadScanner()
/**
 * After the last response of a connection, what the client still sends is read and dropped
 * for this long, then the socket is destroyed: nginx's lingering close. Dropping it keeps a
 * body that came after an early answer from being read as requests; the limit keeps a client
 * that never closes from holding the socket.
 */
const LINGER_MS = 5000

export class Http1Server {
  readonly net: Server
  private readonly connections = new Set<Connection>()
  private readonly keepAliveMs: number
  private sweeper: NodeJS.Timeout | undefined
  closing = false

  constructor(readonly options: ServerOptions) {
    this.keepAliveMs = options.keepAliveTimeoutMs ?? 60_000
    // allowHalfOpen: the connection decides what a client's FIN means (onEnd).
    const accept = (socket: Socket) => {
      this.connections.add(new Connection(this, socket))
    }
    if (options.tls === undefined) {
      this.net = createServer({ allowHalfOpen: true, noDelay: true }, accept)
    } else {
      // A connection is the proxy's once its handshake is done (secureConnection); a handshake
      // that fails is the client's problem, logged at debug and never an error of the server.
      // Not allowHalfOpen: a client that gives up during the handshake (it does not trust our
      // certificate) only ends its side, and a half-open socket in handshake would then wait
      // for the handshake timeout, holding up close(). A FIN during a request is an abort
      // either way (onEnd), and between requests a goodbye.
      const server = createTlsServer(
        { handshakeTimeout: TLS_HANDSHAKE_MS, ...options.tls, allowHalfOpen: false, noDelay: true },
        accept,
      )
      server.on('tlsClientError', (err, socket) => {
        options.onTlsError?.(err, socket.remoteAddress)
        // Node reports a handshake timeout here but leaves the socket open: a client that
        // never says hello would hold its connection for ever.
        socket.destroy()
      })
      this.net = server
    }
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.net.once('error', reject)
      this.net.listen(port, host, () => {
        this.net.off('error', reject)
        this.sweeper = setInterval(() => this.sweep(), Math.min(this.keepAliveMs, 5000))
        this.sweeper.unref()
        resolve()
      })
    })
  }

  /** Stops accepting; idle connections close now, busy ones after their response. */
  close(): Promise<void> {
    this.closing = true
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    const done = new Promise<void>((resolve) => this.net.close(() => resolve()))
    for (const c of this.connections) c.closeWhenIdle()
    return done
  }

  /** @internal */
  forget(c: Connection): void {
    this.connections.delete(c)
  }

  private sweep(): void {
    const cutoff = performance.now() - this.keepAliveMs
    for (const c of this.connections) if (c.idleSince !== 0 && c.idleSince < cutoff) c.destroy()
  }
}

class Connection {
  /** Bytes read and not yet handed on: a partial head, or what follows the current request. */
  buf: Buffer | undefined
  /** Where `buf` grows in place when it can (see append). */
  private store: Buffer | undefined
  private storeUsed = 0
  /** A head that is not all here: its scanner, and how far into `buf` it has read. */
  private partial: RequestHeadScanner | undefined
  private scanned = 0
  /** Waiting for the client to take the answers already written before parsing more. */
  private draining = false
  tx: Transaction | undefined
  /** When the connection last had no request in flight; 0 while one is. */
  idleSince = performance.now()
  private paused = false
  /** Inside parse(): a response that ends synchronously must not parse again recursively. */
  private parsing = false
  private closeAfterResponse = false
  private detached = false
  /** The last response is sent: nothing more is parsed, and what arrives is dropped. */
  private ending = false

  constructor(
    readonly server: Http1Server,
    readonly socket: Socket,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d))
    socket.on('end', () => this.onEnd())
    socket.on('close', () => this.onClose())
    // A reset client must not crash the process; 'close' follows.
    socket.on('error', noop)
  }

  private onData(d: Buffer): void {
    if (this.ending) return
    const tx = this.tx
    if (tx?.reading && !tx.cursor.done) {
      tx.feed(d, 0)
      return
    }
    this.append(d)
    if (tx === undefined) this.parse()
    if (this.buf !== undefined && this.buf.length > MAX_BUFFERED) this.pause()
  }

  /**
   * Adds `d` after the unread bytes. A store of its own, doubled when full, takes the bytes,
   * so a client sending many small pieces costs linear copying, not a concat per read. Only
   * the room past what was handed out is ever written: views of it given to an owner stay valid.
   */
  append(d: Buffer): void {
    const buf = this.buf
    if (buf === undefined) {
      this.buf = d
      return
    }
    const store = this.store
    const end = buf.byteOffset + buf.length
    if (
      store !== undefined &&
      buf.buffer === store.buffer &&
      end === this.storeUsed &&
      end + d.length <= store.length
    ) {
      d.copy(store, end)
      this.storeUsed = end + d.length
      this.buf = store.subarray(buf.byteOffset, this.storeUsed)
      return
    }
    const next = Buffer.allocUnsafeSlow(Math.max(4096, 2 * (buf.length + d.length)))
    buf.copy(next, 0)
    d.copy(next, buf.length)
    this.store = next
    this.storeUsed = buf.length + d.length
    this.buf = next.subarray(0, this.storeUsed)
  }

  /**
   * Reads the next request's head from the buffer, when no request is in flight. A handler
   * may answer at once (an error), which ends the response inside this loop; the loop then
   * goes on to the next pipelined request rather than recursing, so a flood of pipelined
   * requests cannot exhaust the stack.
   */
  parse(): void {
    if (this.parsing) return
    this.parsing = true
    try {
      this.parseLoop()
    } finally {
      this.parsing = false
    }
  }

  private parseLoop(): void {
    while (this.tx === undefined && this.buf !== undefined && !this.detached && !this.ending) {
      // Node's http server does the same: no next request while the answers to the earlier
      // ones wait in the socket for a client that does not read them.
      if (this.socket.writableNeedDrain) {
        this.waitForDrain()
        return
      }
      let buf = this.buf
      let scanner = this.partial
      if (scanner === undefined) {
        // RFC 9112 §2.2: empty lines before a request line are ignored.
        let start = 0
        while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2
        if (start > 0) {
          if (start === buf.length) {
            this.dropBuffer()
            return
          }
          buf = this.buf = buf.subarray(start)
        }
        // Half of an empty line: the other half decides.
        if (buf.length === 1 && buf[0] === 13) return
        scanner = HEADS
        scanner.reset()
      }
      let tx: Transaction
      let end: number
      try {
        end = scanner.scan(buf, this.scanned, buf.length)
        if (end < 0) {
          // Part of a head, valid so far: go on from here when more comes. A head that
          // arrived whole never gets this far, so the common case allocates nothing.
          if (scanner === HEADS) {
            scanner = this.partial = new RequestHeadScanner()
            scanner.scan(buf, 0, buf.length)
          }
          this.scanned = buf.length
          return
        }
        const head = scanner.head(buf)
        const framing = requestFraming(head.headers, head.httpVersion === '1.0')
        const url = originForm(head.url, head.headers)
        tx = new Transaction(this, head.method, url, head.httpVersion, head.headers, framing)
      } catch (err) {
        if (err instanceof HttpParseError) this.reject(err)
        else throw err
        return
      }
      this.partial = undefined
      this.scanned = 0
      if (end === buf.length) this.dropBuffer()
      else this.buf = buf.subarray(end)
      this.tx = tx
      this.idleSince = 0
      this.server.options.onRequest(tx)
    }
  }

  private dropBuffer(): void {
    this.buf = undefined
    this.store = undefined
  }

  /** Reads and parses nothing more until the client has taken what was written to it. */
  private waitForDrain(): void {
    this.pause()
    if (this.draining) return
    this.draining = true
    this.socket.once('drain', () => {
      this.draining = false
      if (!this.ending && !this.detached) this.next()
    })
  }

  /** On to the next request: what is buffered is parsed, and more read when there is room. */
  private next(): void {
    // Before parsing: a request parsed now may pause reading for its body's owner.
    this.readMore()
    if (this.buf !== undefined) this.parse()
    else this.store = undefined
    // A request in flight resumes reading itself (readBody); between requests, read on.
    if (this.tx === undefined) this.readMore()
  }

  /**
   * Reads from the client again, unless its answers are backed up or the bytes it sent ahead
   * are over MAX_BUFFERED: resuming for each request served would let a client that sends
   * ahead add a read's worth of buffer per request.
   */
  private readMore(): void {
    if (this.draining || (this.buf !== undefined && this.buf.length > MAX_BUFFERED)) return
    this.resume()
  }

  /**
   * The client shut its side. Between requests that is a goodbye; during one it is an abort,
   * as nginx takes it: the backend's work is cancelled rather than finished for nobody.
   */
  private onEnd(): void {
    if (this.tx === undefined || this.detached || this.ending) this.socket.end()
    else this.socket.destroy()
  }

  private onClose(): void {
    this.server.forget(this)
    const tx = this.tx
    if (tx !== undefined && !tx.finished && !this.detached) {
      tx.finished = true
      tx.owner?.onClientAbort()
    }
  }

  /** The response ended: on to the next request, or close. */
  responseEnded(tx: Transaction): void {
    this.tx = undefined
    if (this.detached) return
    if (this.closeAfterResponse || tx.closeAfter || !tx.cursor.done || this.server.closing) {
      this.endConnection()
      return
    }
    this.idleSince = performance.now()
    this.next()
  }

  /** Sends what is left (`last`) and a FIN; then drops what the client sends, for a while. */
  private endConnection(last?: string): void {
    this.ending = true
    this.dropBuffer()
    this.partial = undefined
    this.idleSince = 0
    if (last === undefined) this.socket.end()
    else this.socket.end(last, 'latin1')
    this.resume()
    setTimeout(destroySocket, LINGER_MS, this.socket).unref()
  }

  closeWhenIdle(): void {
    if (this.tx === undefined) this.socket.destroy()
    else this.closeAfterResponse = true
  }

  destroy(): void {
    this.socket.destroy()
  }

  /** The upgraded socket leaves the server; `rest` is what the client sent after the head. */
  detach(): { socket: Socket; rest: Buffer | undefined } {
    this.detached = true
    this.server.forget(this)
    const s = this.socket
    s.removeAllListeners('data')
    s.removeAllListeners('end')
    s.removeAllListeners('close')
    const rest = this.buf
    this.dropBuffer()
    this.resume()
    return { socket: s, rest }
  }

  pause(): void {
    if (!this.paused) {
      this.paused = true
      this.socket.pause()
    }
  }

  resume(): void {
    if (this.paused) {
      this.paused = false
      this.socket.resume()
    }
  }

  private reject(err: HttpParseError): void {
    this.server.options.onParseError?.(err, this.socket.remoteAddress)
    const body = `${err.message}\n`
    // The answer to a HEAD has no body (RFC 9110 §9.3.2), even when the rest of its head is
    // what was refused; the length still says what a GET would have got.
    const head = isHead(this.buf)
    this.endConnection(
      `${statusLine(err.status)}connection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${head ? '' : body}`,
    )
  }
}

/**
 * One request on a connection and its response. The head is parsed; the body is read when the
 * handler asks for it (readBody), so a request can wait for its route without buffering.
 */
export class Transaction implements BodyOut {
  readonly cursor: BodyCursor
  /** Whether the request asked to switch protocols (Upgrade with Connection: upgrade). */
  readonly upgrade: boolean
  /** Who handles the request now; set by the router's wait, then by the forward exchange. */
  owner: TransactionOwner | undefined
  /** readBody() was called: the body flows to the owner as it arrives. */
  reading = false
  headersSent = false
  finished = false
  /** Close the connection after this response. */
  closeAfter: boolean
  /** Response body bytes (chunk framing left out), for the access log; set by the writer. */
  bodyBytes = 0
  /** Why the request body stopped parsing; what the client sends after it is dropped. */
  bodyError: HttpParseError | undefined
  /** The pieces of a chunked body from one read, until it has all scanned. */
  private pieces: Buffer[] | undefined

  constructor(
    private readonly conn: Connection,
    readonly method: string,
    readonly url: string,
    readonly httpVersion: HttpVersion,
    /** Mutable: the router strips what it consumes. */
    readonly headers: HeaderMap,
    readonly framing: Framing,
  ) {
    this.cursor = new BodyCursor(framing)
    const connection = connectionTokens(headers.connection)
    // h2c is not tunnelled: a client could use it to speak HTTP/2 to the backend past every
    // rule the proxy applies per request (h2c smuggling). nginx does not forward it either.
    const upgradeTo = joined(headers.upgrade)?.toLowerCase()
    this.upgrade = upgradeTo !== undefined && !hasToken(upgradeTo, 'h2c') && connection.upgrade
    this.closeAfter = httpVersion === '1.0' ? !connection.keepAlive : connection.close
  }

  get remoteAddress(): string | undefined {
    return this.conn.socket.remoteAddress
  }

  get hasBody(): boolean {
    return this.framing.kind !== 'none'
  }

  /** Starts the body flowing to the owner, including what is already buffered. */
  readBody(): void {
    this.reading = true
    if (this.cursor.done) {
      this.owner!.onRequestBodyEnd()
      return
    }
    const buf = this.conn.buf
    this.conn.buf = undefined
    // Resume first: the pause for unread bytes ends here, and feeding may pause again for the
    // owner's own backpressure, which must then hold.
    this.conn.resume()
    if (buf !== undefined) this.feed(buf, 0)
  }

  /** @internal Bytes from the client while the body is being read. */
  feed(d: Buffer, start: number): void {
    if (this.bodyError !== undefined) return
    const chunked = this.framing.kind === 'chunked'
    let stop: number
    try {
      // A chunked body goes on re-framed, in pieces (bodyPiece), given to the owner only once
      // the whole read has scanned: a read with a bad chunk sends the backend none of it.
      stop = this.cursor.take(d, start, d.length, chunked ? this : undefined)
    } catch (err) {
      if (!(err instanceof HttpParseError)) throw err
      if (this.pieces !== undefined) this.pieces.length = 0
      this.malformedBody(err)
      return
    }
    const owner = this.owner!
    let more = true
    if (chunked) {
      const pieces = this.pieces
      if (pieces !== undefined) {
        for (const piece of pieces) if (!owner.onRequestBody(piece)) more = false
        pieces.length = 0
      }
    } else if (stop > start) {
      more = owner.onRequestBody(start === 0 && stop === d.length ? d : d.subarray(start, stop))
    }
    const conn = this.conn
    if (stop < d.length) {
      // The next request's bytes: keep them for after the response.
      conn.append(d.subarray(stop))
      if (conn.buf!.length > MAX_BUFFERED) conn.pause()
    }
    if (this.cursor.done) owner.onRequestBodyEnd()
    else if (!more) conn.pause()
  }

  /** @internal A piece of a chunked body as it goes on (BodyOut). */
  bodyPiece(piece: Buffer): void {
    if (this.pieces === undefined) this.pieces = [piece]
    else this.pieces.push(piece)
  }

  /**
   * A malformed chunk: the request cannot be delimited, so neither can the connection. Before
   * any response the client is told why (the owner abandons its exchange and the handler
   * answers 400, `connection: close`); mid-response there is nothing to tell but a cut.
   */
  private malformedBody(err: HttpParseError): void {
    this.bodyError = err
    this.closeAfter = true
    this.conn.server.options.onParseError?.(err, this.conn.socket.remoteAddress)
    // Mid-response the cut reaches the owner as an abort, as a client leaving does.
    if (this.headersSent) this.conn.destroy()
    else this.owner!.onRequestBodyError(err)
  }

  pauseBody(): void {
    this.conn.pause()
  }

  resumeBody(): void {
    this.conn.resume()
  }

  /** Corks the client socket, so a head and the first body bytes leave in one write. */
  cork(): void {
    this.conn.socket.cork()
  }

  uncork(): void {
    this.conn.socket.uncork()
  }

  /**
   * Writes a response head: `head` is the status line and header lines, without the blank
   * line. `close`: the body runs until the connection closes.
   */
  writeHead(head: string, close = false): void {
    // A request body not yet read to its end cannot be skipped safely: close after this one.
    if (close || !this.cursor.done) this.closeAfter = true
    this.headersSent = true
    const extra = this.closeAfter ? 'connection: close\r\n\r\n' : '\r\n'
    this.conn.socket.write(head + extra, 'latin1')
  }

  /**
   * Writes a response head already in bytes, and the first body bytes `body[from, to)` with
   * it: `head[0, length)` is the status line and header lines; the blank line (and
   * `connection: close` when closing) go in the room after them, and the body too when it
   * fits, so a small response leaves in one write. False when the client is not keeping up.
   */
  writeHeadBytes(
    head: Buffer,
    length: number,
    close: boolean,
    body: Buffer,
    from: number,
    to: number,
  ): boolean {
    if (close || !this.cursor.done) this.closeAfter = true
    this.headersSent = true
    const tail = this.closeAfter ? 'connection: close\r\n\r\n' : '\r\n'
    let n = length + head.write(tail, length, 'latin1')
    const socket = this.conn.socket
    if (to === from) return socket.write(head.subarray(0, n))
    if (n + to - from <= head.length) {
      n += body.copy(head, n, from, to)
      return socket.write(head.subarray(0, n))
    }
    socket.cork()
    socket.write(head.subarray(0, n))
    const more = this.write(from === 0 && to === body.length ? body : body.subarray(from, to))
    socket.uncork()
    return more
  }

  /** An interim (1xx) response head, before the final one. */
  writeInterim(head: string): void {
    this.conn.socket.write(`${head}\r\n`, 'latin1')
  }

  /** Writes response body bytes (already framed); false when the client is not keeping up. */
  write(chunk: Buffer): boolean {
    if (this.conn.socket.write(chunk)) return true
    this.conn.socket.once('drain', () => this.owner?.onClientDrain())
    return false
  }

  /** The response is complete. */
  end(): void {
    if (this.finished) return
    this.finished = true
    this.conn.responseEnded(this)
  }

  /** Breaks the connection: the only thing left to tell a client mid-response. */
  destroy(): void {
    this.finished = true
    this.conn.destroy()
  }

  /** A whole response of the proxy's own. */
  respond(status: number, headers: HeaderMap, body: Buffer | undefined): void {
    if (this.headersSent) {
      this.destroy()
      return
    }
    const h = { ...headers, 'content-length': String(body?.length ?? 0) }
    this.cork()
    this.writeHead(statusLine(status) + headerLines(h))
    if (body !== undefined && body.length > 0 && this.method !== 'HEAD') {
      this.bodyBytes = body.length
      this.write(body)
    }
    this.uncork()
    this.end()
  }

  /** Takes the socket for a tunnel, after a 101; `rest` is what the client sent beyond the head. */
  takeSocket(): { socket: Socket; rest: Buffer | undefined } {
    this.finished = true
    return this.conn.detach()
  }
}

function noop(): void {}

/**
 * The request target in origin form. RFC 9112 §3.2.2: a request in absolute form
 * (`GET http://world/x`) is addressed to the URI's authority, whatever its Host says, so the
 * Host is replaced by it; it goes on as `/x`, the form servers expect. The scanner has checked
 * the form (head.ts checkTarget): `scheme://authority[/path][?query]`, no userinfo.
 */
function originForm(url: string, headers: HeaderMap): string {
  if (url.charCodeAt(0) === 47 || url === '*') return url
  const authority = url.indexOf('//') + 2
  let end = authority
  while (end < url.length && url.charCodeAt(end) !== 47 && url.charCodeAt(end) !== 63) end++
  headers.host = url.slice(authority, end)
  if (end === url.length) return '/'
  return url.charCodeAt(end) === 47 ? url.slice(end) : `/${url.slice(end)}`
}

function destroySocket(socket: Socket): void {
  socket.destroy()
}

/**
 * Whether the request at the start of `buf` may be a HEAD: its first bytes, past any CR, LF,
 * SP or HTAB (which llhttp and others skip before a request line, though the proxy refuses
 * them), are `HEAD`. A client that reads it as one expects no body.
 */
function isHead(buf: Buffer | undefined): boolean {
  if (buf === undefined) return false
  let i = 0
  while (i < buf.length && (buf[i] === 13 || buf[i] === 10 || buf[i] === 32 || buf[i] === 9)) i++
  return (
    buf.length >= i + 4 &&
    buf[i] === 72 &&
    buf[i + 1] === 69 &&
    buf[i + 2] === 65 &&
    buf[i + 3] === 68
  )
}
