// A router: its servers, its identifier, its interpreter (namerd or local), the routes cache,
// one client per concrete name, and the handler that ties them together for each request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { type Dtab, Path } from '@switchyard/dtab'
import type { Logger } from 'pino'
import type { RouterConfig, ServerConfig } from '../config/schema.js'
import { type ForwardResult, forward, forwardUpgrade } from '../forward/forward.js'
import { createIdentifier, type Identifier } from '../identify/index.js'
import type { Interpreter } from '../interpret/index.js'
import { RouterStats, type ScopeStats } from '../metrics/index.js'
import { RetryBudget } from '../retry/budget.js'
import {
  describeNoRoute,
  parseOverrides,
  type Route,
  type RouteLeaf,
  Routes,
} from '../route/index.js'
import type { AccessLog } from './access-log.js'
import { ClientRegistry } from './client-registry.js'
import { type ErrorReply, sendError, urlEncodeJava } from './error-response.js'
import { callDepth, clearL5d, nextRequestId, outboundHeaders } from './outbound-headers.js'

interface ServerCtx {
  readonly config: ServerConfig
  readonly stats: ScopeStats
  readonly server: Server
}

export class Router {
  readonly label: string
  readonly stats: RouterStats
  readonly dstPrefix: Path
  readonly routes: Routes
  private readonly identify: Identifier
  private readonly clients: ClientRegistry
  private readonly budget: RetryBudget
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
    const fa = config.client.failureAccrual
    this.clients = new ClientRegistry({
      failureAccrual: {
        consecutiveFailures: fa.failures,
        backoffMs: fa.backoff.kind === 'constant' ? fa.backoff.ms : fa.backoff.minMs,
      },
      connectTimeoutMs: config.client.connectTimeoutMs,
      maxConnectionsPerEndpoint: config.client.maxConnectionsPerEndpoint,
    })
    const b = config.service.retries.budget
    this.budget = new RetryBudget({
      ttlMs: b.ttlSecs * 1000,
      minRetriesPerSec: b.minRetriesPerSec,
      percentCanRetry: b.percentCanRetry,
    })
  }

  /** Starts every server; resolves with their addresses once all listen. */
  async listen(): Promise<string[]> {
    const out: string[] = []
    for (const config of this.config.servers) {
      // requireHostHeader off: node would answer a Host-less HTTP/1.1 request with a bare 400
      // of its own; the identifier decides instead (io.l5d.path or io.l5d.static need no
      // Host), and when it cannot identify the request, the 400 says why in l5d-err.
      const server = createServer({
        keepAliveTimeout: 60_000,
        requestTimeout: 0,
        requireHostHeader: false,
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(config.port, config.ip, () => {
          server.off('error', reject)
          resolve()
        })
      })
      // Linkerd's server scope is `<ip>/<port>`, known once the port is bound. 'listening'
      // comes before any connection is read, so no request misses these handlers.
      const a = server.address() as AddressInfo
      const ctx: ServerCtx = {
        config,
        server,
        stats: this.stats.servers.get(`${a.address}/${a.port}`),
      }
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        void this.handle(req, res, ctx)
      })
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        void this.handleUpgrade(req, socket, head, ctx)
      })
      server.on('clientError', (_err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n')
        else socket.destroy()
      })
      this.servers.push(ctx)
      out.push(showAddress(a))
    }
    return out
  }

  addresses(): string[] {
    return this.servers.map((s) => showAddress(s.server.address() as AddressInfo))
  }

  /** Where the request goes, or the error to answer with; synchronous unless a name is new. */
  private decide(req: IncomingMessage, clear: boolean): Decision {
    const headers = req.headers
    if (clear) clearL5d(headers)
    if (callDepth(headers.via) >= this.config.maxCallDepth) {
      return err(
        400,
        `Maximum number of hops exceeded (${this.config.maxCallDepth}): is there a routing loop?`,
      )
    }
    if (hostCount(req.rawHeaders) > 1) {
      // RFC 9112 §3.2: more than one Host is a 400. Parts of the stack would otherwise read
      // different ones, and the request could be identified as one service, routed as another.
      return err(400, 'More than one Host header')
    }
    const id = this.identify(req)
    if (!id.ok) return err(400, `Unknown destination: ${id.reason}`)
    // headersDistinct keeps repeated l5d-dtab values apart; node would join them with ', '.
    // It is a separate copy made from the raw headers, so clearL5d above does not reach it:
    // on a clearContext server it must not be read at all, or l5d-dtab would still apply.
    const overrides = parseOverrides(headers, clear ? undefined : req.headersDistinct)
    if (!overrides.ok) return err(400, overrides.message)
    const base = this.interpreter.dtab
    if (base === undefined) {
      const s = this.interpreter.status
      return err(
        503,
        `No dtab yet for router ${this.label}${s.lastError ? `: ${s.lastError}` : ''}`,
      )
    }
    const route = this.routes.resolve(id.dst, overrides.local)
    if (route.type !== 'route') return err(503, `No dtab yet for router ${this.label}`)
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
    return err(502, describeNoRoute(id.dst, base, overrides.local, route.reason()))
  }

  /**
   * The first request for a name that namerd has not answered for yet waits for that answer
   * (one round trip, then cached), up to the router's timeout.
   */
  private async settle(d: Extract<Decision, { type: 'pending' }>): Promise<Settled> {
    await d.route.settled(this.config.timeoutMs)
    // Waited long enough: an Alt may now fall back past a name that is still pending.
    const leaf = d.route.pick(Math.random, true)
    if (leaf !== undefined)
      return { type: 'leaf', route: d.route, url: d.url, leaf, ctxDtab: d.ctxDtab }
    const reason = d.route.reason()
    if (reason === 'pending')
      return err(503, `Timed out waiting for the addresses of ${d.route.dstText}`)
    return err(502, describeNoRoute(d.route.dst, d.base, d.local, reason))
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
    server: ServerCtx,
  ): Promise<void> {
    const start = performance.now()
    const clear = server.config.clearContext
    const serverStats = server.stats
    serverStats.pending++
    const d = this.decide(req, clear)
    const r = d.type === 'pending' ? await this.settle(d) : d
    let result: ForwardResult | undefined
    let serviceStats: ScopeStats | undefined
    let status: number | undefined
    if (r.type !== 'leaf') {
      req.resume()
      sendError(res, r.error, clear)
      status = r.error.status
    } else {
      const service = r.route.dstText
      serviceStats = this.stats.services.get(service)
      const clientStats = this.stats.clients.get(r.leaf.idText)
      serviceStats.pending++
      clientStats.pending++
      const client = this.clients.get(r.leaf.idText, r.leaf.addr)
      const headers = outboundHeaders(req.headers, {
        service,
        client: r.leaf.idText,
        residual: r.leaf.residualText,
        ctxDtab: r.ctxDtab,
        reqId: nextRequestId(),
      })
      result = await forward(client, req, res, {
        headers,
        path: r.url,
        timeoutMs: this.config.timeoutMs,
        budget: this.budget,
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
          sendError(res, reply, clear)
          status = reply.status
        } else res.destroy()
      }
      const ms = performance.now() - start
      clientStats.record(result.ok ? result.status : undefined, ms)
      serviceStats.record(status, ms)
    }
    serverStats.pending--
    serverStats.record(status, performance.now() - start)
    this.accessLog?.write(req, status, performance.now() - start)
  }

  private async handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    server: ServerCtx,
  ): Promise<void> {
    const d = this.decide(req, server.config.clearContext)
    const r = d.type === 'pending' ? await this.settle(d) : d
    if (r.type !== 'leaf') {
      const reason = STATUS_TEXT[r.error.status]
      const l5dErr = server.config.clearContext
        ? ''
        : `l5d-err: ${urlEncodeJava(r.error.message)}\r\n`
      socket.end(
        `HTTP/1.1 ${r.error.status} ${reason}\r\nconnection: close\r\n${l5dErr}content-length: 0\r\n\r\n`,
      )
      return
    }
    const service = r.route.dstText
    const client = this.clients.get(r.leaf.idText, r.leaf.addr)
    const headers = outboundHeaders(req.headers, {
      service,
      client: r.leaf.idText,
      residual: undefined,
      ctxDtab: r.ctxDtab,
      reqId: nextRequestId(),
    })
    const result = await forwardUpgrade(client, req, socket, head, { headers, path: r.url })
    if (!result.ok && !result.headersSent && socket.writable) {
      socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    }
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
            s.server.close(() => resolve())
            s.server.closeIdleConnections()
          }),
      ),
    )
    await this.clients.close()
    await this.interpreter.close()
  }
}

type Decision =
  | { readonly type: 'error'; readonly error: ErrorReply }
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

const STATUS_TEXT = { 400: 'Bad Request', 502: 'Bad Gateway', 503: 'Service Unavailable' } as const

function hostCount(raw: readonly string[]): number {
  let n = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 4 && name.toLowerCase() === 'host') n++
  }
  return n
}

const showAddress = (a: AddressInfo) =>
  `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`

type Settled = Exclude<Decision, { readonly type: 'pending' }>

/** Errors found before forwarding: the request never reached a backend, so retrying is safe. */
function err(status: ErrorReply['status'], message: string): Extract<Decision, { type: 'error' }> {
  return { type: 'error', error: { status, message, retryable: true } }
}

const clearResponseContext = (_status: number, headers: Record<string, unknown>) =>
  clearL5d(headers)

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
    default:
      return { status: 502, message: `${service} (${client}): ${result.message}`, retryable: false }
  }
}
