// A router: its servers, its identifier, its interpreter (namerd or local), the routes cache,
// one client per concrete name, and the handler that ties them together for each request.
import type { AddressInfo } from 'node:net'
import type { Server as TlsServer } from 'node:tls'
import { type Dtab, Path } from '@switchyard/dtab'
import { hostPort } from '@switchyard/wire'
import type { Logger } from 'pino'
import { Client } from '../balance/client.js'
import { http1Pools } from '../balance/endpoint.js'
import { clientResolver, type ResolvedClient } from '../config/client-configs.js'
import type { RouterConfig, ServerConfig } from '../config/schema.js'
import { effectiveDeadline } from '../forward/deadline.js'
import { forward } from '../forward/forward.js'
import type { HeaderMap } from '../http1/head.js'
import { Http1Server, type Transaction, type TransactionOwner } from '../http1/server.js'
import type { UpstreamPool } from '../http1/upstream-pool.js'
import type { Interpreter } from '../interpret/index.js'
import { ListenError } from '../listen-error.js'
import { RouterStats, type ScopeStats } from '../metrics/index.js'
import { ServiceBudgets } from '../retry/service-budgets.js'
import type { Routes } from '../route/index.js'
import { clientTlsWarnings } from '../tls/check-files.js'
import { ClientTls } from '../tls/client-tls.js'
import { ServerTls } from '../tls/server-tls.js'
import type { AccessLog } from './access-log.js'
import { ClientRegistry } from './client-registry.js'
import { forwardError, INTERNAL_ERROR } from './error-response.js'
import { clearL5d, nextRequestId, outboundHeaders } from './outbound-headers.js'
import type { ProxyRouter } from './proxy-router.js'
import { CUT, GONE, RequestRecord } from './request-record.js'
import {
  type Aborted,
  type Leaf,
  type Pending,
  RouteDecider,
  type Settled,
} from './route-decider.js'
import { carriesOverride, routedHeaders, showRouted } from './routed-headers.js'

interface ServerCtx {
  readonly config: ServerConfig
  readonly stats: ScopeStats
  readonly server: Http1Server
  readonly tls: ServerTls | undefined
}

export interface RouterOptions {
  /** Relative TLS file paths are relative to this (the config file's directory); default cwd. */
  readonly baseDir?: string
  /** How often server certificate files are checked for a change (ms); default 2000. */
  readonly tlsPollMs?: number
}

export class Router implements ProxyRouter {
  readonly protocol = 'http' as const
  readonly label: string
  readonly stats: RouterStats
  readonly dstPrefix: Path
  readonly routes: Routes
  readonly decider: RouteDecider
  private readonly clients: ClientRegistry<UpstreamPool>
  private readonly budgets: ServiceBudgets
  private readonly servers: ServerCtx[] = []
  private readonly baseDir: string

  constructor(
    readonly config: RouterConfig,
    readonly interpreter: Interpreter,
    readonly logger: Logger,
    private readonly accessLog: AccessLog | undefined,
    private readonly options: RouterOptions = {},
  ) {
    this.label = config.label ?? config.protocol
    this.stats = new RouterStats(this.label)
    this.decider = new RouteDecider(config, interpreter, this.label)
    this.dstPrefix = this.decider.dstPrefix
    this.routes = this.decider.routes
    this.stats.routeCache = this.routes
    this.baseDir = options.baseDir ?? process.cwd()
    // Each bound id gets its settings (io.l5d.static: per prefix, commonName filled from the
    // prefix's captures); the TLS files were checked at listen, so loading here reuses them.
    const resolveClient = clientResolver(config.client)
    this.clients = new ClientRegistry((id) => this.makeClient(id, resolveClient(Path.read(id))))
    const b = config.service.retries.budget
    this.budgets = new ServiceBudgets({
      ttlMs: b.ttlSecs * 1000,
      minRetriesPerSec: b.minRetriesPerSec,
      percentCanRetry: b.percentCanRetry,
    })
  }

  private makeClient(id: string, c: ResolvedClient): Client<UpstreamPool> {
    const tls = c.tls === undefined ? undefined : ClientTls.load(c.tls, this.baseDir, 'client.tls')
    return new Client(id, {
      failureAccrual: {
        consecutiveFailures: c.failureAccrual.failures,
        backoff: c.failureAccrual.backoff,
      },
      makePool: http1Pools({
        connectTimeoutMs: c.connectTimeoutMs,
        maxConnections: c.maxConnectionsPerEndpoint,
        keepAliveTimeoutMs: undefined,
        tls,
      }),
    })
  }

  /**
   * Reads every client TLS section's files now, so a bad one is a start error naming its key
   * (`client.configs[1].tls.trustCerts[0]`), not a failure of the first request that needs it.
   */
  private checkClientTls(): void {
    const c = this.config.client
    if (c.tls !== undefined && c.tls.enabled !== false) {
      ClientTls.load(c.tls, this.baseDir, 'client.tls')
    }
    c.configs?.forEach((entry, k) => {
      if (entry.tls === undefined || entry.tls.enabled === false) return
      ClientTls.load(entry.tls, this.baseDir, `client.configs[${k}].tls`)
    })
    // disableValidation, commonName variables never filled: tls/check-files.ts, which --check
    // prints too.
    for (const w of clientTlsWarnings(this.config)) this.logger.warn({ key: w.split(':')[0] }, w)
  }

  /** Starts every server; resolves with their addresses once all listen. */
  async listen(): Promise<string[]> {
    this.checkClientTls()
    const out: string[] = []
    for (const [i, config] of this.config.servers.entries()) {
      // HTTP/1.1 over TLS (ALPN http/1.1); mTLS when caCertPath is set. The files are checked
      // before the port is bound: a bad one is a start error naming servers[i].tls.<key>.
      const tls =
        config.tls === undefined
          ? undefined
          : await ServerTls.load(config.tls, this.baseDir, this.logger, ['http/1.1'], {
              key: `servers[${i}].tls`,
              ...(this.options.tlsPollMs !== undefined && { pollMs: this.options.tlsPollMs }),
            })
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
        ...(tls !== undefined && {
          tls: tls.options(),
          onTlsError: (err: Error, remote: string | undefined) =>
            this.logger.debug(
              { err: err.message, code: (err as { code?: string }).code, remote },
              'TLS handshake failed',
            ),
        }),
      })
      await server.listen(config.port, config.ip).catch((err: unknown) => {
        tls?.close()
        throw new ListenError(`servers[${i}]`, err)
      })
      tls?.watch(server.net as TlsServer)
      // Linkerd's server scope is `<ip>/<port>`, known once the port is bound, before any
      // connection is read.
      const a = server.net.address() as AddressInfo
      ctx = {
        config,
        server,
        tls,
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
    const d = this.decider.decide(tx, rec.clear)
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

  /** The first request for a name not yet resolved waits for it, within its deadline. */
  private async settle(d: Pending, req: Transaction): Promise<Settled | Aborted> {
    // The wait is part of the request: it spends the router's timeout, and an inbound
    // l5d-ctx-deadline bounds it too.
    const limit = effectiveDeadline(req.headers, this.config.timeoutMs, Date.now()).timeoutMs
    const wait = new RouteWait()
    req.owner = wait
    const settled = await this.decider.settle(d, limit ?? this.config.timeoutMs, wait.left.signal)
    req.owner = undefined
    return settled
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
      if (!rec.clear && reply.status === 502) reply = this.decider.withRouting(reply, to)
      if (routed !== undefined) reply = { ...reply, headers: routedHeaders(routed) }
      rec.finish(reply, result)
    }
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
    return this.decider.explain(path, extra)
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.tls?.close()
            void s.server.close().then(resolve)
          }),
      ),
    )
    await this.clients.close()
    await this.interpreter.close()
  }
}

const showAddress = (a: AddressInfo) => hostPort(a.address, a.port)

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
