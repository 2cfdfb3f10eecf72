// Sends one request to an endpoint of a concrete client and streams the response back, on the
// proxy's own HTTP/1.1 connections (src/http1). Bodies pass through in their own framing under
// backpressure and are never buffered; retries, the deadline, upgrades and client aborts are
// handled here, so the router only maps the typed result to a status.
//
// The timeout covers the wait for the response head, retries included (as Finagle's timeout
// for a streamed response); a response body streams for as long as it lasts.
import type { Client } from '../balance/client.js'
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
import type { BodySink, Transaction } from '../http1/server.js'
import type {
  ConnectionOwner,
  ConnectionWaiter,
  UpstreamConnection,
} from '../http1/upstream-pool.js'
import type { RetryBudget } from '../retry/budget.js'
import { DEFAULT_MAX_RETRIES, isIdempotent } from '../retry/policy.js'
import { DEADLINE_HEADER, effectiveDeadline } from './deadline.js'
import { errorMessage } from './errors.js'
import { stripHopByHop } from './hop-by-hop.js'
import { planInterim, planResponse, type ResponsePlan } from './response-plan.js'
import type { ForwardErrorKind, ForwardResult } from './result.js'

export type { ForwardErrorKind, ForwardFailure, ForwardResult } from './result.js'

export interface ForwardOptions {
  /**
   * The outbound request headers, prepared by the router (l5d-*, Via). Used and modified in
   * place: hop-by-hop headers are removed, `l5d-ctx-deadline` is set.
   */
  readonly headers: HeaderMap
  /** The outbound request-target. */
  readonly path: string
  /** The router's timeout; combined here with the request's `l5d-ctx-deadline`. */
  readonly timeoutMs: number | undefined
  readonly budget: RetryBudget
  /** Retries after the first attempt; default 2. */
  readonly maxRetries?: number
  /** Called with the response head before it is written; may change the headers. */
  readonly onResponseHead?: (status: number, headers: HeaderMap) => void
}

/** A response head this large is a broken backend, not a response. */
const MAX_RESPONSE_HEAD = 64 * 1024

/** RFC 9112 §6.1: a server sends no Transfer-Encoding to an HTTP/1.0 request; ours did not. */
const CHUNKED_TO_HTTP10 = 'a chunked response to an HTTP/1.0 request'

/** Streams `tx`'s request to one endpoint of `client` and the response back. Never throws. */
export function forward(
  client: Client,
  tx: Transaction,
  options: ForwardOptions,
): Promise<ForwardResult> {
  options.budget.deposit()
  const headers = stripHopByHop(options.headers, tx.upgrade)
  const deadline = effectiveDeadline(headers, options.timeoutMs, Date.now())
  if (deadline.header !== undefined) headers[DEADLINE_HEADER] = deadline.header
  if (deadline.timeoutMs !== undefined && deadline.timeoutMs <= 0) {
    return Promise.resolve(failure('timeout', 'deadline already expired', undefined, 0, false))
  }
  return new Exchange(client, tx, options, requestHead(tx, options.path, headers)).run(
    deadline.timeoutMs,
  )
}

/** The outbound head: an HTTP/1.0 request goes on as one, so its answer suits its client. */
function requestHead(tx: Transaction, path: string, headers: HeaderMap): string {
  if (headers['content-length'] !== undefined) delete headers['content-length']
  if (headers['transfer-encoding'] !== undefined) delete headers['transfer-encoding']
  let text = `${tx.method} ${path} HTTP/${tx.httpVersion}\r\n${headerLines(headers)}`
  if (headers.host === undefined) text += 'host: localhost\r\n'
  // The framing is written from what the proxy parsed, never copied: one Content-Length
  // (`1, 1` becomes `1`), and nothing a header could have removed on the way.
  const framing = tx.framing
  if (framing.kind === 'chunked') text += 'transfer-encoding: chunked\r\n'
  else if (framing.kind === 'length') text += `content-length: ${framing.length}\r\n`
  else if (tx.headers['content-length'] !== undefined) text += 'content-length: 0\r\n'
  return `${text}\r\n`
}

function failure(
  kind: ForwardErrorKind,
  message: string,
  endpoint: string | undefined,
  retries: number,
  headersSent: boolean,
  budgetExhausted = false,
): ForwardResult {
  return endpoint === undefined
    ? { ok: false, kind, message, retries, headersSent, budgetExhausted }
    : { ok: false, kind, message, endpoint, retries, headersSent, budgetExhausted }
}

/** One forwarded request and its attempts. */
class Exchange implements ConnectionOwner, ConnectionWaiter, BodySink {
  private resolve!: (r: ForwardResult) => void
  /** May be sent again after it was sent once: an idempotent method and no body. */
  private readonly idempotent: boolean
  private readonly maxRetries: number
  private node: EndpointNode | undefined
  /** The node's begin() has no end() yet. */
  private nodeActive = false
  private tried: EndpointNode[] | undefined
  private conn: UpstreamConnection | undefined
  private waiting = false
  /** Any byte of a response arrived on the current attempt. */
  private responseStarted = false
  private bodyStarted = false
  private requestDone: boolean
  /** The response's status, once its head is in (0 before); bytes before it gather in `partial`. */
  private status = 0
  private partial: Buffer | undefined
  /** Bytes of `partial` already searched for the head's end and checked for bad bytes. */
  private partialChecked = 0
  /** The backend's Keep-Alive hint for this connection (keep-alive.ts). */
  private keepAlive = NO_HINT
  private cursor: BodyCursor | undefined
  private reusable = false
  private retries = 0
  private budgetExhausted = false
  private timer: NodeJS.Timeout | undefined
  private timeoutMs = 0
  /** The result is out; later callbacks only clean up. */
  private settled = false

  constructor(
    private readonly client: Client,
    private readonly tx: Transaction,
    private readonly options: ForwardOptions,
    private readonly requestText: string,
  ) {
    this.idempotent = !tx.hasBody && isIdempotent(tx.method)
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES
    this.requestDone = !tx.hasBody
  }

  run(timeoutMs: number | undefined): Promise<ForwardResult> {
    const p = new Promise<ForwardResult>((resolve) => {
      this.resolve = resolve
    })
    this.tx.onAbort = () => this.clientGone()
    this.tx.onDrain = () => this.conn?.socket.resume()
    if (timeoutMs !== undefined) {
      this.timeoutMs = timeoutMs
      this.timer = setTimeout(onTimeout, timeoutMs, this)
    }
    this.attempt()
    return p
  }

  attempt(): void {
    if (this.settled) return
    const node = this.client.pick(this.tried)
    if (node === undefined) {
      this.finish(
        failure(
          'no-endpoints',
          `no endpoints for ${this.client.id}`,
          undefined,
          this.retries,
          false,
          this.budgetExhausted,
        ),
      )
      return
    }
    this.node = node
    this.nodeActive = true
    this.responseStarted = false
    this.client.begin(node)
    this.waiting = true
    node.pool.acquire(this)
  }

  onConnection(conn: UpstreamConnection): void {
    this.waiting = false
    if (this.settled) {
      conn.release()
      return
    }
    this.conn = conn
    conn.owner = this
    if (!this.tx.hasBody) {
      conn.write(this.requestText)
      return
    }
    conn.socket.cork()
    conn.write(this.requestText)
    if (!this.bodyStarted) {
      this.bodyStarted = true
      this.tx.readBody(this)
    }
    conn.socket.uncork()
  }

  onConnectError(err: Error): void {
    this.waiting = false
    if (this.settled) return
    this.endNode('failure')
    // No connection, so nothing of the request was sent: any method may go to another endpoint
    // (Finagle's requeue), as long as its body has not started to flow to an earlier attempt.
    this.failOrRetry('connect', errorMessage(err), !this.bodyStarted)
  }

  body(chunk: Buffer): boolean {
    return this.conn === undefined ? true : this.conn.write(chunk)
  }

  bodyEnd(): void {
    this.requestDone = true
  }

  /**
   * The request body does not parse (a malformed chunk), and no response has begun: the
   * request cannot be delimited, so the attempt is abandoned, its connection destroyed rather
   * than reused, and the router answers 400 with the server's reason.
   */
  bodyError(err: HttpParseError): void {
    if (this.settled) return
    this.cancelAttempt()
    this.endNode('ignore')
    this.finish(
      failure(
        'bad-request',
        `Malformed request body: ${err.message}`,
        this.node?.key,
        this.retries,
        false,
        this.budgetExhausted,
      ),
    )
  }

  onUpstreamDrain(): void {
    this.tx.resumeBody()
  }

  onUpstreamData(conn: UpstreamConnection, chunk: Buffer): void {
    this.responseStarted = true
    if (this.status !== 0) {
      this.passBody(chunk, 0)
      return
    }
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
        this.options.onResponseHead === undefined
          ? scanResponseHead(buf, start, end, this.tx.method, Math.min(buf.length - end, 16384))
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
      if (head.status < 100 || head.status > 599 || (head.status === 101 && !this.tx.upgrade)) {
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
      if (this.tx.httpVersion === '1.1') {
        this.options.onResponseHead?.(head.status, out)
        this.tx.writeInterim(statusLine(head.status, head.reason) + headerLines(out))
      }
      start = end
    }
  }

  private startScanned(r: ScannedResponse, buf: Buffer, end: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    const cursor = new BodyCursor(r.framing)
    let stop: number
    try {
      stop = cursor.take(buf, end, buf.length)
    } catch (err) {
      // Nothing is written yet: a bad first chunk is a bad response.
      this.badResponse(this.conn!, (err as HttpParseError).message)
      return
    }
    const tx = this.tx
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
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (head.status === 101) {
      this.tunnel(conn, head, buf.subarray(end))
      return
    }
    const tx = this.tx
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
      this.options.onResponseHead?.(head.status, out)
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
    if (stop > start) {
      this.tx.bodyBytes = cursor.payload
      const part = start === 0 && stop === buf.length ? buf : buf.subarray(start, stop)
      if (!this.tx.write(part)) this.conn?.socket.pause()
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
    if (conn !== undefined) {
      // The request body must be all sent too, or the backend is still reading it.
      if (this.reusable && this.requestDone) conn.release(this.keepAlive)
      else conn.destroy()
    }
    if (this.settled) return
    this.tx.end()
    this.finish({
      ok: true,
      status: this.status,
      endpoint: this.node!.key,
      retries: this.retries,
      budgetExhausted: this.budgetExhausted,
    })
  }

  onUpstreamClose(_conn: UpstreamConnection, err: Error | undefined): void {
    this.conn = undefined
    if (this.settled) return
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
    this.failOrRetry('upstream-reset', message, !this.responseStarted && this.idempotent)
  }

  private badResponse(conn: UpstreamConnection, message: string): void {
    conn.destroy()
    this.conn = undefined
    if (this.settled) return
    this.endNode('failure')
    this.finish(
      failure(
        'upstream-reset',
        `invalid response: ${message}`,
        this.node?.key,
        this.retries,
        false,
        this.budgetExhausted,
      ),
    )
  }

  /** Mid-body: the client cannot be told anything but that the response is broken. */
  private brokenBody(message: string): void {
    this.conn?.destroy()
    this.conn = undefined
    this.endNode('failure')
    this.tx.destroy()
    this.finish(failure('upstream-reset', message, this.node?.key, this.retries, true))
  }

  private failOrRetry(kind: 'connect' | 'upstream-reset', message: string, retryable: boolean) {
    const node = this.node!
    if (retryable && this.retries < this.maxRetries) {
      if (this.options.budget.tryWithdraw()) {
        this.retries++
        if (this.tried === undefined) this.tried = [node]
        else this.tried.push(node)
        process.nextTick(retry, this)
        return
      }
      this.budgetExhausted = true
    }
    this.finish(failure(kind, message, node.key, this.retries, false, this.budgetExhausted))
  }

  /** A 101 to an upgrade: the two sockets are joined until either side closes. */
  private tunnel(conn: UpstreamConnection, head: ResponseHead, early: Buffer): void {
    this.endNode('success')
    this.conn = undefined
    const node = this.node!
    const upstream = conn.detach()
    const { socket, rest } = this.tx.takeSocket()
    const out = stripHopByHop(head.headers, true)
    this.options.onResponseHead?.(101, out)
    socket.write(`${statusLine(101, head.reason)}${headerLines(out)}\r\n`, 'latin1')
    if (early.length > 0) socket.write(early)
    if (rest !== undefined) upstream.write(rest)
    const tunnels = node.tunnels
    tunnels.add(upstream)
    const cut = (): void => {
      tunnels.delete(upstream)
      upstream.destroy()
      socket.destroy()
    }
    upstream.on('error', cut).on('close', cut)
    socket.on('error', cut).on('close', cut)
    socket.pipe(upstream)
    upstream.pipe(socket)
    this.finish({ ok: true, status: 101, endpoint: node.key, retries: 0, budgetExhausted: false })
  }

  /** The client left before the response ended. */
  clientGone(): void {
    if (this.settled) return
    this.cancelAttempt()
    this.endNode('ignore')
    this.finish(
      failure(
        'client-aborted',
        'client closed the connection',
        this.node?.key,
        this.retries,
        this.tx.headersSent,
        this.budgetExhausted,
      ),
    )
  }

  timedOut(): void {
    this.timer = undefined
    if (this.settled || this.status !== 0) return
    this.cancelAttempt()
    this.endNode('failure')
    this.finish(
      failure(
        'timeout',
        `exceeded ${Math.round(this.timeoutMs)} ms waiting for a response`,
        this.node?.key,
        this.retries,
        false,
        this.budgetExhausted,
      ),
    )
  }

  private cancelAttempt(): void {
    if (this.waiting) this.node?.pool.cancel(this)
    this.conn?.destroy()
    this.conn = undefined
  }

  private endNode(outcome: 'success' | 'failure' | 'ignore'): void {
    if (!this.nodeActive) return
    this.nodeActive = false
    this.client.end(this.node!, outcome)
  }

  private finish(result: ForwardResult): void {
    if (this.settled) return
    this.settled = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.tx.onAbort = undefined
    this.resolve(result)
  }
}

function onTimeout(ex: Exchange): void {
  ex.timedOut()
}
function retry(ex: Exchange): void {
  ex.attempt()
}
