// One attempt of an exchange (exchange.ts) on one endpoint: a connection from the endpoint's
// pool, the request written on it, and the response read back: its head checked (the fast
// scan for the common one, the full parser for the rest), interim responses relayed, and the
// body streamed to the client in the framing the proxy writes, under backpressure. What the
// attempt cannot mend (a bad response, a close) goes back to the exchange, which retries or
// fails.
import { errorMessage } from '@switchyard/wire'
import type { EndpointNode } from '../balance/endpoint.js'
import { BodyCursor } from '../http1/framing.js'
import {
  findHeadEnd,
  type HeaderMap,
  type HttpParseError,
  parseResponseHead,
  type ResponseHead,
} from '../http1/head.js'
import { NO_HINT } from '../http1/keep-alive.js'
import { badHeadByte, type ScannedResponse, scanResponseHead } from '../http1/response-scan.js'
import { headerLines, statusLine } from '../http1/serialize.js'
import type {
  ConnectionOwner,
  ConnectionWaiter,
  UpstreamConnection,
} from '../http1/upstream-pool.js'
import type { Exchange } from './exchange.js'
import { planInterim, planResponse, type ResponsePlan } from './response-plan.js'
import { openTunnel } from './tunnel.js'

/** A response head this large is a broken backend, not a response. */
const MAX_RESPONSE_HEAD = 64 * 1024

/** RFC 9112 §6.1: a server sends no Transfer-Encoding to an HTTP/1.0 request; ours did not. */
const CHUNKED_TO_HTTP10 = 'a chunked response to an HTTP/1.0 request'

export class Attempt implements ConnectionOwner, ConnectionWaiter {
  conn: UpstreamConnection | undefined
  /** Waiting for the pool to hand out a connection. */
  private waiting = false
  /** The node's begin() has no end() yet. */
  private nodeActive = false
  /** Any byte of a response arrived. */
  private responseStarted = false
  /** The response's status, once its head is in (0 before); bytes before it gather in `partial`. */
  status = 0
  private partial: Buffer | undefined
  /** Bytes of `partial` already searched for the head's end and checked for bad bytes. */
  private partialChecked = 0
  /** The backend's Keep-Alive hint for this connection (keep-alive.ts). */
  private keepAlive = NO_HINT
  private cursor: BodyCursor | undefined
  private reusable = false

  constructor(
    private readonly ex: Exchange,
    readonly node: EndpointNode,
  ) {}

  start(): void {
    this.nodeActive = true
    this.ex.client.begin(this.node)
    this.waiting = true
    this.node.pool.acquire(this)
  }

  onConnection(conn: UpstreamConnection): void {
    this.waiting = false
    const ex = this.ex
    if (ex.settled) {
      conn.release()
      return
    }
    this.conn = conn
    conn.owner = this
    if (!ex.tx.hasBody) {
      conn.write(ex.requestText)
      return
    }
    conn.socket.cork()
    conn.write(ex.requestText)
    ex.startBody()
    conn.socket.uncork()
  }

  onConnectError(err: Error): void {
    this.waiting = false
    if (this.ex.settled) return
    this.endNode('failure')
    // No connection, so nothing of the request was sent: any method may go to another endpoint
    // (Finagle's requeue), as long as its body has not started to flow to an earlier attempt.
    this.ex.failOrRetry(this.node, 'connect', errorMessage(err), !this.ex.bodyStarted)
  }

  onUpstreamDrain(): void {
    this.ex.tx.resumeBody()
  }

  onUpstreamData(conn: UpstreamConnection, chunk: Buffer): void {
    this.responseStarted = true
    if (this.status !== 0) {
      this.passBody(chunk, 0)
      return
    }
    const tx = this.ex.tx
    const onResponseHead = this.ex.options.onResponseHead
    const checked = this.partial === undefined ? 0 : this.partialChecked
    const buf = this.partial === undefined ? chunk : Buffer.concat([this.partial, chunk])
    let start = 0
    for (;;) {
      const end = findHeadEnd(buf, start, start === 0 ? checked : start)
      if (end < 0 || end - start > MAX_RESPONSE_HEAD) {
        // A head that cannot end well is refused now, not after its blank line or a timeout:
        // too large, whatever the size of the reads that brought it, or a bare LF, a bare CR
        // or a NUL (RFC 9112 §2.2), where no server that agrees with us would put one.
        if (end >= 0 || buf.length - start > MAX_RESPONSE_HEAD) {
          this.badResponse(conn, `response head larger than ${MAX_RESPONSE_HEAD} bytes`)
          return
        }
        const bad = badHeadByte(buf, start, start === 0 ? checked : start, buf.length)
        if (bad !== undefined) {
          this.badResponse(conn, `${bad.what} in the response head (at byte ${bad.at - start})`)
          return
        }
        this.partial = start === 0 ? buf : buf.subarray(start)
        this.partialChecked = this.partial.length
        return
      }
      // The common response goes through without being parsed into strings.
      const fast =
        onResponseHead === undefined
          ? scanResponseHead(buf, start, end, tx.method, Math.min(buf.length - end, 16384))
          : undefined
      if (fast !== undefined) {
        this.partial = undefined
        this.startScanned(fast, buf, end)
        return
      }
      let head: ResponseHead
      try {
        head = parseResponseHead(buf, start, end)
      } catch (err) {
        this.badResponse(conn, (err as HttpParseError).message)
        return
      }
      // RFC 9110 §15: a status is 100 to 599; a 101 answers only a request that asked for it.
      if (head.status < 100 || head.status > 599 || (head.status === 101 && !tx.upgrade)) {
        this.badResponse(
          conn,
          head.status === 101
            ? 'a 101 to a request that asked no upgrade'
            : `status ${head.status} is outside 100-599`,
        )
        return
      }
      if (head.status >= 200 || head.status === 101) {
        this.partial = undefined
        this.startResponse(conn, head, buf, end)
        return
      }
      // 1xx (100 Continue, 103 Early Hints): relayed to an HTTP/1.1 client; the real head follows.
      let out: HeaderMap
      try {
        out = planInterim(head)
      } catch (err) {
        this.badResponse(conn, (err as HttpParseError).message)
        return
      }
      if (tx.httpVersion === '1.1') {
        onResponseHead?.(head.status, out)
        tx.writeInterim(statusLine(head.status, head.reason) + headerLines(out))
      }
      start = end
    }
  }

  private startScanned(r: ScannedResponse, buf: Buffer, end: number): void {
    this.ex.responseBegan()
    const cursor = new BodyCursor(r.framing)
    let stop: number
    try {
      stop = cursor.take(buf, end, buf.length)
    } catch (err) {
      // Nothing is written yet: a bad first chunk is a bad response.
      this.badResponse(this.conn!, (err as HttpParseError).message)
      return
    }
    const tx = this.ex.tx
    if (r.framing.kind === 'chunked' && tx.httpVersion === '1.0') {
      this.badResponse(this.conn!, CHUNKED_TO_HTTP10)
      return
    }
    this.status = r.status
    this.cursor = cursor
    this.keepAlive = r.keepAlive
    this.reusable = r.reusable && tx.httpVersion === '1.1' && !tx.upgrade
    tx.bodyBytes = cursor.payload
    const close = r.framing.kind === 'close' || tx.upgrade
    const more = tx.writeHeadBytes(r.head, r.length, close, buf, end, stop)
    if (cursor.done) {
      if (stop < buf.length) this.reusable = false
      this.complete()
    } else if (!more) this.conn?.socket.pause()
  }

  private startResponse(conn: UpstreamConnection, head: ResponseHead, buf: Buffer, end: number) {
    this.ex.responseBegan()
    if (head.status === 101) {
      this.tunnel(conn, head, buf.subarray(end))
      return
    }
    const tx = this.ex.tx
    let plan: ResponsePlan
    let cursor: BodyCursor
    let stop: number
    try {
      plan = planResponse(head, tx.method)
      if (plan.chunked && tx.httpVersion === '1.0') {
        this.badResponse(conn, CHUNKED_TO_HTTP10)
        return
      }
      cursor = new BodyCursor(plan.framing)
      // The first body bytes are checked before the head goes: a bad chunk here is a 502.
      stop = cursor.take(buf, end, buf.length)
    } catch (err) {
      this.badResponse(conn, (err as HttpParseError).message)
      return
    }
    const framing = plan.framing
    this.status = head.status
    this.cursor = cursor
    this.keepAlive = plan.keepAlive
    this.reusable = plan.reusable && tx.httpVersion === '1.1' && !tx.upgrade
    const out = plan.headers
    try {
      this.ex.options.onResponseHead?.(head.status, out)
    } catch (err) {
      this.badResponse(conn, errorMessage(err as Error))
      return
    }
    tx.cork()
    // A body that runs to the close, or an upgrade the backend declined: close after it.
    tx.writeHead(
      statusLine(head.status, head.reason) + headerLines(out),
      framing.kind === 'close' || tx.upgrade,
    )
    if (stop > end) {
      tx.bodyBytes = cursor.payload
      if (!tx.write(buf.subarray(end, stop))) conn.socket.pause()
    }
    if (cursor.done) {
      if (stop < buf.length) this.reusable = false
      this.complete()
    }
    tx.uncork()
  }

  private passBody(buf: Buffer, start: number): void {
    const cursor = this.cursor!
    let stop: number
    try {
      stop = cursor.take(buf, start, buf.length)
    } catch (err) {
      this.brokenBody((err as HttpParseError).message)
      return
    }
    const tx = this.ex.tx
    if (stop > start) {
      tx.bodyBytes = cursor.payload
      const part = start === 0 && stop === buf.length ? buf : buf.subarray(start, stop)
      if (!tx.write(part)) this.conn?.socket.pause()
    }
    if (cursor.done) {
      // Bytes past the end of a response were never asked for: do not reuse the connection.
      if (stop < buf.length) this.reusable = false
      this.complete()
    }
  }

  /** The whole response is through. */
  private complete(): void {
    const conn = this.conn
    this.conn = undefined
    this.endNode(this.status >= 500 ? 'failure' : 'success')
    const ex = this.ex
    if (conn !== undefined) {
      // The request body must be all sent too, or the backend is still reading it.
      if (this.reusable && ex.requestDone) conn.release(this.keepAlive)
      else conn.destroy()
    }
    if (ex.settled) return
    ex.tx.end()
    ex.succeed(this.status, this.node.key)
  }

  onUpstreamClose(_conn: UpstreamConnection, err: Error | undefined): void {
    this.conn = undefined
    if (this.ex.settled) return
    if (this.status !== 0) {
      // A body that runs to the close ends with a clean close; anything else broke mid-body.
      if (err === undefined && this.cursor!.framing.kind === 'close') this.complete()
      else this.brokenBody(err === undefined ? 'connection closed mid-body' : errorMessage(err))
      return
    }
    this.endNode('failure')
    // Closed before any answer. The request was sent and may or may not have been processed
    // (a backend killed mid-request, or an idle connection it closed as we reused it): RFC 9110
    // §9.2.2 lets a client send it again only if its method is idempotent and it has no body.
    const message = err === undefined ? 'connection closed before a response' : errorMessage(err)
    this.ex.failOrRetry(
      this.node,
      'upstream-reset',
      message,
      !this.responseStarted && this.ex.idempotent,
    )
  }

  private badResponse(conn: UpstreamConnection, message: string): void {
    conn.destroy()
    this.conn = undefined
    if (this.ex.settled) return
    this.endNode('failure')
    this.ex.fail('upstream-reset', `invalid response: ${message}`)
  }

  /** Mid-body: the client cannot be told anything but that the response is broken. */
  private brokenBody(message: string): void {
    this.conn?.destroy()
    this.conn = undefined
    this.endNode('failure')
    this.ex.tx.destroy()
    this.ex.fail('upstream-reset', message, true)
  }

  /** A 101 to an upgrade: the connection leaves the pool for a tunnel (tunnel.ts). */
  private tunnel(conn: UpstreamConnection, head: ResponseHead, early: Buffer): void {
    this.endNode('success')
    this.conn = undefined
    const ex = this.ex
    openTunnel(ex.tx, conn, this.node, head, early, ex.options.onResponseHead)
    ex.tunnelled(this.node.key)
  }

  /** Gives up the attempt: its wait for a connection, or the connection. */
  cancel(): void {
    if (this.waiting) this.node.pool.cancel(this)
    this.conn?.destroy()
    this.conn = undefined
  }

  endNode(outcome: 'success' | 'failure' | 'ignore'): void {
    if (!this.nodeActive) return
    this.nodeActive = false
    this.ex.client.end(this.node, outcome)
  }
}
