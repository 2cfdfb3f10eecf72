// A router: its servers, its identifier, its interpreter (namerd or local), the routes cache,
// one client per concrete name, and the handler that ties them together for each request.
import type { AddressInfo } from 'node:net'
import { Dtab, Path } from '@switchyard/dtab'
import { hostPort } from '@switchyard/wire'
import type { Logger } from 'pino'
import type { RouterConfig, ServerConfig } from '../config/schema.js'
import { effectiveDeadline } from '../forward/deadline.js'
import { forward } from '../forward/forward.js'
import type { HeaderMap } from '../http1/head.js'
import { Http1Server, type Transaction, type TransactionOwner } from '../http1/server.js'
import { createIdentifier, type Identifier } from '../identify/index.js'
import type { Interpreter } from '../interpret/index.js'
import { ListenError } from '../listen-error.js'
import { RouterStats, type ScopeStats } from '../metrics/index.js'
import { ServiceBudgets } from '../retry/service-budgets.js'
import {
  describeNoRoute,
  describeRouting,
  parseOverrides,
  type Route,
  type RouteLeaf,
  Routes,
} from '../route/index.js'
import type { AccessLog } from './access-log.js'
import { ClientRegistry } from './client-registry.js'
import { type ErrorReply, forwardError, INTERNAL_ERROR } from './error-response.js'
import { callDepth, clearL5d, nextRequestId, outboundHeaders } from './outbound-headers.js'
import { CUT, GONE, RequestRecord } from './request-record.js'
import { carriesOverride, routedHeaders, showRouted } from './routed-headers.js'

interface ServerCtx {
  readonly config: ServerConfig
  readonly stats: ScopeStats
  readonly server: Http1Server
}

export class Router {
  readonly label: string
  readonly stats: RouterStats
  readonly dstPrefix: Path
  readonly routes: Routes
  private readonly identify: Identifier
  private readonly clients: ClientRegistry
  private readonly budgets: ServiceBudgets
  private readonly servers: ServerCtx[] = []

  constructor(
    readonly config: RouterConfig,
    readonly interpreter: Interpreter,
    readonly logger: Logger,
    private readonly accessLog: AccessLog | undefined,
  ) {
    this.label = config.label ?? config.protocol
    this.stats = new RouterStats(this.label)
    this.dstPrefix = Path.read(config.dstPrefix)
    this.identify = createIdentifier(config.identifier, this.dstPrefix)
    this.routes = new Routes(interpreter)
    this.stats.routeCache = this.routes
    const fa = config.client.failureAccrual
    this.clients = new ClientRegistry({
      failureAccrual: { consecutiveFailures: fa.failures, backoff: fa.backoff },
      connectTimeoutMs: config.client.connectTimeoutMs,
      maxConnectionsPerEndpoint: config.client.maxConnectionsPerEndpoint,
    })
    const b = config.service.retries.budget
    this.budgets = new ServiceBudgets({
      ttlMs: b.ttlSecs * 1000,
      minRetriesPerSec: b.minRetriesPerSec,
      percentCanRetry: b.percentCanRetry,
    })
  }

  /** Starts every server; resolves with their addresses once all listen. */
  async listen(): Promise<string[]> {
    const out: string[] = []
    for (const [i, config] of this.config.servers.entries()) {
      // The proxy's own HTTP/1.1 server (src/http1). It refuses an HTTP/1.1 request without
      // exactly one valid Host; an HTTP/1.0 one without Host reaches the identifier, which
      // decides (io.l5d.path or io.l5d.static need none), and a 400 says why when it cannot.
      let ctx: ServerCtx | undefined
      const server = new Http1Server({
        keepAliveTimeoutMs: 60_000,
        onRequest: (tx) => {
          const c = ctx!
          const rec = new RequestRecord(
            tx,
            c.config.clearContext,
            this.stats,
            c.stats,
            this.accessLog,
          )
          this.handle(rec).catch((err: unknown) => this.failed(rec, err))
        },
        onParseError: (err, remote) =>
          this.logger.debug({ err: err.message, code: err.code, remote }, 'unparseable request'),
      })
      await server.listen(config.port, config.ip).catch((err: unknown) => {
        throw new ListenError(`servers[${i}]`, err)
      })
      // Linkerd's server scope is `<ip>/<port>`, known once the port is bound, before any
      // connection is read.
      const a = server.net.address() as AddressInfo
      ctx = {
        config,
        server,
        stats: this.stats.servers.get(`${a.address}/${a.port}`),
      }
      this.servers.push(ctx)
      out.push(showAddress(a))
    }
    return out
  }

  addresses(): string[] {
    return this.servers.map((s) => showAddress(s.server.net.address() as AddressInfo))
  }

  /**
   * One request, start to end: identify it, apply its overrides, resolve its name, pick an
   * endpoint (waiting for the name's addresses when they are new), forward it. Every way out
   * ends `rec`, which counts, logs and answers errors.
   */
  private async handle(rec: RequestRecord): Promise<void> {
    const tx = rec.tx
    let timeoutMs = this.config.timeoutMs
    const d = this.decide(tx, rec.clear)
    let to: Settled | Aborted
    if (d.type === 'pending') {
      const waitStart = performance.now()
      to = await this.settle(d, tx)
      timeoutMs -= performance.now() - waitStart
    } else to = d
    // The client left while its request waited for addresses: nothing to answer.
    if (to.type === 'aborted') return rec.finish(GONE)
    if (to.type === 'error') {
      if (to.service === undefined) return rec.finish(to.error)
      rec.named(to.service)
      // An override that led nowhere says so too: the name, and no client.
      const shown = !rec.clear && carriesOverride(tx.headers)
      return rec.finish(
        shown ? { ...to.error, headers: routedHeaders({ service: to.service }) } : to.error,
      )
    }
    return this.forwardTo(rec, to, timeoutMs)
  }

  /** Identify, overrides, resolve, pick: where the request goes, or the error to answer with. */
  private decide(req: Transaction, clear: boolean): Decision {
    const headers = req.headers
    if (clear) clearL5d(headers)
    // Linkerd's MaxCallDepthFilter: refused when Via lists more hops than maxCallDepth.
    if (callDepth(headers.via) > this.config.maxCallDepth) {
      return err(
        400,
        `Maximum number of calls (${this.config.maxCallDepth}) has been exceeded: is there a routing loop?`,
      )
    }
    const id = this.identify(req)
    if (!id.ok) return err(400, `Unknown destination: ${id.reason}`)
    // Repeated l5d-dtab headers arrive as an array and are joined with ';'. On a clearContext
    // server, clearL5d above has already removed them.
    const overrides = parseOverrides(headers)
    if (!overrides.ok) return err(400, overrides.message)
    // From here the request names a service, and its failures count in that service's scope.
    const service = Path.show(id.dst)
    const base = this.interpreter.dtab
    if (base === undefined) {
      const s = this.interpreter.status
      return err(
        503,
        `No dtab yet for router ${this.label}${s.lastError ? `: ${s.lastError}` : ''}`,
        service,
      )
    }
    const route = this.routes.resolve(id.dst, overrides.local)
    if (route.type !== 'route') return err(503, `No dtab yet for router ${this.label}`, service)
    // The request's own l5d-dtab or l5d-ctx-dtab made the bind too much work: like a malformed one.
    if (route.refusal !== undefined) return err(400, route.refusal, service)
    const url = id.rewrittenUrl ?? req.url ?? '/'
    const leaf = route.pick()
    if (leaf !== undefined) return { type: 'leaf', route, url, leaf, ctxDtab: overrides.text }
    if (route.reason() === 'pending') {
      return {
        type: 'pending',
        route,
        url,
        ctxDtab: overrides.text,
        base,
        local: overrides.local,
      }
    }
    return err(502, describeNoRoute(id.dst, base, overrides.local, route.reason()), service)
  }

  /**
   * The first request for a name that namerd has not answered for yet waits for that answer
   * (one round trip, then cached), up to the router's timeout.
   */
  private async settle(
    d: Extract<Decision, { type: 'pending' }>,
    req: Transaction,
  ): Promise<Settled | Aborted> {
    // The wait is part of the request: it spends the router's timeout, and an inbound
    // l5d-ctx-deadline bounds it too.
    const limit = effectiveDeadline(req.headers, this.config.timeoutMs, Date.now()).timeoutMs
    if (limit !== undefined && limit <= 0) {
      return timedOut(
        `Deadline expired before the addresses of ${d.route.dstText} were known`,
        d.route.dstText,
      )
    }
    const wait = new RouteWait()
    req.owner = wait
    await d.route.settled(limit ?? this.config.timeoutMs, wait.left.signal)
    req.owner = undefined
    if (wait.left.signal.aborted) return ABORTED
    // Waited long enough: an Alt may now fall back past a name that is still pending.
    const leaf = d.route.pick(Math.random, true)
    if (leaf !== undefined)
      return { type: 'leaf', route: d.route, url: d.url, leaf, ctxDtab: d.ctxDtab }
    const reason = d.route.reason()
    if (reason === 'pending')
      return timedOut(`Timed out waiting for the addresses of ${d.route.dstText}`, d.route.dstText)
    return err(502, describeNoRoute(d.route.dst, d.base, d.local, reason), d.route.dstText)
  }

  /** Forwards the request to the endpoint picked, and ends the record with the outcome. */
  private async forwardTo(rec: RequestRecord, to: Leaf, timeoutMs: number): Promise<void> {
    const tx = rec.tx
    const service = to.route.dstText
    rec.forwarding(service, to.leaf.idText)
    const client = this.clients.get(to.leaf.idText, to.leaf.addr)
    // On a clearContext server carriesOverride is false: clearL5d took the headers away.
    const routed =
      !rec.clear && carriesOverride(tx.headers)
        ? { service, client: to.leaf.idText, residual: to.leaf.residualText }
        : undefined
    const headers = outboundHeaders(
      tx.headers,
      {
        service,
        client: to.leaf.idText,
        residual: to.leaf.residualText,
        ctxDtab: to.ctxDtab,
        reqId: nextRequestId(),
      },
      tx.upgrade,
    )
    const result = await forward(client, tx, {
      headers,
      path: to.url,
      timeoutMs,
      budget: this.budgets.get(service),
      maxRetries: this.config.service.retries.maxRetries,
      ...(rec.clear && { onResponseHead: clearResponseContext }),
      ...(routed !== undefined && { onResponseHead: showRouted(routed) }),
    })
    if (result.ok) rec.finish(result.status, result)
    else if (result.kind === 'client-aborted') rec.finish(GONE, result)
    else if (result.headersSent) rec.finish(CUT, result)
    else {
      let reply = forwardError(result, service, client.id)
      if (!rec.clear && reply.status === 502) reply = this.withRouting(reply, to)
      if (routed !== undefined) reply = { ...reply, headers: routedHeaders(routed) }
      rec.finish(reply, result)
    }
  }

  /** A 502 names the service, the dtab and the override that led to the failing endpoint. */
  private withRouting(reply: ErrorReply, r: Leaf): ErrorReply {
    // The override parsed when the request arrived; the base is the dtab in force now.
    const local = r.ctxDtab === '' ? Dtab.empty : Dtab.read(r.ctxDtab)
    const routing = describeRouting(r.route.dst, this.interpreter.dtab ?? Dtab.empty, local)
    return { ...reply, message: `${reply.message}\n\n${routing}` }
  }

  /** A bug met by one request answers that request, not every request on the node. */
  private failed(rec: RequestRecord, err: unknown): void {
    const tx = rec.tx
    this.logger.error({ err, method: tx.method, url: tx.url }, 'request failed unexpectedly')
    if (!rec.done) rec.finish(INTERNAL_ERROR)
    else if (!tx.finished) tx.destroy()
  }

  /** The delegation of `path` for the admin's route debugger. */
  explain(path: Path, extra: Dtab): Promise<string> {
    return Promise.resolve(this.routes.explain(path, extra))
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            void s.server.close().then(resolve)
          }),
      ),
    )
    await this.clients.close()
    await this.interpreter.close()
  }
}

type Decision =
  | {
      readonly type: 'error'
      readonly error: ErrorReply
      /** The logical service, when the request was identified before it failed. */
      readonly service?: string
    }
  | {
      readonly type: 'leaf'
      readonly route: Route
      readonly url: string
      readonly leaf: RouteLeaf
      readonly ctxDtab: string
    }
  | {
      readonly type: 'pending'
      readonly route: Route
      readonly url: string
      readonly ctxDtab: string
      readonly base: Dtab
      readonly local: Dtab
    }

const showAddress = (a: AddressInfo) => hostPort(a.address, a.port)

type Leaf = Extract<Decision, { readonly type: 'leaf' }>
type Settled = Exclude<Decision, { readonly type: 'pending' }>
interface Aborted {
  readonly type: 'aborted'
}
const ABORTED: Aborted = Object.freeze({ type: 'aborted' })

/** Errors found before forwarding: the request never reached a backend, so retrying is safe. */
function err(
  status: ErrorReply['status'],
  message: string,
  service?: string,
): Extract<Decision, { type: 'error' }> {
  const error: ErrorReply = { status, message, retryable: true }
  return service === undefined ? { type: 'error', error } : { type: 'error', error, service }
}

/** A 503 for a deadline spent before forwarding: sending it again cannot beat the same deadline. */
function timedOut(message: string, service: string): Extract<Decision, { type: 'error' }> {
  return { type: 'error', error: { status: 503, message, retryable: false }, service }
}

/**
 * Holds a request while it waits for its route: a client that leaves ends the wait. Its body
 * is not read yet, and nothing has been written to drain.
 */
class RouteWait implements TransactionOwner {
  readonly left = new AbortController()
  onClientAbort(): void {
    this.left.abort()
  }
  onClientDrain(): void {}
  onRequestBody(): boolean {
    return true
  }
  onRequestBodyEnd(): void {}
  onRequestBodyError(): void {}
}

const clearResponseContext = (_status: number, headers: HeaderMap) => clearL5d(headers)
