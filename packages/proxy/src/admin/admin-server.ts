// The admin server (Linkerd's port 9990): liveness, readiness, metrics in Linkerd's JSON and
// Prometheus forms, the route debugger (`/delegator.json`), and each router's dtab, version
// and connection state; GET / lists them. namerd's names for the same answers (/ready,
// /metrics) work here too, and the proxy's on namerd, so one probe or scrape config fits both.

import { BindWorkLimitError, Dtab, DtabParseError, Path } from '@switchyard/dtab'
import { indexPage } from '@switchyard/wire'
import Fastify, { type FastifyReply, LogController } from 'fastify'
import type { Logger } from 'pino'
import { z } from 'zod'
import { createRegistry, metricsJson, type RouterStats, subtree } from '../metrics/index.js'
import {
  ADMIN_REQUEST_TIMEOUT_MS,
  type AdminConnectionLimits,
  adminSweepMs,
  DEFAULT_ADMIN_CONNECTION_LIMITS,
  limitAdminConnections,
} from './admin-connections.js'
import { PROXY_ADMIN_INDEX } from './admin-index.js'
import { metricsSnapshot } from './snapshot.js'

export interface AdminRouterStatus {
  readonly kind: string
  readonly connected: boolean
  readonly version?: string | undefined
  readonly updatedAt?: number | undefined
  readonly lastError?: string | undefined
  readonly namespace?: string | undefined
}

/** What the admin server needs of a router. */
export interface AdminRouter {
  readonly label: string
  readonly stats: RouterStats
  readonly dstPrefix: string
  /** `ip:port` of each server. */
  servers(): readonly string[]
  status(): AdminRouterStatus
  dtab(): Dtab | undefined
  /**
   * The delegation of `path` through the router's dtab plus `extra`, as namerd's JSON; fails
   * with the BindWorkLimitError when `extra` makes it exceed the work limit.
   */
  explain(path: Path, extra: Dtab): Promise<string>
}

const DelegatorBody = z.strictObject({
  namespace: z.string().optional(),
  path: z.string({ error: 'required: the name to explain, e.g. /svc/world' }),
  dtab: z.string().optional(),
})

const notJson = (type: string | undefined) =>
  `Content-Type must be application/json, not ${type ?? 'none'}`

const INDEX_TITLE = 'switchyard-proxy admin: what this port answers'

/** A last error in the ready answer: one line, at most this many characters. */
const MAX_READY_ERROR_CHARS = 500

/** `  <label>: <last error>` for /admin/ready; the error may hold namerd's text, so bounded. */
function whyWaiting(router: AdminRouter): string {
  const error = router.status().lastError
  if (error === undefined || error === '') return `  ${router.label}: no error reported yet\n`
  const cut =
    error.length > MAX_READY_ERROR_CHARS ? `${error.slice(0, MAX_READY_ERROR_CHARS)}...` : error
  return `  ${router.label}: ${cut.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim()}\n`
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function parseDelegation(
  routers: readonly AdminRouter[],
  input: { namespace?: string | undefined; path?: string | undefined; dtab?: string | undefined },
) {
  const label = input.namespace ?? routers[0]?.label
  const router = routers.find((r) => r.label === label)
  if (router === undefined) {
    throw new AdminError(
      404,
      `No router "${label}"; routers: ${routers.map((r) => r.label).join(', ')}`,
    )
  }
  if (input.path === undefined || input.path === '') {
    throw new AdminError(
      400,
      'Malformed delegation request: a path is required, e.g. path=/svc/world',
    )
  }
  let path: Path
  try {
    path = Path.read(input.path)
  } catch (err) {
    throw new AdminError(400, `Invalid path: ${(err as Error).message}`)
  }
  let extra = Dtab.empty
  try {
    if (input.dtab !== undefined) extra = Dtab.read(input.dtab)
  } catch (err) {
    if (err instanceof DtabParseError) throw new AdminError(400, `Invalid dtab: ${err.message}`)
    throw err
  }
  return { router, path, extra }
}

/**
 * The delegation's JSON. A dtab parameter that makes it exceed the work limit, when the
 * router's dtab alone does not, is the caller's mistake: a 400 with the limit's message, as
 * namerd's delegate answers (a router dtab that exceeds it shows as an exception node).
 */
async function explained(router: AdminRouter, path: Path, extra: Dtab): Promise<string> {
  try {
    return await router.explain(path, extra)
  } catch (err) {
    if (err instanceof BindWorkLimitError) throw new AdminError(400, `Invalid dtab: ${err.message}`)
    throw err
  }
}

const ageSeconds = (updatedAt: number | undefined) =>
  updatedAt === undefined ? undefined : Math.max(0, (Date.now() - updatedAt) / 1000)

export function routerSummary(r: AdminRouter) {
  const status = r.status()
  const dtab = r.dtab()
  return {
    label: r.label,
    dstPrefix: r.dstPrefix,
    servers: r.servers(),
    interpreter: {
      kind: status.kind,
      ...(status.namespace !== undefined && { namespace: status.namespace }),
      connected: status.connected,
      ...(status.lastError !== undefined && { lastError: status.lastError }),
    },
    dtab: dtab === undefined ? null : Dtab.show(dtab),
    version: status.version ?? null,
    stateAgeSeconds: ageSeconds(status.updatedAt) ?? null,
  }
}

export function createAdminServer(
  routers: readonly AdminRouter[],
  logger: Logger,
  connections: Partial<AdminConnectionLimits> = {},
) {
  const limits: AdminConnectionLimits = {
    maxConnections: connections.maxConnections ?? DEFAULT_ADMIN_CONNECTION_LIMITS.maxConnections,
    headersTimeoutMs:
      connections.headersTimeoutMs ?? DEFAULT_ADMIN_CONNECTION_LIMITS.headersTimeoutMs,
  }
  const log = logger.child({ server: 'admin' })
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: Math.max(ADMIN_REQUEST_TIMEOUT_MS, limits.headersTimeoutMs),
    http: {
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: adminSweepMs(limits),
    },
  })
  limitAdminConnections(app.server, limits, log)
  const registry = createRegistry(() =>
    routers.map((r) => ({
      stats: r.stats,
      connected: () => r.status().connected,
      stateAgeSeconds: () => ageSeconds(r.status().updatedAt),
    })),
  )

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof AdminError)
      return reply.code(err.status).type('text/plain').send(`${err.message}\n`)
    // fastify refuses a body before the route runs; say it in the route's own terms.
    const code = (err as { code?: string }).code
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply
        .code(415)
        .type('text/plain')
        .send(`${notJson(req.headers['content-type'])}\n`)
    if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return reply
        .code(400)
        .type('text/plain')
        .send(`Malformed delegation request: the body is not JSON: ${(err as Error).message}\n`)
    const status = (err as { statusCode?: number }).statusCode ?? 500
    return reply
      .code(status)
      .type('text/plain')
      .send(`${(err as Error).message}\n`)
  })

  app.get('/admin/ping', async (_req, reply) => reply.type('text/plain').send('pong'))

  // Ready once every router has a dtab to route with: before that, it answers 503, naming
  // each waiting router and why it has none yet (its interpreter's last error), since a proxy
  // stuck unready otherwise leaves the operator to guess.
  const ready = (reply: FastifyReply) => {
    const waiting = routers.filter((r) => r.dtab() === undefined)
    if (waiting.length === 0) return reply.type('text/plain').send('ready\n')
    return reply
      .code(503)
      .type('text/plain')
      .send(
        `waiting for a dtab: ${waiting.map((r) => r.label).join(', ')}\n${waiting.map(whyWaiting).join('')}`,
      )
  }
  app.get('/admin/ready', async (_req, reply) => ready(reply))
  app.get('/ready', async (_req, reply) => ready(reply))

  app.get('/admin/metrics.json', async (req, reply) => {
    const query = req.query as Record<string, string | undefined>
    let out: Record<string, number> | undefined = metricsJson(routers.map((r) => r.stats))
    if (query.q !== undefined) {
      out = subtree(out, query.q)
      if (out === undefined) return reply.code(404).send({ error: `No such subtree: ${query.q}` })
    }
    if (query.pretty === 'true') {
      const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)))
      return reply.type('application/json').send(`${JSON.stringify(sorted, null, 2)}\n`)
    }
    return reply.type('application/json').send(JSON.stringify(out))
  })

  // Raw counters for namerd's rollouts; `?client=<id>` (repeatable) keeps only those clients.
  app.get('/admin/metrics/snapshot.json', async (req, reply) => {
    const q = (req.query as Record<string, string | string[] | undefined>).client
    const only = q === undefined ? undefined : new Set(Array.isArray(q) ? q : [q])
    const snapshot = metricsSnapshot(
      routers.map((r) => r.stats),
      only,
    )
    return reply.type('application/json').send(JSON.stringify(snapshot))
  })

  const prometheus = async (reply: FastifyReply) =>
    reply.type(registry.contentType).send(await registry.metrics())
  app.get('/admin/metrics/prometheus', async (_req, reply) => prometheus(reply))
  app.get('/metrics', async (_req, reply) => prometheus(reply))

  app.get('/admin/routers.json', async (_req, reply) =>
    reply.type('application/json').send(`${JSON.stringify(routers.map(routerSummary), null, 2)}\n`),
  )

  app.get('/delegator.json', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>
    const { router, path, extra } = parseDelegation(routers, q)
    return reply.type('application/json').send(await explained(router, path, extra))
  })

  app.post('/delegator.json', async (req, reply) => {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      throw new AdminError(415, notJson(req.headers['content-type']))
    }
    const body = DelegatorBody.safeParse(req.body)
    if (!body.success) {
      throw new AdminError(
        400,
        `Malformed delegation request: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
      )
    }
    const { router, path, extra } = parseDelegation(routers, body.data)
    return reply.type('application/json').send(await explained(router, path, extra))
  })

  app.get('/', async (req, reply) => {
    const page = indexPage(INDEX_TITLE, PROXY_ADMIN_INDEX, req.headers.accept)
    return reply.header('vary', 'accept').type(page.type).send(page.body)
  })

  return app
}
