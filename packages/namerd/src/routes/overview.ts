// `GET /api/1/overview` (wire Overview): every namespace at a glance for the dashboard's first
// page, in one request: its version, its newest history entry, how many watch streams depend on
// it and how many of those hold the current version, and its active rollouts. The work is
// bounded: per namespace one get and one history read of one entry; the rollouts are one list
// for all namespaces; the watcher counts are one pass over the watchers in memory. `current`
// counts a proxy only if it did not contradict it: a proxy whose admin namerd could read must
// confirm it routes on the current version (routes/proxy-status.ts), so a hung proxy, whose
// watch stays open and was sent the version, is not current. The overview never waits on a
// proxy: it answers from the answers read so far and starts the reads due (at most every 2 s). The dashboard's own watch streams
// (l5d-watcher-id dashboard) are not proxies and are not counted.
import { versionToETag } from '@switchyard/store'
import type { NamespaceOverview, Overview } from '@switchyard/wire'
import type { FastifyInstance } from 'fastify'
import { JSON_TYPE } from '../codec.js'
import type { Context } from '../context.js'
import { sendBody } from '../reply.js'
import { confirmationsOf, denies, watchedAdmins } from './proxy-status.js'

/** The id the dashboard's own watch streams send (packages/dashboard/src/api/watch.ts). */
export const DASHBOARD_WATCHER_ID = 'dashboard'

/** Namespaces read at once: a file or etcd store with thousands of them is not flooded. */
const CONCURRENCY = 16

export async function overview(ctx: Context): Promise<Overview> {
  const { store } = ctx
  const confirmations = confirmationsOf(ctx)
  const admins = watchedAdmins(ctx)
  // From the answers already read; the reads due run on for the next poll (audit16b M2: one
  // hung proxy made every overview wait 1.5 s). Only proxy-status waits on a proxy, bounded.
  confirmations.refreshInBackground(admins)
  const [names, rollouts] = await Promise.all([
    store.list(),
    store.rollouts?.list({ active: true }) ?? Promise.resolve([]),
  ])
  const active = new Map<string, number>()
  for (const { rollout } of rollouts) {
    active.set(rollout.namespace, (active.get(rollout.namespace) ?? 0) + 1)
  }
  const tally = ctx.watchers.tally(new Set([DASHBOARD_WATCHER_ID]))
  const out: (NamespaceOverview | null)[] = new Array(names.length).fill(null)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      const namespace = names[i]!
      const [found, history] = await Promise.all([
        store.get(namespace),
        store.history(namespace, { limit: 1 }),
      ])
      // Deleted between the list and the get: left out, as a list taken a moment later would.
      if (found === null) continue
      const version = versionToETag(found.version)
      const watchers = tally.get(namespace)
      const last = history[0]
      out[i] = {
        namespace,
        version,
        lastChange:
          last === undefined
            ? null
            : {
                time: last.time.toISOString(),
                who: last.who,
                op: last.op,
                ...(last.why === undefined || last.why === null ? {} : { why: last.why }),
              },
        watchers: watchers?.total ?? 0,
        current: watchers?.sent.get(version) ?? 0,
        activeRollouts: active.get(namespace) ?? 0,
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length) }, worker))
  const byName = new Map<string, NamespaceOverview>()
  for (const n of out) if (n !== null) byName.set(n.namespace, n)
  for (const w of ctx.watchers.withAdmin()) {
    const n = w.namespace === null ? undefined : byName.get(w.namespace)
    if (n === undefined || w.id === DASHBOARD_WATCHER_ID) continue
    const { sent, version } = w.stream
    if (sent > 0 && version === n.version && denies(confirmations, w.admin!, n.namespace, version))
      n.current--
  }
  return { namespaces: out.filter((n): n is NamespaceOverview => n !== null) }
}

/**
 * Overviews shared by the requests that wait for them, as coalesced-reads.ts shares a dtab get:
 * every open dashboard polls the overview, and on a file store one costs a store read per
 * namespace (0.4 s of CPU at 1,000 of them: docs/performance.md). A request joins only a
 * computation that starts after it arrived, never one in flight (which may have read before a
 * write the caller saw answered), so at most one runs and one waits behind it, and no answer is
 * older than its request.
 */
export function sharedOverviews(compute: () => Promise<Overview>): () => Promise<Overview> {
  let current: Promise<Overview> | null = null
  let next: Promise<Overview> | null = null
  const start = (): Promise<Overview> => {
    const run = compute()
    current = run
    const settled = () => {
      if (current === run) current = null
    }
    run.then(settled, settled)
    return run
  }
  return () => {
    if (current === null) return start()
    if (next === null) {
      next = current
        .then(
          () => undefined,
          () => undefined,
        )
        .then(() => {
          next = null
          return start()
        })
    }
    return next
  }
}

export function overviewRoutes(app: FastifyInstance, ctx: Context): void {
  const shared = sharedOverviews(() => overview(ctx))
  app.get('/api/1/overview', { config: { scope: 'read' } }, async (_req, reply) => {
    return sendBody(reply, JSON_TYPE, `${JSON.stringify(await shared())}\n`)
  })
}
