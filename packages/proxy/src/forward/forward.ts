// Sends one HTTP/1.1 request to an endpoint of a concrete client and streams the response
// back, with undici's `dispatch` (the lowest-level API: no per-request streams of its own).
// Bodies flow both ways under backpressure and are never buffered; retries, the deadline and
// client aborts are handled here, so the router only maps the typed result to a status.
//
// The timeout covers the wait for the response head, retries included (as Finagle's timeout
// for a streamed response); a response body streams for as long as it lasts.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { Client } from '../balance/client.js'
import type { EndpointNode } from '../balance/endpoint.js'
import type { RetryBudget } from '../retry/budget.js'
import { DEFAULT_MAX_RETRIES, hasBody, isIdempotent } from '../retry/policy.js'
import { DEADLINE_HEADER, effectiveDeadline } from './deadline.js'
import { classify, errorMessage } from './errors.js'
import { stripHopByHop } from './hop-by-hop.js'
import type { ForwardErrorKind, ForwardResult } from './result.js'

export type { ForwardErrorKind, ForwardFailure, ForwardResult } from './result.js'
export { forwardUpgrade } from './upgrade.js'

export type OutboundHeaders = Record<string, string | string[]>

export interface ForwardOptions {
  /**
   * The outbound request headers, prepared by the router (l5d-*, Via). Used and modified in
   * place: hop-by-hop headers and `Expect` are removed, `l5d-ctx-deadline` is set.
   */
  readonly headers: OutboundHeaders
  /** The outbound request-target. */
  readonly path: string
  /** The router's timeout; combined here with the request's `l5d-ctx-deadline`. */
  readonly timeoutMs: number | undefined
  readonly budget: RetryBudget
  /** Retries after the first attempt; default 2. */
  readonly maxRetries?: number
  /** Called with the response head before it is written; may change the headers. */
  readonly onResponseHead?: (status: number, headers: OutboundHeaders) => void
}

/** Our own abort reasons, told apart from undici's errors by identity. */
const CLIENT_GONE = new Error('client closed the connection')
const TIMED_OUT = new Error('request timed out')

const kExchange = Symbol('switchyard.exchange')
type TaggedResponse = ServerResponse & { [kExchange]?: Exchange }

/** Streams `req` to one endpoint of `client` and the response into `res`. Never throws. */
export function forward(
  client: Client,
  req: IncomingMessage,
  res: ServerResponse,
  options: ForwardOptions,
): Promise<ForwardResult> {
  options.budget.deposit()
  const headers = stripHopByHop(options.headers)
  // Node has answered `100 Continue` already; undici refuses to send Expect.
  if (headers.expect !== undefined) delete headers.expect
  const deadline = effectiveDeadline(headers, options.timeoutMs, Date.now())
  if (deadline.header !== undefined) headers[DEADLINE_HEADER] = deadline.header
  if (deadline.timeoutMs !== undefined && deadline.timeoutMs <= 0) {
    return Promise.resolve(failure('timeout', 'deadline already expired', undefined, 0, false))
  }
  return new Exchange(client, req, res, options, headers).run(deadline.timeoutMs)
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

/** One forwarded request and its attempts; also undici's handler for the current attempt. */
class Exchange implements Dispatcher.DispatchHandler {
  private resolve!: (r: ForwardResult) => void
  private readonly dispatchOptions: Dispatcher.DispatchOptions
  private readonly canRetry: boolean
  private readonly maxRetries: number
  private node: EndpointNode | undefined
  private tried: EndpointNode[] | undefined
  private controller: Dispatcher.DispatchController | undefined
  /** undici began writing the current attempt on a connection. */
  private written = false
  private responseStarted = false
  private headersSent = false
  private status = 0
  private retries = 0
  private budgetExhausted = false
  private timer: NodeJS.Timeout | undefined
  private timeoutMs = 0
  /** The result is out (resolved); later callbacks only clean up. */
  private settled = false
  /** Why we aborted the attempt ourselves, if we did. */
  private abortReason: Error | undefined

  constructor(
    private readonly client: Client,
    req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly options: ForwardOptions,
    headers: OutboundHeaders,
  ) {
    const method = req.method ?? 'GET'
    const body = hasBody(req.headers)
    this.canRetry = !body && isIdempotent(method)
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES
    this.dispatchOptions = { method, path: options.path, headers, body: body ? req : null }
  }

  run(timeoutMs: number | undefined): Promise<ForwardResult> {
    const p = new Promise<ForwardResult>((resolve) => {
      this.resolve = resolve
    })
    ;(this.res as TaggedResponse)[kExchange] = this
    this.res.on('close', onResponseClose)
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
    this.controller = undefined
    this.written = false
    this.responseStarted = false
    this.client.begin(node)
    try {
      node.pool.dispatch(this.dispatchOptions, this)
    } catch (err) {
      // Invalid arguments (a header undici refuses): nothing was sent.
      this.client.end(node, 'ignore')
      this.finish(
        failure('upstream-reset', errorMessage(err as Error), node.key, this.retries, false),
      )
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    this.written = true
    // The client left or the deadline passed while the request waited for a connection.
    if (this.abortReason !== undefined) controller.abort(this.abortReason)
  }

  onResponseStarted(): void {
    this.responseStarted = true
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (this.settled) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.status = status
    const out = stripHopByHop(headers) as OutboundHeaders
    try {
      this.options.onResponseHead?.(status, out)
      this.res.writeHead(status, statusMessage || undefined, out)
    } catch (err) {
      // A header node will not write (or a faulty hook): treat as a bad upstream response.
      controller.abort(err as Error)
      return
    }
    this.headersSent = true
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause()
      this.res.once('drain', onResponseDrain)
    }
  }

  onResponseEnd(
    _controller: Dispatcher.DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    const node = this.node!
    this.controller = undefined
    this.client.end(node, this.status >= 500 ? 'failure' : 'success')
    if (this.settled) return
    for (const _ in trailers) {
      // Only a chunked response can carry them; node drops them otherwise.
      this.res.addTrailers(trailers as OutboundHeaders)
      break
    }
    this.res.end()
    this.finish({
      ok: true,
      status: this.status,
      endpoint: node.key,
      retries: this.retries,
      budgetExhausted: this.budgetExhausted,
    })
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const node = this.node!
    this.controller = undefined
    if (this.abortReason !== undefined) {
      // Our abort (or a failure after it): only a timeout blames the endpoint.
      this.client.end(
        node,
        this.abortReason === TIMED_OUT || err !== this.abortReason ? 'failure' : 'ignore',
      )
      return
    }
    this.client.end(node, 'failure')
    if (this.settled) return
    if (this.headersSent) {
      // Mid-body: the client cannot be told anything but that the response is broken.
      this.res.destroy()
      this.finish(failure('upstream-reset', errorMessage(err), node.key, this.retries, true))
      return
    }
    const c = classify(err, this.written, this.responseStarted)
    if (c.retryable && this.canRetry && this.retries < this.maxRetries) {
      if (this.options.budget.tryWithdraw()) {
        this.retries++
        if (this.tried === undefined) this.tried = [node]
        else this.tried.push(node)
        process.nextTick(retry, this)
        return
      }
      this.budgetExhausted = true
    }
    this.finish(
      failure(c.kind, errorMessage(err), node.key, this.retries, false, this.budgetExhausted),
    )
  }

  /** The client connection closed: before the response finished, that is an abort. */
  clientClosed(): void {
    if (this.settled) return
    this.abort(CLIENT_GONE)
    this.finish(
      failure(
        'client-aborted',
        CLIENT_GONE.message,
        this.node?.key,
        this.retries,
        this.headersSent,
        this.budgetExhausted,
      ),
    )
  }

  timedOut(): void {
    this.timer = undefined
    if (this.settled || this.headersSent) return
    this.abort(TIMED_OUT)
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

  resume(): void {
    this.controller?.resume()
  }

  private abort(reason: Error): void {
    this.abortReason = reason
    // Without a controller the request is still queued; onRequestStart aborts it.
    this.controller?.abort(reason)
  }

  private finish(result: ForwardResult): void {
    if (this.settled) return
    this.settled = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.resolve(result)
  }
}

// Listeners shared by every request, so none allocates a closure for them.
function onResponseClose(this: TaggedResponse): void {
  this[kExchange]?.clientClosed()
}
function onResponseDrain(this: TaggedResponse): void {
  this[kExchange]?.resume()
}
function onTimeout(ex: Exchange): void {
  ex.timedOut()
}
function retry(ex: Exchange): void {
  ex.attempt()
}
