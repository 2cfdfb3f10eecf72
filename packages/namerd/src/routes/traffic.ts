// `GET /api/1/traffic/<ns>[?path=/svc/a&path=/svc/b][&window=10]` (wire Traffic): per logical
// service, the split across concrete destinations as the proxies measured it over the window,
// beside the split the dtab asks for. Expected: each path bound through the namespace's dtab now
// (dashboard/shares.ts). Without `path`, the services the dtab names, found by following its
// dentries back to `/svc` (defaultPaths). Destinations: the ids of that tree, plus the ids the path bound to in
// the last few versions when they still had requests in the window (a destination just shifted
// away from shows its tail, expectedShare 0). Measured: the proxies' snapshots
// (dashboard/traffic-scraper.ts), summed per id over the proxies with the rollouts' windowDelta.
// The answer is what was read; the first request of a namespace waits at most ~2 s for a read.
import {
  type Bound,
  bind,
  Dtab,
  interpreterLookup,
  NameTree,
  Path,
  type Path as PathT,
} from '@switchyard/dtab'
import { isValidNamespace, versionToETag } from '@switchyard/store'
import {
  errorMessage,
  type Traffic,
  type TrafficDestination,
  type TrafficService,
} from '@switchyard/wire'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { z } from 'zod'
import { JSON_TYPE } from '../codec.js'
import type { Context } from '../context.js'
import { coveredSeconds } from '../dashboard/covered.js'
import { expectedShares, servicePaths } from '../dashboard/shares.js'
import { TrafficScraper, type TrafficScraperOptions } from '../dashboard/traffic-scraper.js'
import { ApiError } from '../errors.js'
import { sendBody } from '../reply.js'
import { parseWith, queryOf, rawSegment } from '../request.js'
import { windowDelta } from '../rollouts/sources/delta.js'

export const TRAFFIC_PREFIX = '/api/1/traffic/'
/** Paths one request may ask about (each is bound and summed per destination). */
export const MAX_PATHS = 20
/** History versions whose destinations are shown while they still have traffic. */
const RECENT_VERSIONS = 5
/** Proxies' destinations traced back to services when the dtab names none (a bound on work). */
const MAX_CLIENT_IDS = 200
/** The longest wait for the first read of a namespace's proxies. */
const FIRST_READ_WAIT_MS = 2000

const TrafficQuery = z.object({
  /** Seconds; the scraper keeps 130 s of snapshots. */
  window: z.coerce.number().int().min(1).max(120).default(10),
})

export interface TrafficRouteOptions {
  /** The scraper's timings (tests shorten them). */
  readonly scraper?: Omit<TrafficScraperOptions, 'watchers' | 'log'>
}

/** The paths asked for: each checked, at most MAX_PATHS; null when none was given. */
function pathsOf(query: URLSearchParams): string[] | null {
  const given = query.getAll('path')
  if (given.length === 0) return null
  if (given.length > MAX_PATHS) {
    throw new ApiError(
      400,
      'invalid_path',
      `${given.length} paths asked for; at most ${MAX_PATHS} at once: ask for fewer`,
    )
  }
  const out = new Set<string>()
  for (const text of given) {
    if (text.includes('*')) {
      throw new ApiError(
        400,
        'invalid_path',
        `path ${JSON.stringify(text.slice(0, 200))} has a wildcard: traffic is measured per service, so ask for each one whole, like /svc/web`,
      )
    }
    let path: PathT
    try {
      path = Path.read(text)
    } catch (err) {
      throw new ApiError(
        400,
        'invalid_path',
        `path ${JSON.stringify(text.slice(0, 200))} is not a path: ${errorMessage(err)}; give one like /svc/web`,
      )
    }
    out.add(Path.show(path))
  }
  return [...out]
}

type Bind = { tree: NameTree<Bound> } | { error: string }

/**
 * The services shown when none was asked for: those the dtab names (dashboard/shares.ts), else
 * (`/svc => /#/io.l5d.fs` names none) the destinations the proxies have clients for, traced
 * back to `/svc` through the dtab and kept when they bind to a destination now.
 */
function defaultPaths(ctx: Context, dtab: Dtab, clientIds: () => string[]): string[] {
  const named = servicePaths(dtab, MAX_PATHS)
  if (named.length > 0) return named
  const seeds: PathT[] = []
  for (const id of clientIds()) {
    try {
      seeds.push(Path.read(id))
    } catch {
      // A client key that is not a path names no service.
    }
  }
  return servicePaths(dtab, MAX_PATHS, seeds).filter((p) => {
    const b = bindPath(ctx, dtab, p)
    return 'tree' in b && expectedShares(b.tree).ids.size > 0
  })
}

function bindPath(ctx: Context, dtab: Dtab, path: string): Bind {
  try {
    return {
      tree: bind(interpreterLookup(dtab, ctx.naming.namers), NameTree.leaf(Path.read(path))),
    }
  } catch (err) {
    return { error: errorMessage(err) }
  }
}

export function trafficRoutes(
  app: FastifyInstance,
  ctx: Context,
  options: TrafficRouteOptions = {},
): TrafficScraper {
  const scraper = new TrafficScraper({
    ...options.scraper,
    watchers: ctx.watchers,
    log: app.log as Logger,
  })
  app.addHook('onClose', async () => scraper.close())

  app.get(`${TRAFFIC_PREFIX}*`, { config: { scope: 'read' } }, async (req, reply) => {
    const ns = rawSegment(req, TRAFFIC_PREFIX)
    const query = queryOf(req)
    const { window } = parseWith(
      TrafficQuery,
      { window: query.get('window') ?? undefined },
      'query parameter',
    )
    const asked = pathsOf(query)
    const found = isValidNamespace(ns) ? await ctx.store.get(ns) : null
    if (found === null) {
      const where = isValidNamespace(ns) ? ctx.store.notFound?.(ns).where : undefined
      throw new ApiError(
        404,
        'namespace_not_found',
        `namespace ${JSON.stringify(ns.slice(0, 300))} does not exist${where ? ` (${where})` : ''}`,
      )
    }
    const version = versionToETag(found.version)
    const [, history] = await Promise.all([
      scraper.want(ns, FIRST_READ_WAIT_MS),
      ctx.store.history(ns, { limit: RECENT_VERSIONS }),
    ])
    const earlier: Dtab[] = []
    for (const e of history) {
      if (e.dtab === null || versionToETag(e.version) === version) continue
      try {
        earlier.push(Dtab.read(e.dtab))
      } catch {
        // A stored entry that no longer parses names no destination; the rest still do.
      }
    }

    const end = new Date()
    const start = new Date(end.getTime() - window * 1000)
    const rings = scraper.rings(ns)
    const overall = windowDelta(rings, { from: [], to: [] }, start, end)
    const measure = (id: string) => windowDelta(rings, { from: [id], to: [] }, start, end).from

    const services: TrafficService[] = []
    const paths =
      asked ?? defaultPaths(ctx, found.dtab, () => scraper.clientIds(ns, MAX_CLIENT_IDS))
    for (const path of paths) {
      const now = bindPath(ctx, found.dtab, path)
      let expected: Map<string, number> | null = null
      let error: string | null = null
      if ('error' in now) error = `${path} does not bind: ${now.error}`
      else {
        expected = expectedShares(now.tree).ids
        if (expected.size === 0)
          error = `${path} binds to no destination in the current dtab (${now.tree.type})`
      }
      const before = new Set<string>()
      for (const dtab of earlier) {
        const b = bindPath(ctx, dtab, path)
        if ('tree' in b) for (const id of expectedShares(b.tree).ids.keys()) before.add(id)
      }
      const rows: Omit<TrafficDestination, 'measuredShare'>[] = []
      const ids = new Set([...(expected?.keys() ?? []), ...before])
      for (const id of ids) {
        const m = measure(id)
        const share = expected?.get(id)
        // A destination only an earlier version named is shown while it still had requests.
        if (share === undefined && m.requests === 0) continue
        rows.push({
          id,
          expectedShare: error !== null ? null : (share ?? 0),
          requests: m.requests,
          ratePerSec: m.ratePerSec,
          successRate: m.successRate,
          p99Ms: m.p99Ms,
        })
      }
      const total = rows.reduce((a, r) => a + r.requests, 0)
      const destinations = rows
        .map((r) => ({ ...r, measuredShare: total === 0 ? null : r.requests / total }))
        .sort(
          (a, b) =>
            (b.expectedShare ?? 0) - (a.expectedShare ?? 0) ||
            b.requests - a.requests ||
            (a.id < b.id ? -1 : 1),
        )
      services.push({ path, destinations, error })
    }

    const listed = scraper.listed(ns)
    const problems: string[] = []
    if (listed.length === 0) {
      problems.push(
        `no proxy watching namespace ${ns} named its admin address, so no traffic can be measured: check that the proxies send l5d-watcher-admin (switchyard-proxy does; its namerd.advertiseAdmin sets it) and that namerd's rollouts.proxyAdmin.allow accepts their addresses`,
      )
    }
    for (const p of listed) {
      const err = scraper.lastError(p.admin)
      if (err !== null)
        problems.push(`${p.id === null ? 'proxy' : `proxy ${p.id}`} (admin ${p.admin}): ${err}`)
    }
    const body: Traffic = {
      namespace: ns,
      version,
      at: overall.proxies > 0 ? overall.at.toISOString() : null,
      windowSeconds: window,
      coveredSeconds: coveredSeconds(rings, start, end),
      proxies: { listed: listed.length, read: overall.proxies, problems },
      services,
    }
    reply.header('cache-control', 'no-store')
    return sendBody(reply, JSON_TYPE, `${JSON.stringify(body)}\n`)
  })
  return scraper
}
