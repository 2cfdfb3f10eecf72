// The fastify app, built from its dependencies: nothing global, so tests run several at once.
import { randomUUID } from 'node:crypto'
import type { SecureContextOptions } from 'node:tls'
import type { MountedAddrNamer } from '@switchyard/namers'
import type { DtabStore } from '@switchyard/store'
import { errorMessage } from '@switchyard/wire'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { Logger } from 'pino'
import { Auth, type AuthOptions } from './auth.js'
import { coalesceReads } from './coalesced-reads.js'
import {
  ConnectionGuard,
  type ConnectionLimits,
  clientErrorResponder,
  OPERATIONS_ROUTES,
  resolveConnectionLimits,
  sweepIntervalMs,
} from './connections.js'
import { type Context, DEFAULT_LIMITS, type Limits } from './context.js'
import { refuseCrossSite } from './cross-site.js'
import { type DashboardAssets, loadAssets } from './dashboard/assets.js'
import { ApiError, toErrorResponse } from './errors.js'
import { instrumentStore, Metrics } from './metrics.js'
import { Naming, type NamingOptions } from './naming.js'
import { RenderedDtabs } from './rendered-dtabs.js'
import { sendBody } from './reply.js'
import { isWatch, queryOf } from './request.js'
import { type RolloutsService, type RolloutsSettings, startRollouts } from './rollouts/leader.js'
import { RolloutMetrics } from './rollouts/metrics.js'
import { adminRoutes } from './routes/admin.js'
import { dashboardRoutes } from './routes/dashboard.js'
import { delegateRoutes } from './routes/delegate.js'
import { dtabRoutes } from './routes/dtabs.js'
import { historyRoutes } from './routes/history.js'
import { overviewRoutes } from './routes/overview.js'
import { proxyStatusRoutes } from './routes/proxy-status.js'
import { resolveRoutes } from './routes/resolve.js'
import { rolloutRoutes } from './routes/rollouts.js'
import { trafficRoutes } from './routes/traffic.js'
import { watchResponses } from './routes/watch.js'
import { watcherRoutes } from './routes/watchers.js'
import { whoamiRoutes } from './routes/whoami.js'
import { SharedDtabWatches } from './shared-watches.js'
import { WatcherRegistry } from './watchers.js'

export interface ServerOptions {
  readonly store: DtabStore
  /** Configured namers (io.l5d.fs), mounted under `/#/...`; `/$/inet` is always there. */
  readonly namers?: readonly MountedAddrNamer[]
  readonly logger: FastifyBaseLogger
  readonly auth?: AuthOptions
  readonly limits?: Partial<Limits>
  /** How many connections, and how long for a request head; see connections.ts. */
  readonly connections?: Partial<ConnectionLimits>
  readonly naming?: NamingOptions
  /** Default: a new registry with process metrics. */
  readonly metrics?: Metrics
  /** Rollouts (leader election, presence, the controller); absent or disabled: off. */
  readonly rollouts?: RolloutsSettings
  /**
   * Serve HTTPS with these options (tls.ts's serverOptions: cert, key, ca, requestCert,
   * rejectUnauthorized); absent: plain HTTP. `app.server` is then a tls.Server, whose
   * setSecureContext takes a reloaded certificate.
   */
  readonly tls?: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean }
  /**
   * The dashboard (docs/dashboard.md): where its page is (a path ending in `/`) and its files;
   * false: off. Default: at `/`, files from the installed @switchyard/dashboard.
   */
  readonly dashboard?: { readonly path: string; readonly assets?: DashboardAssets } | false
}

export interface NamerdServer {
  readonly app: FastifyInstance
  readonly context: Context
  /** The open connections, held to their limits. */
  readonly connections: ConnectionGuard
  /** Rollouts on this replica (null when off). */
  readonly rollouts: RolloutsService | null
  /**
   * Stops taking requests, ends every watch stream cleanly, and waits for responses to
   * finish; connections still open after `graceMs` are cut. Does not close the store.
   */
  close(graceMs?: number): Promise<void>
}

/** Accepted request ids: what a proxy or client sends as `x-request-id`, within reason. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/

export async function buildServer(options: ServerOptions): Promise<NamerdServer> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits }
  const connectionLimits = resolveConnectionLimits(options.connections)
  const metrics = options.metrics ?? new Metrics()
  // Coalescing outside the instrumentation: the metrics count the reads the store really serves.
  const store = coalesceReads(instrumentStore(options.store, metrics))
  const dtabWatches = new SharedDtabWatches(store)
  const naming = new Naming(store, options.namers ?? [], { ...options.naming, dtabWatches })
  // An empty rollouts.proxyAdmin.allow (the default) is the registry's default, loopback and
  // the watch's own address; a list given replaces it. [] would admit no proxy at all.
  const allow = options.rollouts?.proxyAdmin.allow ?? []
  const watchers = new WatcherRegistry(allow.length === 0 ? {} : { adminAllow: allow })
  const rollouts =
    options.rollouts?.enabled === true
      ? startRollouts({
          store,
          naming,
          watchers,
          settings: options.rollouts,
          // fastify's logger is the pino logger namerd gave it (daemon.ts, tests' pino()).
          log: options.logger as Logger,
          metrics: new RolloutMetrics(metrics.registry),
        })
      : null
  const ctx: Context = {
    store,
    dtabWatches,
    rendered: new RenderedDtabs(),
    naming,
    auth: new Auth(options.auth ?? { tokens: [] }),
    metrics,
    watchers,
    limits,
    state: { draining: false },
    // Without rollout settings (an embedded or test server) the API still takes rollouts when the
    // store can keep them, but no controller runs in this process: leader() is false.
    rollouts:
      rollouts?.status ??
      (options.rollouts === undefined && store.rollouts !== undefined
        ? { enabled: true, replicaId: 'embedded', leader: () => false }
        : null),
  }

  const serverTimeouts = {
    headersTimeout: connectionLimits.headersTimeoutMs,
    connectionsCheckingInterval: sweepIntervalMs(connectionLimits),
  }
  const app = Fastify({
    loggerInstance: options.logger,
    // One log line per request, written when it ends (below), instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    requestIdHeader: false,
    bodyLimit: limits.maxBodyBytes,
    // HEAD answers like GET without the body (a health checker's HEAD /ready, a HEAD of a
    // dtab for its ETag). A route with its own HEAD declares `exposeHeadRoute: false`.
    exposeHeadRoutes: true,
    forceCloseConnections: 'idle',
    keepAliveTimeout: connectionLimits.keepAliveTimeoutMs,
    requestTimeout: connectionLimits.requestTimeoutMs,
    // Node's https server takes the http server's options too, in the one object.
    ...(options.tls === undefined
      ? { http: serverTimeouts }
      : {
          https: {
            ...serverTimeouts,
            ...options.tls,
            // A handshake that never finishes holds a descriptor as a head that never comes does.
            handshakeTimeout: connectionLimits.headersTimeoutMs,
          },
        }),
    clientErrorHandler: clientErrorResponder(connectionLimits),
    // Namespaces may be 253 characters (fastify's default limit for a path parameter is 100).
    routerOptions: { maxParamLength: 1024 },
  })

  // Every body is read as bytes, whatever its type: namerd decides by Content-Type itself and
  // answers an unknown one with 400, not fastify's 415.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  const connections = new ConnectionGuard(app.server, connectionLimits, metrics, options.logger)

  app.decorateRequest('principal', null)

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id)
    const started = process.hrtime.bigint()
    reply.raw.once('close', () => {
      const route = req.routeOptions.url ?? 'unmatched'
      const status = reply.raw.writableFinished ? reply.raw.statusCode : 499 // 499: client went away
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      metrics.requests.inc({ method: req.method, route, status: String(status) })
      if (!watchResponses.has(reply.raw))
        metrics.requestSeconds.observe({ method: req.method, route }, seconds)
      req.log.info(
        { method: req.method, url: req.url, route, status, ms: Math.round(seconds * 1000) },
        'request',
      )
    })
    // A watch answered as HEAD would hold an endless stream that has nowhere to go.
    if (req.method === 'HEAD' && isWatch(queryOf(req))) {
      throw new ApiError(
        400,
        'head_watch',
        'a watch streams a body, which HEAD has not: use GET to watch, or HEAD without watch=true for the headers of one read',
      )
    }
    // API requests may not hold the connections kept for probes (connections.ts).
    if (!OPERATIONS_ROUTES.has(req.routeOptions.url ?? '')) {
      const release = connections.admitApi(req.raw.socket)
      if (release === null) {
        throw new ApiError(
          503,
          'overloaded',
          `namerd is at its connection limit: API requests hold ${connectionLimits.maxConnections - connectionLimits.reservedConnections} of limits.maxConnections (${connectionLimits.maxConnections}), the rest is kept for /ready, /admin/ping and /metrics; retry later`,
          { headers: { connection: 'close', 'retry-after': '1' } },
        )
      }
      reply.raw.once('close', release)
    }
    refuseCrossSite(req)
    req.principal = ctx.auth.authorize(
      req.headers.authorization,
      req.routeOptions.config?.scope ?? null,
    )
  })

  app.setErrorHandler((err, req, reply) => {
    const r = toErrorResponse(err, limits)
    if (r.unexpected) req.log.error({ err }, 'request failed')
    else if (r.status >= 500) req.log.warn({ error: errorMessage(err) }, 'request failed')
    return sendBody(reply.code(r.status).headers(r.headers), r.contentType, r.body)
  })

  app.setNotFoundHandler(async (req) => {
    throw new ApiError(404, 'not_found', `no such route: ${req.method} ${req.url.split('?', 1)[0]}`)
  })

  dtabRoutes(app, ctx)
  historyRoutes(app, ctx)
  watcherRoutes(app, ctx)
  resolveRoutes(app, ctx)
  delegateRoutes(app, ctx)
  rolloutRoutes(app, ctx)
  // The dashboard's reads (docs/dashboard.md); served with or without the page itself.
  whoamiRoutes(app, ctx)
  overviewRoutes(app, ctx)
  trafficRoutes(app, ctx)
  proxyStatusRoutes(app, ctx)
  const dashboard = options.dashboard ?? { path: '/' }
  if (dashboard !== false) {
    dashboardRoutes(app, { path: dashboard.path, assets: dashboard.assets ?? loadAssets() })
  }
  adminRoutes(app, ctx, {
    dashboardAtRoot: dashboard !== false && dashboard.path === '/',
    dashboardPath: dashboard === false ? null : dashboard.path,
  })
  await app.ready()

  return {
    app,
    context: ctx,
    connections,
    rollouts,
    async close(graceMs = 10_000) {
      ctx.state.draining = true
      // The lease is released first, so another replica takes the rollouts over at once.
      await rollouts?.close({ release: true })
      ctx.watchers.endAll()
      const timer = setTimeout(() => {
        options.logger.warn({ graceMs }, 'connections did not drain in time; closing them')
        ctx.watchers.destroyAll()
        app.server.closeAllConnections()
      }, graceMs)
      try {
        await app.close()
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
