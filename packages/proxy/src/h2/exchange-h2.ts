// One forwarded h2 stream and its attempts. The exchange owns the client's stream (`inbound`):
// its request body flows to whichever attempt holds an upstream stream, under flow control both
// ways (a paused side stops reading, so node stops granting HTTP/2 window and the peer waits);
// the response head, data and trailers flow back. Nothing is buffered beyond the streams' own
// buffers and windows, except a request body of at most 64 KiB kept to be replayed (retry-h2.ts).
//
// The timeout covers the wait for the response head, retries included; a response streams for
// as long as it lasts, or until the caller's own deadline (l5d-ctx-deadline, grpc-timeout) when
// it gave one: then a gRPC call ends DEADLINE_EXCEEDED, a plain stream is reset (CANCEL). Resets travel both ways: the client's close cancels the upstream stream
// (CANCEL), the backend's reset resets the client's stream with the same code.
import {
  type ClientHttp2Stream,
  constants,
  type Http2Session,
  type Http2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2'
import { performance } from 'node:perf_hooks'
import type { Client, Outcome } from '../balance/client.js'
import type { EndpointNode } from '../balance/endpoint.js'
import { isIdempotent } from '../retry/policy.js'
import { truncateEncoded, urlEncodeJava } from '../router/error-response.js'
import type { H2ForwardOptions, H2ForwardResult, H2Headers } from './forward-types.js'
import {
  encodeGrpcMessage,
  formatGrpcTimeout,
  MAX_GRPC_MESSAGE_CHARS,
  readGrpcStatus,
} from './grpc.js'
import {
  answerOutcome,
  GRPC_UNAVAILABLE,
  h2CodeName,
  neverProcessed,
  ReplayBody,
} from './retry-h2.js'
import type { H2PoolError, H2SessionPool, StreamWaiter } from './session-pool.js'
import { tlsFailureWithDates } from './tls-failure.js'
import {
  headerBytes,
  MAX_FORWARDED_HEADER_BYTES,
  responseHead,
  trailerFields,
  UPSTREAM_MAX_HEADER_BYTES,
} from './upstream-headers.js'

type FailKind = Extract<H2ForwardResult, { ok: false }>['kind']

/** As the router's own errors bound l5d-err (h2-errors.ts). */
const MAX_L5D_ERR_CHARS = 8 * 1024

const {
  NGHTTP2_CANCEL,
  NGHTTP2_ENHANCE_YOUR_CALM,
  NGHTTP2_INTERNAL_ERROR,
  NGHTTP2_NO_ERROR,
  NGHTTP2_FLAG_END_STREAM,
} = constants

/** One endpoint's try: its place in the pool's queue, then its upstream stream. */
class Attempt implements StreamWaiter {
  stream: ClientHttp2Stream | undefined
  /** The stream's session, kept: a closed stream no longer names it. */
  session: Http2Session | undefined
  /** Told the client of its end (begin/end pair closed). */
  ended = false

  constructor(
    readonly ex: H2Exchange,
    readonly node: EndpointNode<H2SessionPool>,
  ) {}

  onStream(stream: ClientHttp2Stream): void {
    this.ex.onStream(this, stream)
  }

  onOpenError(err: H2PoolError): void {
    this.ex.onOpenError(this, err)
  }
}

export class H2Exchange {
  private resolve!: (r: H2ForwardResult) => void
  private readonly body = new ReplayBody()
  /** The request had END_STREAM on its HEADERS: there is no body to send. */
  private readonly noBody: boolean
  private current: Attempt | undefined
  private tried: EndpointNode<H2SessionPool>[] | undefined
  private retries = 0
  /** Streams sent again because the backend never processed them (redispatch). */
  private redispatches = 0
  private budgetExhausted = false
  private timer: NodeJS.Timeout | undefined
  /** performance.now() by which the response head must be in; Infinity: no limit. */
  private endAt = Number.POSITIVE_INFINITY
  private timeoutMs = 0
  /** performance.now() of the caller's own deadline, the whole call's; Infinity: none. */
  private deadlineAt = Number.POSITIVE_INFINITY
  private deadlineMs = 0
  /** The body has begun to flow (inbound's 'data' is listened to). */
  private reading = false
  private headersSent = false
  private status = 0
  private grpcStatus: number | undefined
  private trailers: OutgoingHttpHeaders | undefined
  /** Response body bytes written to the client's stream. */
  private bodyBytes = 0
  /** The answer's END_STREAM came without trailers: the client's stream ends at the close. */
  private endAtClose = false
  /** The forwarder ended the call itself (endCall): its status and why. */
  private ending:
    | { readonly grpcStatus: number; readonly message: string; readonly kind: FailKind }
    | undefined
  /** The request's trailers, sent after its body on each attempt. */
  private requestTrailers: OutgoingHttpHeaders | undefined
  settled = false

  constructor(
    readonly client: Client<H2SessionPool>,
    readonly inbound: ServerHttp2Stream,
    readonly options: H2ForwardOptions,
    /** The outbound headers, deadline included; grpc-timeout is written per attempt. */
    private readonly headers: OutgoingHttpHeaders,
  ) {
    this.noBody = inbound.endAfterHeaders || inbound.readableEnded
    this.body.ended = this.noBody
  }

  /**
   * `timeoutMs` bounds the wait for the response head; `deadlineMs` (the caller's) the whole
   * call, and is what the backend is told (grpc-timeout).
   */
  run(timeoutMs: number | undefined, deadlineMs?: number): Promise<H2ForwardResult> {
    const p = new Promise<H2ForwardResult>((resolve) => {
      this.resolve = resolve
    })
    const inbound = this.inbound
    inbound.on('error', ignore)
    // 'aborted': the client reset the stream while the answer was unfinished. 'close' alone may
    // wait for the request body to be read to its end, which a paused stream never is.
    inbound.once('aborted', () => this.onInboundClose())
    inbound.once('close', () => {
      this.onInboundClose()
      detach(inbound, INBOUND_EVENTS)
    })
    // Nothing to read but the end: consumed, so the stream can close when its answer is done.
    if (this.noBody) inbound.resume()
    // Listened for from the start: an empty body (END_STREAM on an empty DATA frame) ends the
    // readable side on its own, without being read, maybe before any upstream stream exists.
    else {
      inbound.once('end', () => this.onRequestEnd())
      inbound.once('trailers', (trailers: IncomingHttpHeaders) => {
        this.options.onRequestTrailers?.(trailers)
        this.requestTrailers = trailerFields(trailers)
      })
    }
    if (inbound.destroyed) {
      this.onInboundClose()
      return p
    }
    const now = performance.now()
    if (deadlineMs !== undefined) {
      this.deadlineMs = deadlineMs
      this.deadlineAt = now + deadlineMs
    }
    if (timeoutMs !== undefined) {
      this.timeoutMs = timeoutMs
      this.endAt = now + timeoutMs
      this.timer = setTimeout(onTimeout, timeoutMs, this)
    }
    this.attempt()
    return p
  }

  /** Tries an endpoint not tried yet (the same one when it is the only one). */
  private attempt(): void {
    if (this.settled) return
    const node = this.client.pick(this.tried)
    if (node === undefined) {
      this.fail('no-endpoints', `no endpoints for ${this.client.id}`)
      return
    }
    const a = new Attempt(this, node)
    this.current = a
    this.client.begin(node)
    // The exchange's own copy of the headers (forwardH2's): each attempt writes its time left
    // into it (node copies the headers it is given, so an earlier attempt's are unaffected).
    const headers = this.headers
    // Only the caller's deadline is the backend's: the router's timeout ends with the head.
    if (this.options.grpc && this.deadlineAt !== Number.POSITIVE_INFINITY) {
      headers['grpc-timeout'] = formatGrpcTimeout(this.deadlineAt - performance.now())
    }
    // waitForTrailers: the request's trailers, if it has any, go after its body; without any,
    // node ends the stream with an empty DATA frame (never an empty HEADERS frame).
    node.pool.open(a, headers, { endStream: this.noBody, waitForTrailers: !this.noBody })
  }

  onStream(a: Attempt, stream: ClientHttp2Stream): void {
    if (a !== this.current || this.settled) {
      stream.on('error', ignore)
      stream.close(NGHTTP2_CANCEL)
      return
    }
    a.stream = stream
    a.session = stream.session
    stream.on('error', ignore)
    stream.on('response', (headers, flags) => this.onResponse(a, headers, flags))
    stream.on('trailers', (trailers) => this.onTrailers(a, trailers))
    stream.on('data', (chunk: Buffer) => {
      if (a !== this.current || this.ending !== undefined) return
      this.bodyBytes += chunk.length
      if (!this.inbound.write(chunk)) stream.pause()
    })
    stream.on('end', () => this.onUpstreamEnd(a))
    stream.on('close', () => {
      this.onUpstreamClose(a, stream)
      detach(stream, UPSTREAM_EVENTS)
    })
    stream.on('wantTrailers', () => {
      try {
        stream.sendTrailers(this.requestTrailers ?? {})
      } catch {
        // The stream was reset meanwhile; its 'close' says so.
      }
    })
    stream.on('drain', () => {
      if (a === this.current) this.inbound.resume()
    })
    this.sendBody(stream)
  }

  /** The body so far (replayed on a retry), then the rest as it comes. */
  private sendBody(stream: ClientHttp2Stream): void {
    if (this.noBody) return
    for (const chunk of this.body.chunks) stream.write(chunk)
    if (this.body.ended) {
      stream.end()
      return
    }
    if (!this.reading) {
      this.reading = true
      this.inbound.on('data', (chunk: Buffer) => this.onRequestData(chunk))
    }
    this.inbound.resume()
  }

  private onRequestData(chunk: Buffer): void {
    if (this.settled) return // drained, so the client's stream can close
    this.body.add(chunk)
    const up = this.current?.stream
    // Between attempts the client's stream is paused; a chunk that still slips through is kept
    // by the replay buffer (or the request is no longer replayable, which failOrRetry sees).
    if (up === undefined || up.destroyed) {
      this.inbound.pause()
      return
    }
    if (!up.write(chunk)) this.inbound.pause()
  }

  private onRequestEnd(): void {
    this.body.ended = true
    const up = this.current?.stream
    // After a client's reset node emits 'end' too ('aborted' first): the upstream stream is
    // closed (cancelled) by then and is left so. An answer that completed before the body's end
    // still needs it: the upstream stream stays open until its request side ends.
    if (up !== undefined && !up.destroyed && !up.closed) up.end()
  }

  private onResponse(a: Attempt, headers: IncomingHttpHeaders, flags: number): void {
    if (a !== this.current || this.settled) return
    const status = Number(headers[':status'])
    const trailersOnly = (flags & NGHTTP2_FLAG_END_STREAM) !== 0
    const grpcStatus = this.options.grpc ? readGrpcStatus(headers['grpc-status']) : undefined
    // A status the config makes retryable (io.l5d.h2.grpc.default: UNAVAILABLE), nothing of
    // the answer sent yet, and all of the request kept: another endpoint may take it.
    if (
      trailersOnly &&
      grpcStatus !== undefined &&
      this.options.retryableGrpc?.has(grpcStatus) === true &&
      this.body.complete &&
      this.retry(a, 'failure')
    ) {
      return
    }
    this.startResponse(a, headers, status, grpcStatus, trailersOnly)
  }

  private startResponse(
    a: Attempt,
    headers: IncomingHttpHeaders,
    status: number,
    grpcStatus: number | undefined,
    trailersOnly: boolean,
  ): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    // From here only the caller's deadline bounds the call.
    // (A deadline past what a timer can hold, ~24.8 days, e.g. grpc-timeout 99999999H, is none:
    // node would fire such a timer at once.)
    const left = this.deadlineAt - performance.now()
    if (left <= MAX_TIMER_MS && !trailersOnly) {
      this.timer = setTimeout(onDeadline, Math.max(0, left), this)
    }
    this.options.onResponseHeaders?.(headers)
    const head = responseHead(headers)
    const bytes = headerBytes(head)
    if (bytes > MAX_FORWARDED_HEADER_BYTES) {
      // Node would fail to send it and close the client's whole connection with it: the
      // proxy's own error instead, on this stream only.
      if (a.stream !== undefined && !a.stream.destroyed) a.stream.close(NGHTTP2_CANCEL)
      this.endNode(a, 'failure')
      this.fail(
        'bad-response',
        `${a.node.key} answered with response headers of ${bytes} bytes, over the ${MAX_FORWARDED_HEADER_BYTES} bytes this proxy can send on`,
        a.node.key,
      )
      return
    }
    this.status = status
    this.grpcStatus = grpcStatus
    const inbound = this.inbound
    try {
      inbound.respond(head, {
        endStream: trailersOnly,
        waitForTrailers: !trailersOnly,
      })
    } catch {
      // The client's stream went away as the answer came: its 'close' tells the rest.
      a.stream?.close(NGHTTP2_CANCEL)
      return
    }
    this.headersSent = true
    if (trailersOnly) {
      this.complete(a)
      return
    }
    inbound.on('drain', () => a.stream?.resume())
    inbound.once('wantTrailers', () => {
      // Failed meanwhile (the backend reset the stream): the client's stream is being reset,
      // and trailers now would read as the end of a complete answer.
      if (this.settled) return
      try {
        inbound.sendTrailers(this.trailers ?? {})
      } catch {
        // Reset meanwhile; 'close' says so.
        return
      }
      this.complete(a)
    })
  }

  private onTrailers(a: Attempt, trailers: IncomingHttpHeaders): void {
    if (a !== this.current || this.settled || this.ending !== undefined) return
    if (this.options.grpc) this.grpcStatus = readGrpcStatus(trailers['grpc-status'])
    this.options.onTrailers?.(trailers)
    const fields = trailerFields(trailers)
    const bytes = headerBytes(fields)
    if (bytes > MAX_FORWARDED_HEADER_BYTES) {
      // As a response head too large: never sent on, it would close the client's connection.
      const why = `${a.node.key} answered with trailers of ${bytes} bytes, over the ${MAX_FORWARDED_HEADER_BYTES} bytes this proxy can send on`
      if (this.options.grpc) {
        this.endCall(GRPC_INTERNAL, why, 'bad-response')
        return
      }
      this.endNode(a, 'failure')
      this.fail('bad-response', why, a.node.key)
      this.inbound.close(NGHTTP2_INTERNAL_ERROR)
      return
    }
    this.trailers = fields
  }

  private onUpstreamEnd(a: Attempt): void {
    if (a !== this.current || this.settled || !this.headersSent || this.ending !== undefined) return
    // A gRPC answer ends with its trailers. An END_STREAM without them is a peer closing its
    // side before it resets the stream: node's close(code) (grpc-js's cancel too) sends
    // END_STREAM, then RST_STREAM with the code, and node emits 'end' before the reset is
    // known. The stream's 'close' says which it was (onUpstreamClose): a reset goes to the
    // client with its code, a plain close ends the client's stream as this would have.
    if (this.options.grpc && this.trailers === undefined) {
      this.endAtClose = true
      return
    }
    // The last DATA goes out; 'wantTrailers' sends the trailers and completes.
    this.inbound.end()
  }

  private onUpstreamClose(a: Attempt, stream: ClientHttp2Stream): void {
    // Ended by the forwarder (endCall): its trailers are on their way.
    if (a !== this.current || this.settled || this.ending !== undefined) return
    const code = stream.rstCode ?? NGHTTP2_INTERNAL_ERROR
    if (code === NGHTTP2_NO_ERROR && stream.readableEnded) {
      // Ended well: 'end' did the rest, or left it to now (a gRPC answer without trailers).
      if (this.endAtClose) this.inbound.end()
      return
    }
    // The connection died (the backend crashed, the network cut): node closes its streams with
    // CANCEL, which a gRPC client would read as its own cancellation. The backend reset nothing.
    const lost = a.session?.destroyed === true && !neverProcessed(code)
    const loss = lost && a.session !== undefined ? a.node.pool.lossReason(a.session) : undefined
    if (loss?.unprocessed === true && !this.headersSent) {
      // Refused after the TLS handshake, or not an HTTP/2 server: nothing was processed as a
      // request. A TLS or connect failure, named.
      if (this.body.intact && this.retry(a, 'failure')) return
      this.endNode(a, 'failure')
      this.fail(loss.kind, loss.message, a.node.key)
      return
    }
    const why = lost
      ? (loss?.message ?? 'the connection was lost')
      : `the backend reset the stream (${h2CodeName(code)})`
    const rstCode = lost ? undefined : code
    if (!this.headersSent) {
      if (code === NGHTTP2_ENHANCE_YOUR_CALM && !lost) {
        // Node resets a stream whose response head is over what the session takes (or the
        // backend calmed it): not sent again, named.
        this.endNode(a, 'failure')
        this.fail(
          'bad-response',
          `${a.node.key}: the stream was reset (ENHANCE_YOUR_CALM) before answering: its response headers were over the ${UPSTREAM_MAX_HEADER_BYTES} bytes this proxy takes, or the backend refused the load`,
          a.node.key,
        )
        return
      }
      if (neverProcessed(code)) {
        // Refused (or left unprocessed by a GOAWAY): nothing reached the application, so it is
        // sent again without spending a retry or the budget (a busy backend's refusals are not
        // failures of the call), a bounded number of times.
        if (this.body.intact && this.redispatch(a)) return
      } else if (lost && this.noBody && isIdempotent(methodOf(this.headers))) {
        // Maybe processed, but safe to send again (RFC 9110 §9.2.2), as HTTP/1.1 does.
        if (this.retry(a, 'failure')) return
      }
      this.endNode(a, 'failure')
      this.fail('upstream-reset', `${a.node.key}: ${why} before answering`, a.node.key, rstCode)
      return
    }
    this.endNode(a, 'failure')
    if (lost && this.options.grpc) {
      // A gRPC call can still be ended as the call it is: UNAVAILABLE in its trailers, as
      // grpc-js reports a dropped connection with no proxy between (clients retry it), rather
      // than a reset the client reads as INTERNAL.
      this.endCall(GRPC_UNAVAILABLE, `${a.node.key}: ${why} while answering`)
      return
    }
    // The answer had begun: the client's stream is reset as the backend's was (INTERNAL_ERROR
    // when the backend's code is none or the connection was lost).
    const rst = lost || code === NGHTTP2_NO_ERROR ? NGHTTP2_INTERNAL_ERROR : code
    // Settled first: closing the client's stream emits its 'aborted' synchronously.
    this.fail('upstream-reset', `${a.node.key}: ${why} while answering`, a.node.key, rstCode)
    this.inbound.close(rst)
  }

  /**
   * Ends a gRPC call whose answer had begun with `grpcStatus` in trailers of the forwarder's
   * own (the backend's are lost with it); the result, once they are out, is a failure.
   */
  private endCall(grpcStatus: number, message: string, kind: FailKind = 'upstream-reset'): void {
    const trailers: H2Headers = { 'grpc-status': String(grpcStatus) }
    if (this.options.clear !== true) {
      trailers['grpc-message'] = truncateEncoded(encodeGrpcMessage(message), MAX_GRPC_MESSAGE_CHARS)
      trailers['l5d-err'] = truncateEncoded(urlEncodeJava(message), MAX_L5D_ERR_CHARS)
    }
    this.options.onTrailers?.(trailers)
    this.trailers = trailerFields(trailers)
    this.grpcStatus = grpcStatus
    this.ending = { grpcStatus, message, kind }
    this.inbound.end()
  }

  onOpenError(a: Attempt, err: H2PoolError): void {
    if (a !== this.current || this.settled) return
    const endpointFault = err.code === 'H2_CONNECT' || err.code === 'H2_CONNECT_TIMEOUT'
    // No session: nothing reached the backend. Another endpoint (or this one again) may take it.
    if (this.body.intact && this.retry(a, endpointFault ? 'failure' : 'ignore')) return
    this.endNode(a, endpointFault ? 'failure' : 'ignore')
    const key = a.node.key
    if (err.code !== 'H2_CONNECT') {
      this.fail('connect', err.message, key)
      return
    }
    // A TLS failure is named (an expired certificate with its date: one more handshake, at
    // most 1 s, only then); the exchange's timer and the client's reset still apply meanwhile.
    const { endpoint, options } = a.node.pool
    void tlsFailureWithDates(err.cause, endpoint.ip, endpoint.port, key, options.tls).then(
      (tls) => {
        if (tls !== undefined) this.fail('tls', tls, key)
        else this.fail('connect', err.message, key)
      },
    )
  }

  /**
   * Sends the request again after `a` failed with nothing answered to the client, when retries
   * are left and the budget allows one. False (and the attempt's end left to the caller) if not.
   */
  private retry(a: Attempt, outcome: Outcome): boolean {
    if (this.retries >= this.options.maxRetries || this.endAt <= performance.now()) return false
    if (!this.options.budget.tryWithdraw()) {
      this.budgetExhausted = true
      return false
    }
    this.inbound.pause()
    this.endNode(a, outcome)
    this.retries++
    if (this.tried === undefined) this.tried = [a.node]
    else this.tried.push(a.node)
    this.current = undefined
    process.nextTick(retryLater, this)
    return true
  }

  /**
   * Sends a stream the backend never processed (REFUSED_STREAM, a GOAWAY above it) again, as
   * the pool would have had it known the backend's limits: not a retry (no budget, not counted
   * in `retries`), at most MAX_REDISPATCHES times per call and within the head's time.
   */
  private redispatch(a: Attempt): boolean {
    if (this.redispatches >= MAX_REDISPATCHES || this.endAt <= performance.now()) {
      return this.retry(a, 'ignore')
    }
    this.redispatches++
    this.inbound.pause()
    this.endNode(a, 'ignore')
    this.current = undefined
    process.nextTick(retryLater, this)
    return true
  }

  retryNow(): void {
    this.attempt()
  }

  /** The whole response was handed to the client's stream. */
  private complete(a: Attempt): void {
    if (this.settled) return
    this.endNode(a, answerOutcome(this.status, this.options.grpc, this.grpcStatus))
    if (this.ending !== undefined) {
      // The call was ended by the forwarder (endCall): a failure, with the status it was given.
      this.finish({
        ok: false,
        kind: this.ending.kind,
        message: this.ending.message,
        endpoint: a.node.key,
        retries: this.retries,
        budgetExhausted: this.budgetExhausted,
        headersSent: true,
        grpcStatus: this.ending.grpcStatus,
      })
    } else {
      this.finish({
        ok: true,
        status: this.status,
        grpcStatus: this.grpcStatus,
        endpoint: a.node.key,
        retries: this.retries,
        budgetExhausted: this.budgetExhausted,
      })
    }
    // A client still sending its body gets RST_STREAM(NO_ERROR) once the answer is out
    // (RFC 9113 §8.1), rather than a stream held open with nobody reading it.
    if (!this.inbound.readableEnded && !this.inbound.destroyed) {
      setImmediate(closeQuietly, this.inbound)
    }
  }

  private onInboundClose(): void {
    if (this.settled) return
    const a = this.current
    if (a !== undefined) {
      if (a.stream === undefined) a.node.pool.cancel(a)
      else if (!a.stream.destroyed) a.stream.close(NGHTTP2_CANCEL)
      this.endNode(a, 'ignore')
    }
    this.fail('client-aborted', 'the client closed the stream', a?.node.key)
  }

  timedOut(): void {
    this.timer = undefined
    if (this.settled || this.headersSent) return
    const a = this.current
    if (a !== undefined) {
      if (a.stream === undefined) a.node.pool.cancel(a)
      else if (!a.stream.destroyed) a.stream.close(NGHTTP2_CANCEL)
      this.endNode(a, 'failure')
    }
    this.fail(
      'timeout',
      `exceeded ${Math.round(this.timeoutMs)} ms waiting for a response`,
      a?.node.key,
    )
  }

  /**
   * The caller's deadline passed while the answer streamed: the backend's stream is cancelled
   * (it was told the same deadline); a gRPC call ends DEADLINE_EXCEEDED in trailers of the
   * forwarder's own, a plain stream is reset (CANCEL), as a client past its deadline would.
   */
  deadlinePassed(): void {
    this.timer = undefined
    if (this.settled || this.ending !== undefined || !this.headersSent) return
    const a = this.current
    if (a === undefined) return
    const message = `the caller's deadline of ${Math.round(this.deadlineMs)} ms passed while ${a.node.key} was answering`
    this.endNode(a, 'ignore')
    if (this.options.grpc) {
      this.endCall(GRPC_DEADLINE_EXCEEDED, message, 'timeout')
      if (a.stream !== undefined && !a.stream.destroyed) a.stream.close(NGHTTP2_CANCEL)
      return
    }
    if (a.stream !== undefined && !a.stream.destroyed) a.stream.close(NGHTTP2_CANCEL)
    this.fail('timeout', message, a.node.key)
    this.inbound.close(NGHTTP2_CANCEL)
  }

  private endNode(a: Attempt, outcome: Outcome): void {
    if (a.ended) return
    a.ended = true
    this.client.end(a.node, outcome)
  }

  fail(kind: FailKind, message: string, endpoint?: string, rstCode?: number): void {
    this.finish({
      ok: false,
      kind,
      message,
      ...(endpoint === undefined ? {} : { endpoint }),
      retries: this.retries,
      budgetExhausted: this.budgetExhausted,
      headersSent: this.headersSent,
      ...(rstCode === undefined ? {} : { rstCode }),
    })
  }

  private finish(outcome: H2ForwardResult): void {
    if (this.settled) return
    this.settled = true
    const result = { ...outcome, bodyBytes: this.bodyBytes }
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    // The rest of the request body, if any, is read and dropped (onRequestData ignores it once
    // settled): a stream whose body is never read to its end never closes.
    if (!this.inbound.readableEnded) this.inbound.resume()
    this.resolve(result)
  }
}

function ignore(): void {}

/** The exchange's events on the client's stream (its 'close' and 'error' stay: see detach). */
const INBOUND_EVENTS = ['aborted', 'end', 'trailers', 'data', 'drain', 'wantTrailers'] as const
/** The exchange's events on an upstream stream. */
const UPSTREAM_EVENTS = [
  'response',
  'trailers',
  'data',
  'end',
  'wantTrailers',
  'drain',
  'close',
] as const

/**
 * Takes the exchange's listeners off a stream that has closed (no event of these follows
 * 'close'). Node's objects for an HTTP/2 stream outlive the stream: they survive the young
 * generation's collections and are promoted, and whatever their listeners reach (this
 * exchange, its headers, the router's record and promises) would be promoted with them, to be
 * freed only by a mark-compact. Detached, the exchange dies young. The 'error' listeners (a
 * no-op) stay, so a late error is never unhandled.
 */
function detach(stream: Http2Stream, events: readonly string[]): void {
  for (const e of events) stream.removeAllListeners(e)
}

function methodOf(headers: OutgoingHttpHeaders): string | undefined {
  const m = headers[':method']
  return typeof m === 'string' ? m : undefined
}

function onTimeout(ex: H2Exchange): void {
  ex.timedOut()
}

function onDeadline(ex: H2Exchange): void {
  ex.deadlinePassed()
}

/** Unprocessed streams sent again per call before they count as retries (redispatch). */
const MAX_REDISPATCHES = 16

/** The longest delay setTimeout takes (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1

/** gRPC's INTERNAL. */
const GRPC_INTERNAL = 13

/** gRPC's DEADLINE_EXCEEDED. */
const GRPC_DEADLINE_EXCEEDED = 4

function retryLater(ex: H2Exchange): void {
  ex.retryNow()
}

function closeQuietly(s: ServerHttp2Stream): void {
  if (!s.destroyed && !s.readableEnded) s.close(NGHTTP2_NO_ERROR)
}

export type { H2Headers }
