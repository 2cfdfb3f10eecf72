// The proxy's HTTP/1.1 server on plain sockets. Node's http server builds two streams and a
// header object per request; a proxy needs none of that, since it passes bodies through in
// their own framing. Measured, it was most of the proxy's cost (docs/decisions.md).
//
// One request at a time per connection: a pipelined request waits in the buffer until the
// response before it has ended. Keep-alive connections idle for longer than the keep-alive
// timeout, or sitting on half a head for as long, are closed by one sweep per server.
import { createServer, type Server, type Socket } from 'node:net'
import { BodyCursor, type Framing, requestFraming } from './framing.js'
import {
  findHeadEnd,
  type HeaderMap,
  HttpParseError,
  type HttpVersion,
  hasToken,
  joined,
  MAX_HEAD_BYTES,
  parseRequestHead,
} from './head.js'
import { headerLines, statusLine } from './serialize.js'

/** Receives a request body, framed as it came (chunked bytes stay chunked). */
export interface BodySink {
  /** Returns false to pause the client until `Transaction.resumeBody()`. */
  body(chunk: Buffer): boolean
  bodyEnd(): void
}

export interface ServerOptions {
  /** Idle keep-alive connections, and heads that take this long, are closed; default 60 s. */
  readonly keepAliveTimeoutMs?: number
  readonly onRequest: (tx: Transaction) => void
  /** A request that does not parse; the server answers it and closes the connection. */
  readonly onParseError?: (err: HttpParseError, remoteAddress: string | undefined) => void
}

/** Unread bytes a connection holds before it stops reading from its client. */
const MAX_BUFFERED = 64 * 1024
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
    this.net = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.connections.add(new Connection(this, socket))
    })
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
  private searchFrom = 0
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
    private readonly server: Http1Server,
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
    if (tx !== undefined && tx.sink !== undefined && !tx.cursor.done) {
      tx.feed(d, 0)
      return
    }
    this.buf = this.buf === undefined ? d : Buffer.concat([this.buf, d])
    if (tx === undefined) this.parse()
    else if (this.buf.length > MAX_BUFFERED) this.pause()
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
      let buf = this.buf
      // RFC 9112 §2.2: empty lines before a request line are ignored.
      let start = 0
      while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2
      if (start > 0) {
        this.searchFrom = 0
        if (start === buf.length) {
          this.buf = undefined
          return
        }
        buf = this.buf = buf.subarray(start)
      }
      const end = findHeadEnd(buf, 0, this.searchFrom)
      const lf = end < 0 ? bareLf(buf, this.searchFrom) : -1
      if (lf >= 0) {
        // A head with bare LF line ends would never complete: refuse it now (RFC 9112 §2.2
        // allows a recipient to; docs/proxy.md promises it).
        this.reject(
          new HttpParseError('bare_lf', 'Bare LF in the request head; end lines with CRLF', lf),
        )
        return
      }
      if (end < 0 || end > MAX_HEAD_BYTES) {
        if (end > MAX_HEAD_BYTES || buf.length > MAX_HEAD_BYTES) {
          this.reject(
            new HttpParseError(
              'head_too_large',
              `Request head larger than ${MAX_HEAD_BYTES} bytes`,
              MAX_HEAD_BYTES,
              431,
            ),
          )
        } else this.searchFrom = buf.length
        return
      }
      this.searchFrom = 0
      let tx: Transaction
      try {
        const head = parseRequestHead(buf, 0, end)
        if (head.method === 'CONNECT') {
          // A tunnel to wherever the client names is not a route; Linkerd 1 had none either.
          throw new HttpParseError('unsupported_method', 'CONNECT is not supported', 0, 501)
        }
        const framing = requestFraming(head.headers, head.httpVersion === '1.0')
        const url = originForm(head.url, head.method, head.headers)
        tx = new Transaction(this, head.method, url, head.httpVersion, head.headers, framing)
      } catch (err) {
        if (err instanceof HttpParseError) this.reject(err)
        else throw err
        return
      }
      this.buf = end === buf.length ? undefined : buf.subarray(end)
      this.tx = tx
      this.idleSince = 0
      this.server.options.onRequest(tx)
    }
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
      tx.onAbort?.()
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
    this.resume()
    if (this.buf !== undefined) this.parse()
  }

  /** Sends what is left (`last`) and a FIN; then drops what the client sends, for a while. */
  private endConnection(last?: string): void {
    this.ending = true
    this.buf = undefined
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
    this.buf = undefined
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
    const body = Buffer.from(`${err.message}\n`, 'latin1')
    this.endConnection(
      `${statusLine(err.status)}connection: close\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body.toString('latin1')}`,
    )
  }
}

/**
 * One request on a connection and its response. The head is parsed; the body is read when the
 * handler asks for it (readBody), so a request can wait for its route without buffering.
 */
export class Transaction {
  readonly cursor: BodyCursor
  /** Whether the request asked to switch protocols (Upgrade with Connection: upgrade). */
  readonly upgrade: boolean
  sink: BodySink | undefined
  /** The client left before the response ended; called once. */
  onAbort: (() => void) | undefined
  /** The client took what was written after write() returned false. */
  onDrain: (() => void) | undefined
  headersSent = false
  finished = false
  /** Close the connection after this response. */
  closeAfter: boolean
  /** Response body bytes (chunk framing left out), for the access log; set by the writer. */
  bodyBytes = 0

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
    const connection = joined(headers.connection)?.toLowerCase()
    // h2c is not tunnelled: a client could use it to speak HTTP/2 to the backend past every
    // rule the proxy applies per request (h2c smuggling). nginx does not forward it either.
    const upgradeTo = joined(headers.upgrade)?.toLowerCase()
    this.upgrade =
      upgradeTo !== undefined &&
      !hasToken(upgradeTo, 'h2c') &&
      connection !== undefined &&
      hasToken(connection, 'upgrade')
    this.closeAfter =
      httpVersion === '1.0'
        ? !(connection !== undefined && hasToken(connection, 'keep-alive'))
        : connection !== undefined && hasToken(connection, 'close')
  }

  get remoteAddress(): string | undefined {
    return this.conn.socket.remoteAddress
  }

  get hasBody(): boolean {
    return this.framing.kind !== 'none'
  }

  /** Starts the body flowing into `sink`, including what is already buffered. */
  readBody(sink: BodySink): void {
    this.sink = sink
    if (this.cursor.done) {
      sink.bodyEnd()
      return
    }
    const buf = this.conn.buf
    this.conn.buf = undefined
    // Resume first: the pause for unread bytes ends here, and feeding may pause again for the
    // sink's own backpressure, which must then hold.
    this.conn.resume()
    if (buf !== undefined) this.feed(buf, 0)
  }

  /** @internal Bytes from the client while the body is being read. */
  feed(d: Buffer, start: number): void {
    let stop: number
    try {
      stop = this.cursor.take(d, start, d.length)
    } catch {
      // A malformed chunk: the request cannot be delimited, so neither can the connection.
      this.conn.destroy()
      return
    }
    const more =
      stop > start
        ? this.sink!.body(start === 0 && stop === d.length ? d : d.subarray(start, stop))
        : true
    if (stop < d.length) {
      // The next request's bytes: keep them for after the response.
      const rest = d.subarray(stop)
      this.conn.buf = this.conn.buf === undefined ? rest : Buffer.concat([this.conn.buf, rest])
    }
    if (this.cursor.done) this.sink!.bodyEnd()
    else if (!more) this.conn.pause()
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
    this.conn.socket.once('drain', () => this.onDrain?.())
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

/** Where a LF not preceded by CR is in `buf`, looking from `from`; -1 if none. */
function bareLf(buf: Buffer, from: number): number {
  let i = buf.indexOf(10, Math.max(0, from - 1))
  while (i >= 0) {
    if (i === 0 || buf[i - 1] !== 13) return i
    i = buf.indexOf(10, i + 1)
  }
  return -1
}

const ABSOLUTE_FORM = /^https?:\/\/([^/?#@\s]+)([^#\s]*)$/i

/**
 * The request target in origin form. RFC 9112 §3.2.2: a request in absolute form
 * (`GET http://world/x`) is addressed to the URI's authority, whatever its Host says, so the
 * Host is replaced by it; it goes on as `/x`, the form servers expect.
 */
function originForm(url: string, method: string, headers: HeaderMap): string {
  if (url.charCodeAt(0) === 47) return url
  if (url === '*' && method === 'OPTIONS') return url
  const m = ABSOLUTE_FORM.exec(url)
  if (m === null) {
    throw new HttpParseError(
      'bad_target',
      `Request target ${JSON.stringify(url.slice(0, 80))} is neither a path nor an http URL`,
      0,
    )
  }
  headers.host = m[1]!
  const rest = m[2]!
  return rest === '' ? '/' : rest.charCodeAt(0) === 47 ? rest : `/${rest}`
}

function destroySocket(socket: Socket): void {
  socket.destroy()
}
