// A router: its servers, its identifier, its interpreter (namerd or local), the routes cache,
// one client per concrete name, and the handler that ties them together for each request.
import type { AddressInfo } from 'node:net'
import { Dtab, Path } from '@switchyard/dtab'
import type { Logger } from 'pino'
import type { RouterConfig, ServerConfig } from '../config/schema.js'
import { effectiveDeadline } from '../forward/deadline.js'
import { type ForwardResult, forward } from '../forward/forward.js'
import type { HeaderMap } from '../http1/head.js'
import { Http1Server, type Transaction } from '../http1/server.js'
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
import { type ErrorReply, sendError } from './error-response.js'
import { callDepth, clearL5d, nextRequestId, outboundHeaders } from './outbound-headers.js'

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
      // The proxy's own HTTP/1.1 server (src/http1). A request without Host reaches the
      // identifier, which decides (io.l5d.path or io.l5d.static need none); when it cannot
      // identify the request, the 400 says why in l5d-err.
      let ctx: ServerCtx | undefined
      const server = new Http1Server({
        keepAliveTimeoutMs: 60_000,
        onRequest: (tx) => {
          this.handle(tx, ctx!).catch((err: unknown) => this.failed(tx, err))
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

  /** Where the request goes, or the error to answer with; synchronous unless a name is new. */
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
    if (Array.isArray(headers.host)) {
      // RFC 9112 §3.2: more than one Host is a 400. Parts of the stack would otherwise read
      // different ones, and the request could be identified as one service, routed as another.
      return err(400, 'More than one Host header')
    }
    const id = this.identify(req)
    if (!id.ok) return err(400, `Unknown destination: ${id.reason}`)
    // Repeated l5d-dtab headers arrive as an array and are joined with ';'. On a clearContext
    // server, clearL5d above has already removed them.
    const overrides = parseOverrides(headers)
    if (!overrides.ok) return err(400, overrides.message)
    // From here the request names a service: its failures count in that service's scope, so
    // a shift to a name that cannot be routed shows in the success rate a rollout reads.
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
    const left = new AbortController()
    req.onAbort = () => left.abort()
    await d.route.settled(limit ?? this.config.timeoutMs, left.signal)
    req.onAbort = undefined
    if (left.signal.aborted) return ABORTED
    // Waited long enough: an Alt may now fall back past a name that is still pending.
    const leaf = d.route.pick(Math.random, true)
    if (leaf !== undefined)
      return { type: 'leaf', route: d.route, url: d.url, leaf, ctxDtab: d.ctxDtab }
    const reason = d.route.reason()
    if (reason === 'pending')
      return timedOut(`Timed out waiting for the addresses of ${d.route.dstText}`, d.route.dstText)
    return err(502, describeNoRoute(d.route.dst, d.base, d.local, reason), d.route.dstText)
  }

  private async handle(req: Transaction, server: ServerCtx): Promise<void> {
    const start = performance.now()
    const clear = server.config.clearContext
    const serverStats = server.stats
    serverStats.pending++
    const d = this.decide(req, clear)
    let timeoutMs = this.config.timeoutMs
    let r: Settled | Aborted
    if (d.type === 'pending') {
      const waitStart = performance.now()
      r = await this.settle(d, req)
      timeoutMs -= performance.now() - waitStart
    } else r = d
    let result: ForwardResult | undefined
    let serviceStats: ScopeStats | undefined
    let status: number | undefined
    if (r.type === 'aborted') {
      // The client left while its request waited for addresses: nothing to answer.
    } else if (r.type !== 'leaf') {
      sendError(req, r.error, clear)
      status = r.error.status
      if (r.service !== undefined)
        this.stats.services.get(r.service).record(status, performance.now() - start)
    } else {
      const service = r.route.dstText
      serviceStats = this.stats.services.get(service)
      const clientStats = this.stats.clients.get(r.leaf.idText)
      serviceStats.pending++
      clientStats.pending++
      const client = this.clients.get(r.leaf.idText, r.leaf.addr)
      const headers = outboundHeaders(
        req.headers,
        {
          service,
          client: r.leaf.idText,
          residual: r.leaf.residualText,
          ctxDtab: r.ctxDtab,
          reqId: nextRequestId(),
        },
        req.upgrade,
      )
      result = await forward(client, req, {
        headers,
        path: r.url,
        timeoutMs,
        budget: this.budgets.get(service),
        maxRetries: this.config.service.retries.maxRetries,
        ...(clear && { onResponseHead: clearResponseContext }),
      })
      serviceStats.pending--
      clientStats.pending--
      serviceStats.retries += result.retries
      if (result.budgetExhausted) serviceStats.budgetExhausted++
      if (result.ok) status = result.status
      else if (result.kind !== 'client-aborted') {
        const reply = forwardError(result, service, client.id)
        if (!result.headersSent) {
          sendError(req, clear || reply.status !== 502 ? reply : this.withRouting(reply, r), clear)
          status = reply.status
        } else req.destroy()
      }
      const ms = performance.now() - start
      clientStats.record(result.ok ? result.status : undefined, ms)
      serviceStats.record(status, ms)
    }
    serverStats.pending--
    serverStats.record(status, performance.now() - start)
    this.accessLog?.write(req, status, performance.now() - start)
  }

  /** A 502 names the service, the dtab and the override that led to the failing endpoint. */
  private withRouting(reply: ErrorReply, r: Extract<Decision, { type: 'leaf' }>): ErrorReply {
    // The override parsed when the request arrived; the base is the dtab in force now.
    const local = r.ctxDtab === '' ? Dtab.empty : Dtab.read(r.ctxDtab)
    const routing = describeRouting(r.route.dst, this.interpreter.dtab ?? Dtab.empty, local)
    return { ...reply, message: `${reply.message}\n\n${routing}` }
  }

  /** A bug met by one request answers that request, not every request on the node. */
  private failed(tx: Transaction, err: unknown): void {
    this.logger.error({ err, method: tx.method, url: tx.url }, 'request failed unexpectedly')
    if (tx.finished) return
    if (tx.headersSent) tx.destroy()
    else sendError(tx, { status: 502, message: 'Internal proxy error', retryable: false }, false)
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

const showAddress = (a: AddressInfo) =>
  `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`

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

const clearResponseContext = (_status: number, headers: HeaderMap) => clearL5d(headers)

function forwardError(
  result: Extract<ForwardResult, { ok: false }>,
  service: string,
  client: string,
): ErrorReply {
  switch (result.kind) {
    case 'timeout':
      return {
        status: 503,
        message: `Request to ${service} timed out (${client}): ${result.message}`,
        retryable: false,
      }
    case 'no-endpoints':
      return {
        status: 502,
        message: `No hosts are available for ${service}, client ${client}`,
        retryable: true,
      }
    case 'connect':
      return {
        status: 502,
        message: `Cannot connect to ${client} for ${service}: ${result.message}`,
        retryable: true,
      }
    case 'bad-request':
      return { status: 400, message: result.message, retryable: false }
    default:
      return { status: 502, message: `${service} (${client}): ${result.message}`, retryable: false }
  }
}
