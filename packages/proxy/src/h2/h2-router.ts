// An h2 router: HTTP/2 servers (h2c by prior knowledge, or h2 over TLS with ALPN, h2-server.ts),
// routing each stream as router.ts routes an HTTP/1.1 request (route-decider.ts: identify,
// overrides, resolve, pick), and forwarding it on an h2 session to the endpoint picked
// (forward.ts), streams passed through under flow control. gRPC-aware: outcomes from
// grpc-status (stream-record.ts), grpc-timeout as a deadline, the proxy's own errors as gRPC
// errors for gRPC calls (h2-errors.ts).
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import { type Dtab, Path } from '@switchyard/dtab'
import { hostPort } from '@switchyard/wire'
import type { Logger } from 'pino'
import { Client } from '../balance/client.js'
import { clientResolver } from '../config/client-configs.js'
import type { RouterConfig, ServerConfig } from '../config/schema.js'
import { effectiveDeadline } from '../forward/deadline.js'
import type { Interpreter } from '../interpret/index.js'
import { ListenError } from '../listen-error.js'
import { RouterStats, type ScopeStats } from '../metrics/index.js'
import { ServiceBudgets } from '../retry/service-budgets.js'
import type { Routes } from '../route/index.js'
import type { AccessLog } from '../router/access-log.js'
import { ClientRegistry } from '../router/client-registry.js'
import { nextRequestId } from '../router/outbound-headers.js'
import type { ProxyRouter } from '../router/proxy-router.js'
import {
  type Aborted,
  type Leaf,
  type Pending,
  RouteDecider,
  type Settled,
} from '../router/route-decider.js'
import { carriesOverride, routedHeaders } from '../router/routed-headers.js'
import { clientTlsWarnings } from '../tls/check-files.js'
import { ClientTls } from '../tls/client-tls.js'
import { ServerTls } from '../tls/server-tls.js'
import { forwardH2 } from './forward.js'
import type { H2Forward } from './forward-types.js'
import { isGrpc, parseGrpcTimeout } from './grpc.js'
import { H2_INTERNAL_ERROR, h2ForwardError, h2Reply, headersTooLarge } from './h2-errors.js'
import {
  clearH2Context,
  type H2Request,
  type HeadersEdit,
  h2OutboundHeaders,
  h2Request,
  headerListBytes,
  showRoutedH2,
} from './h2-headers.js'
import { H2_SERVER_DEFAULTS, H2Server } from './h2-server.js'
import { type H2ResponseClassifier, h2ResponseClassifier } from './response-classifier.js'
import { type H2SessionPool, h2Pools } from './session-pool.js'
import { CUT, GONE, StreamRecord } from './stream-record.js'

export interface H2RouterOptions {
  /** Relative TLS paths are relative to this (the config file's folder). */
  readonly baseDir: string
  /** The forwarder; default forward.ts's forwardH2. For tests. */
  readonly forward?: H2Forward
}

interface ServerCtx {
  readonly config: ServerConfig
  readonly stats: ScopeStats
  readonly server: H2Server
}

export class H2Router implements ProxyRouter {
  readonly protocol = 'h2' as const
  readonly label: string
  readonly stats: RouterStats
  readonly dstPrefix: Path
  readonly routes: Routes
  readonly decider: RouteDecider
  private readonly clients: ClientRegistry<H2SessionPool>
  private readonly budgets: ServiceBudgets
  private readonly servers: ServerCtx[] = []
  private readonly forward: H2Forward
  private readonly classifier: H2ResponseClassifier

  constructor(
    readonly config: RouterConfig,
    readonly interpreter: Interpreter,
    readonly logger: Logger,
    readonly accessLog: AccessLog | undefined,
    readonly options: H2RouterOptions,
  ) {
    this.label = config.label ?? config.protocol
    this.stats = new RouterStats(this.label)
    this.decider = new RouteDecider(config, interpreter, this.label)
    this.dstPrefix = this.decider.dstPrefix
    this.routes = this.decider.routes
    this.stats.routeCache = this.routes
    this.forward = options.forward ?? forwardH2
    this.classifier = h2ResponseClassifier(config.service.responseClassifier)
    this.clients = new ClientRegistry(clientFactory(config, options.baseDir))
    const b = config.service.retries.budget
    this.budgets = new ServiceBudgets({
      ttlMs: b.ttlSecs * 1000,
      minRetriesPerSec: b.minRetriesPerSec,
      percentCanRetry: b.percentCanRetry,
    })
  }

  /** Starts every server; resolves with their addresses once all listen. */
  async listen(): Promise<string[]> {
    // A bad client TLS file is a start error too, not the first request's (proxy.ts prefixes
    // the key with the router's).
    checkClientTls(this.config, this.options.baseDir)
    // disableValidation, commonName variables never filled: said at start as an http router
    // says them (tls/check-files.ts, which --check prints too).
    for (const w of clientTlsWarnings(this.config)) this.logger.warn({ key: w.split(':')[0] }, w)
    if (this.classifier.unsupported !== undefined) {
      this.logger.warn(`routers: ${this.label}: ${this.classifier.unsupported}`)
    }
    const out: string[] = []
    for (const [i, config] of this.config.servers.entries()) {
      // A bad certificate or key is a start error naming the key and the file (ServerTls).
      const tls =
        config.tls === undefined
          ? undefined
          : await ServerTls.load(config.tls, this.options.baseDir, this.logger, ['h2'], {
              key: `servers[${i}].tls`,
            })
      let ctx: ServerCtx | undefined
      const server = new H2Server({
        config,
        tls,
        logger: this.logger,
        onStream: (stream, headers, remote) => this.stream(ctx!, stream, headers, remote),
      })
      await server.listen(config.port, config.ip).catch((err: unknown) => {
        tls?.close()
        throw new ListenError(`servers[${i}]`, err)
      })
      const a = server.address()
      ctx = { config, server, stats: this.stats.servers.get(`${a.address}/${a.port}`) }
      this.servers.push(ctx)
      out.push(hostPort(a.address, a.port))
    }
    return out
  }

  addresses(): string[] {
    return this.servers.map((s) => {
      const a = s.server.address()
      return hostPort(a.address, a.port)
    })
  }

  /** A new stream: its record, then its routing; a bug answers this stream only. */
  private stream(
    ctx: ServerCtx,
    stream: ServerHttp2Stream,
    incoming: IncomingHttpHeaders,
    remote: string | undefined,
  ): void {
    const req = h2Request(incoming)
    const limit = ctx.config.maxHeaderListBytes ?? H2_SERVER_DEFAULTS.maxHeaderListBytes
    const bytes = headerListBytes(incoming)
    const rec = new StreamRecord(
      stream,
      req,
      isGrpc(req.headers['content-type']),
      ctx.config.clearContext,
      remote,
      this.stats,
      ctx.stats,
      this.accessLog,
    )
    if (bytes > limit) {
      rec.finish(headersTooLarge(bytes, limit))
      return
    }
    this.handle(rec).catch((err: unknown) => {
      this.logger.error({ err, method: req.method, path: req.url }, 'stream failed unexpectedly')
      rec.finish(rec.stream.headersSent ? CUT : H2_INTERNAL_ERROR)
    })
  }

  /**
   * One stream, start to end: identify it, apply its overrides, resolve its name, pick an
   * endpoint (waiting for the name's addresses when they are new), forward it. Every way out
   * ends `rec`, which counts, logs and answers errors.
   */
  private async handle(rec: StreamRecord): Promise<void> {
    const req = rec.req
    if (req.method === 'CONNECT') {
      // Extended CONNECT (RFC 8441, websockets over h2) and plain CONNECT tunnels are not routed.
      return rec.finish(
        h2Reply({
          status: 400,
          message: 'CONNECT is not supported by an h2 router',
          retryable: false,
        }),
      )
    }
    const start = performance.now()
    const d = this.decider.decide(req, rec.clear)
    // After decide: on a clearContext server it removed the client's l5d-ctx-deadline.
    const callerMs = this.callerDeadline(req)
    // The router's timeout bounds the wait for the response head (addresses included), as on
    // an http router; the caller's deadline, when it gave one, the whole call.
    const budgetMs =
      callerMs === undefined ? this.config.timeoutMs : Math.min(this.config.timeoutMs, callerMs)
    let to: Settled | Aborted
    if (d.type === 'pending') to = await this.settle(d, rec, budgetMs)
    else to = d
    // The client left while its stream waited for addresses: nothing to answer.
    if (to.type === 'aborted') return rec.finish(GONE)
    if (to.type === 'error') {
      if (to.service === undefined) return rec.finish(h2Reply(to.error))
      rec.named(to.service)
      const shown = !rec.clear && carriesOverride(req.headers)
      return rec.finish(
        h2Reply(
          shown ? { ...to.error, headers: routedHeaders({ service: to.service }) } : to.error,
        ),
      )
    }
    // The wait for addresses spent part of the stream's time.
    const spent = performance.now() - start
    return this.forwardTo(
      rec,
      to,
      budgetMs - spent,
      callerMs === undefined ? undefined : callerMs - spent,
    )
  }

  /**
   * The caller's own deadline from now, when it gave one: an inbound l5d-ctx-deadline and
   * grpc-timeout, the stricter. Read once, when the stream arrives.
   */
  private callerDeadline(req: H2Request): number | undefined {
    const fromCtx = effectiveDeadline(req.headers, undefined, Date.now()).timeoutMs
    const grpcMs = parseGrpcTimeout(req.headers['grpc-timeout'])
    if (fromCtx === undefined) return grpcMs
    return grpcMs === undefined ? fromCtx : Math.min(fromCtx, grpcMs)
  }

  /** The first stream for a name not yet resolved waits for it, within its deadline. */
  private async settle(d: Pending, rec: StreamRecord, limitMs: number): Promise<Settled | Aborted> {
    const left = new AbortController()
    const abort = () => left.abort()
    const stream = rec.stream
    // The client reset its stream (or its connection went) while it waited.
    stream.once('aborted', abort)
    stream.once('close', abort)
    try {
      return await this.decider.settle(d, limitMs, left.signal)
    } finally {
      stream.off('aborted', abort)
      stream.off('close', abort)
    }
  }

  /** Forwards the stream to the endpoint picked, and ends the record with the outcome. */
  private async forwardTo(
    rec: StreamRecord,
    to: Leaf,
    timeoutMs: number,
    deadlineMs: number | undefined,
  ): Promise<void> {
    const req = rec.req
    const stream = rec.stream
    if (stream.destroyed || stream.closed) return rec.finish(GONE)
    const service = to.route.dstText
    rec.forwarding(service, to.leaf.idText)
    const client = this.clients.get(to.leaf.idText, to.leaf.addr)
    // On a clearContext server carriesOverride is false: the l5d-* headers are gone.
    const routed =
      !rec.clear && carriesOverride(req.headers)
        ? { service, client: to.leaf.idText, residual: to.leaf.residualText }
        : undefined
    const headers = h2OutboundHeaders(req, to.url, {
      service,
      client: to.leaf.idText,
      residual: to.leaf.residualText,
      ctxDtab: to.ctxDtab,
      reqId: nextRequestId(),
    })
    let onResponseHeaders: HeadersEdit | undefined
    if (rec.clear) onResponseHeaders = clearH2Context
    else if (routed !== undefined) onResponseHeaders = showRoutedH2(routed)
    const result = await this.forward(client, stream, {
      headers,
      timeoutMs,
      ...(deadlineMs !== undefined && { deadlineMs }),
      grpc: rec.grpc,
      budget: this.budgets.get(service),
      maxRetries: this.config.service.retries.maxRetries,
      retryableGrpc: this.classifier.retryableGrpc,
      ...(onResponseHeaders !== undefined && { onResponseHeaders }),
      // clearContext: no l5d-* from an untrusted client goes on, in its trailers either.
      ...(rec.clear && {
        onTrailers: clearH2Context,
        onRequestTrailers: clearH2Context,
        clear: true,
      }),
    })
    if (!result.ok && result.kind === 'bad-response') {
      // A backend's answer this proxy cannot send on: its own error, said once in the log too.
      this.logger.warn(
        { service, client: client.id, endpoint: result.endpoint },
        `${service}: ${result.message}`,
      )
    }
    if (result.ok) rec.finish({ status: result.status, grpcStatus: result.grpcStatus }, result)
    else if (result.kind === 'client-aborted') rec.finish(GONE, result)
    // A gRPC call the forwarder ended with a status of its own (its backend was lost mid-answer).
    else if (result.grpcStatus !== undefined) {
      rec.finish({ status: 200, grpcStatus: result.grpcStatus }, result)
    } else if (result.headersSent || stream.headersSent) rec.finish(CUT, result)
    else {
      let reply = h2ForwardError(result, service, client.id)
      if (!rec.clear && reply.status === 502) {
        // A 502 names the service, the dtab and the override that led to the failing endpoint.
        const { message } = this.decider.withRouting({ status: 502, message: reply.message }, to)
        reply = { ...reply, message }
      }
      if (routed !== undefined) reply = { ...reply, headers: routedHeaders(routed) }
      rec.finish(reply, result)
    }
  }

  /** The delegation of `path` for the admin's route debugger. */
  explain(path: Path, extra: Dtab): Promise<string> {
    return this.decider.explain(path, extra)
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.server.close()))
    await this.clients.close()
    await this.interpreter.close()
  }
}

/**
 * The client of each bound id: its settings from the client section (io.l5d.static prefixes
 * over io.l5d.global's keys, clientResolver), h2 over TLS when they have tls, else h2c.
 * The TLS files are read once and shared (ClientTls caches them); a bad one is found at start
 * (checkClientTls, in listen) rather than by the first request.
 */
function clientFactory(
  config: RouterConfig,
  baseDir: string,
): (id: string) => Client<H2SessionPool> {
  const resolve = clientResolver(config.client)
  return (id) => {
    const c = resolve(Path.read(id))
    const tls = c.tls === undefined ? undefined : ClientTls.load(c.tls, baseDir)
    return new Client<H2SessionPool>(id, {
      makePool: h2Pools({
        connectTimeoutMs: c.connectTimeoutMs,
        ...(tls !== undefined && { tls }),
        maxSessions: c.maxConnectionsPerEndpoint,
      }),
      failureAccrual: {
        consecutiveFailures: c.failureAccrual.failures,
        backoff: c.failureAccrual.backoff,
      },
    })
  }
}

/** Reads every client TLS file the section names, so a bad one is a start error naming its key. */
function checkClientTls(config: RouterConfig, baseDir: string): void {
  // tls: {enabled: false} (Linkerd's) turns TLS off: its files are not used, so not read.
  if (config.client.tls !== undefined && config.client.tls.enabled !== false) {
    ClientTls.load(config.client.tls, baseDir, 'client.tls')
  }
  config.client.configs?.forEach((c, i) => {
    if (c.tls !== undefined && c.tls.enabled !== false) {
      ClientTls.load(c.tls, baseDir, `client.configs[${i}].tls`)
    }
  })
}
