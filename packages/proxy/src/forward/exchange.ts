// One forwarded request and its attempts: the endpoint picked for each, the retries RFC 9110
// §9.2.2 and the retry budget allow, the timeout on the response head, and the client's
// abort. The exchange owns the transaction while it runs (the client's abort and drain, the
// request body); each attempt (attempt.ts) owns its upstream connection.
import type { Client } from '../balance/client.js'
import type { EndpointNode } from '../balance/endpoint.js'
import type { HeaderMap, HttpParseError } from '../http1/head.js'
import type { Transaction, TransactionOwner } from '../http1/server.js'
import type { RetryBudget } from '../retry/budget.js'
import { DEFAULT_MAX_RETRIES, isIdempotent } from '../retry/policy.js'
import { Attempt } from './attempt.js'
import { type ForwardErrorKind, type ForwardResult, failure } from './result.js'

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

export class Exchange implements TransactionOwner {
  private resolve!: (r: ForwardResult) => void
  /** May be sent again after it was sent once: an idempotent method and no body. */
  readonly idempotent: boolean
  private readonly maxRetries: number
  /** The attempt under way, or the last one. */
  private current: Attempt | undefined
  private tried: EndpointNode[] | undefined
  /** The request body has begun to flow, to this attempt or an earlier one. */
  bodyStarted = false
  /** The request body is all read (and written on to the attempt's connection). */
  requestDone: boolean
  private retries = 0
  private budgetExhausted = false
  private timer: NodeJS.Timeout | undefined
  private timeoutMs = 0
  /** The result is out; later callbacks only clean up. */
  settled = false

  constructor(
    readonly client: Client,
    readonly tx: Transaction,
    readonly options: ForwardOptions,
    /** The outbound request head, written as it is on each attempt's connection. */
    readonly requestText: string,
  ) {
    this.idempotent = !tx.hasBody && isIdempotent(tx.method)
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES
    this.requestDone = !tx.hasBody
  }

  run(timeoutMs: number | undefined): Promise<ForwardResult> {
    const p = new Promise<ForwardResult>((resolve) => {
      this.resolve = resolve
    })
    this.tx.owner = this
    if (timeoutMs !== undefined) {
      this.timeoutMs = timeoutMs
      this.timer = setTimeout(onTimeout, timeoutMs, this)
    }
    this.attempt()
    return p
  }

  /** Tries an endpoint not tried yet, or fails with no-endpoints when none is left. */
  attempt(): void {
    if (this.settled) return
    const node = this.client.pick(this.tried)
    if (node === undefined) {
      this.fail('no-endpoints', `no endpoints for ${this.client.id}`)
      return
    }
    const attempt = new Attempt(this, node)
    this.current = attempt
    attempt.start()
  }

  /** An attempt has a connection: the request body flows from now on, to whichever holds one. */
  startBody(): void {
    if (this.bodyStarted) return
    this.bodyStarted = true
    this.tx.readBody()
  }

  /** The response head is in: the timeout covers no more than the wait for it. */
  responseBegan(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
  }

  /**
   * The attempt on `node` failed before any response: another endpoint gets the request when
   * `retryable`, retries are left and the budget allows one; otherwise the exchange fails.
   */
  failOrRetry(
    node: EndpointNode,
    kind: 'connect' | 'upstream-reset',
    message: string,
    retryable: boolean,
  ): void {
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
    this.fail(kind, message)
  }

  /** Fails the exchange; `headersSent` when the response had begun (the client was cut). */
  fail(kind: ForwardErrorKind, message: string, headersSent = false): void {
    const endpoint = kind === 'no-endpoints' ? undefined : this.current?.node.key
    this.finish(failure(kind, message, endpoint, this.retries, headersSent, this.budgetExhausted))
  }

  /** The whole response went to the client. */
  succeed(status: number, endpoint: string): void {
    this.finish({
      ok: true,
      status,
      endpoint,
      retries: this.retries,
      budgetExhausted: this.budgetExhausted,
    })
  }

  /**
   * The backend accepted the upgrade and the tunnel is open (tunnel.ts). The retries before it
   * count as for any other answer (an upgrade refused by a dead endpoint is sent again).
   */
  tunnelled(endpoint: string): void {
    this.succeed(101, endpoint)
  }

  /** The client left before the response ended. */
  onClientAbort(): void {
    if (this.settled) return
    this.current?.cancel()
    this.current?.endNode('ignore')
    this.fail('client-aborted', 'client closed the connection', this.tx.headersSent)
  }

  onClientDrain(): void {
    this.current?.conn?.socket.resume()
  }

  onRequestBody(chunk: Buffer): boolean {
    const conn = this.current?.conn
    return conn === undefined ? true : conn.write(chunk)
  }

  onRequestBodyEnd(): void {
    this.requestDone = true
  }

  /**
   * The request body does not parse (a malformed chunk), and no response has begun: the
   * request cannot be delimited, so the attempt is abandoned, its connection destroyed rather
   * than reused, and the router answers 400 with the server's reason.
   */
  onRequestBodyError(err: HttpParseError): void {
    if (this.settled) return
    this.current?.cancel()
    this.current?.endNode('ignore')
    this.fail('bad-request', `Malformed request body: ${err.message}`)
  }

  timedOut(): void {
    this.timer = undefined
    if (this.settled || (this.current !== undefined && this.current.status !== 0)) return
    this.current?.cancel()
    this.current?.endNode('failure')
    this.fail('timeout', `exceeded ${Math.round(this.timeoutMs)} ms waiting for a response`)
  }

  private finish(result: ForwardResult): void {
    if (this.settled) return
    this.settled = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.resolve(result)
  }
}

function onTimeout(ex: Exchange): void {
  ex.timedOut()
}
function retry(ex: Exchange): void {
  ex.attempt()
}
