// Operations: /admin/ping (namerd's), /ready, /metrics, and GET / listing what is here. Open
// to all: they reveal no routing. The proxy's names for the same answers (/admin/ready,
// /admin/metrics/prometheus, Linkerd's) work here too, and namerd's on the proxy, so one probe
// or scrape config fits both daemons.

import { errorMessage, indexPage } from '@switchyard/wire'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Context } from '../context.js'
import { ApiError } from '../errors.js'
import { namerdIndex } from './admin-index.js'

const READY_TIMEOUT_MS = 2000

export function adminRoutes(
  app: FastifyInstance,
  ctx: Context,
  /** dashboardPath: where the dashboard is served, null when off (the index names it). */
  options: { dashboardAtRoot: boolean; dashboardPath: string | null },
): void {
  app.get('/admin/ping', async (_req, reply) => reply.type('text/plain').send('pong'))

  // Ready when not shutting down and the store answers. A store that mirrors a server it can
  // lose (k8s) and has lost it still serves its last known dtabs, so proxies keep routing:
  // ready, with a body saying stale since when and why (alerts can match it). One that never
  // got a first state cannot serve: not ready. One that serves and takes writes but has lost
  // something else (k8s: history is not recorded) is ready too, its body saying degraded.
  const ready = async (reply: FastifyReply) => {
    if (ctx.state.draining) throw new ApiError(503, 'shutting_down', 'namerd is shutting down')
    const health = ctx.store.health?.() ?? { state: 'ok' }
    if (health.state === 'starting') {
      throw new ApiError(
        503,
        'store_unavailable',
        `the dtab store has not read the dtabs yet${health.problem ? `: ${health.problem}` : ''}`,
      )
    }
    if (health.state === 'stale') {
      return reply
        .type('text/plain')
        .send(
          `ready, stale: serving the last known dtabs since ${health.since.toISOString()}: ${health.problem}\n`,
        )
    }
    const degraded =
      health.state === 'degraded'
        ? `ready, degraded since ${health.since.toISOString()}: ${health.problem}\n`
        : null
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        ctx.store.list(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)),
            READY_TIMEOUT_MS,
          )
        }),
      ])
    } catch (err) {
      throw new ApiError(
        503,
        'store_unavailable',
        `the dtab store is not answering: ${errorMessage(err)}`,
      )
    } finally {
      clearTimeout(timer)
    }
    return reply.type('text/plain').send(degraded ?? 'ready\n')
  }
  app.get('/ready', async (_req, reply) => ready(reply))
  app.get('/admin/ready', async (_req, reply) => ready(reply))

  const metrics = async (reply: FastifyReply) =>
    reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics())
  app.get('/metrics', async (_req, reply) => metrics(reply))
  app.get('/admin/metrics/prometheus', async (_req, reply) => metrics(reply))

  const index = async (req: FastifyRequest, reply: FastifyReply) => {
    const page = indexPage(
      'namerd: what this port answers',
      namerdIndex(options.dashboardPath),
      req.headers.accept,
    )
    return reply.header('vary', 'accept').type(page.type).send(page.body)
  }
  app.get('/admin', index)
  // With the dashboard at `/`, its route answers `/` (the index still, for non-browsers).
  if (!options.dashboardAtRoot) app.get('/', index)
}
