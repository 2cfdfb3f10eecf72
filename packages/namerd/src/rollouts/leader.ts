// Rollouts on one namerd replica (docs/design/rollouts.md §3): every replica publishes its
// proxies (presence) and stands for the `rollouts-leader` lease; the leader alone runs the
// controller. Deposed, it stops the controller at once: a write already in flight is fenced by
// compare-and-swap, so a late one from a deposed leader fails.
import { type DtabStore, LeaseElector } from '@switchyard/store'
import type { MetricsSourceSpec } from '@switchyard/wire'
import type { Logger } from 'pino'
import type { Naming } from '../naming.js'
import type { WatcherRegistry } from '../watchers.js'
import { type Notifier, RolloutController, type RunSmoke } from './controller.js'
import { createProxyDirectory } from './directory.js'
import type { RolloutMetrics } from './metrics.js'
import { startPresence } from './presence.js'
import { runSmoke } from './smoke.js'
import { judge } from './sources/judge.js'
import { prometheusSource } from './sources/prometheus.js'
import { proxiesSource } from './sources/proxies.js'
import type { MetricsSource } from './sources/source.js'
import { WebhookNotifier } from './webhook.js'

export const LEADER_LEASE = 'rollouts-leader'

export interface RolloutsSettings {
  readonly enabled: boolean
  readonly tickMs: number
  readonly scrapeMs: number
  readonly leaseMs: number
  readonly presenceMs: number
  readonly replicaId: string
  readonly proxyAdmin: { readonly allow: readonly string[] }
  /** How long ended rollouts are kept; default DEFAULT_RETENTION. */
  readonly retention?: RolloutRetention
}

/**
 * Ended rollouts older than `keepMs` are removed by the leader every `everyMs`, but the newest
 * `keep` per namespace stay whatever their age (the history's events of recent rollouts).
 */
export interface RolloutRetention {
  readonly keepMs: number
  readonly keep: number
  readonly everyMs: number
}

export const DEFAULT_RETENTION: RolloutRetention = {
  keepMs: 7 * 24 * 3600 * 1000,
  keep: 20,
  everyMs: 10 * 60 * 1000,
}

export const DEFAULT_ROLLOUTS = {
  tickMs: 500,
  scrapeMs: 5000,
  leaseMs: 15_000,
  presenceMs: 5000,
} as const

/** What the routes see (Context.rollouts). */
export interface RolloutsStatus {
  readonly enabled: boolean
  readonly replicaId: string
  leader(): boolean
}

export interface RolloutsService {
  readonly status: RolloutsStatus
  /** Whether this replica leads now, and its controller (for tests). */
  controller(): RolloutController | null
  /** Stops the controller and presence, and releases the lease so another replica takes over at once. */
  close(options?: { release?: boolean }): Promise<void>
}

export interface StartRolloutsOptions {
  readonly store: DtabStore
  readonly naming: Naming
  readonly watchers: WatcherRegistry
  readonly settings: RolloutsSettings
  readonly log: Logger
  readonly metrics?: RolloutMetrics
  /** Default: smoke.ts's runSmoke (tests pass a stub). */
  readonly runSmoke?: RunSmoke
  /** Default: a WebhookNotifier whose acknowledgements the leader's controller stores; null: none. */
  readonly notifier?: Notifier | null
  /** Default: the proxies or Prometheus source of the rollout's spec. */
  readonly sourceFor?: (spec: MetricsSourceSpec) => MetricsSource
}

export function startRollouts(options: StartRolloutsOptions): RolloutsService {
  const { store, settings, log } = options
  const rollouts = store.rollouts
  const leases = store.leases
  if (!settings.enabled || rollouts === undefined || leases === undefined) {
    return {
      status: { enabled: false, replicaId: settings.replicaId, leader: () => false },
      controller: () => null,
      close: async () => {},
    }
  }
  const presence = startPresence({
    leases,
    watchers: options.watchers,
    replicaId: settings.replicaId,
    presenceMs: settings.presenceMs,
    log: log.child({ component: 'presence' }),
  })
  const directory = createProxyDirectory({
    leases,
    watchers: options.watchers,
    presenceMs: settings.presenceMs,
    replicaId: settings.replicaId,
  })
  const sources = new Map<string, MetricsSource>()
  const sourceFor =
    options.sourceFor ??
    ((spec: MetricsSourceSpec): MetricsSource => {
      const k = spec.kind === 'proxies' ? 'proxies' : `prometheus ${spec.url} ${spec.lagMs}`
      let s = sources.get(k)
      if (s === undefined) {
        s =
          spec.kind === 'proxies'
            ? proxiesSource({
                directory,
                scrapeMs: settings.scrapeMs,
                log: log.child({ component: 'scraper' }),
                onRead: (result) => options.metrics?.proxyReads.inc({ result }),
              })
            : prometheusSource({
                url: spec.url,
                lagMs: spec.lagMs,
                onQuery: (result) => options.metrics?.prometheusQueries.inc({ result }),
              })
        sources.set(k, s)
      }
      return s
    })
  let controller: RolloutController | null = null
  // The leader alone prunes: one replica removing ended rollouts is enough, and a store's
  // delete of one another replica removed is harmless anyway.
  const retention = settings.retention ?? DEFAULT_RETENTION
  let pruneTimer: NodeJS.Timeout | null = null
  const prune = async (): Promise<void> => {
    try {
      const removed = await rollouts.prune(new Date(Date.now() - retention.keepMs), retention.keep)
      if (removed > 0) {
        log.info(
          { removed, keepMs: retention.keepMs, keep: retention.keep },
          `rollouts: removed ${removed} ended rollout${removed === 1 ? '' : 's'} past the retention (kept the newest ${retention.keep} per namespace)`,
        )
      }
    } catch (err) {
      log.warn({ err }, 'rollouts: pruning ended rollouts failed; trying again at the next prune')
    }
  }
  const stopPruning = (): void => {
    if (pruneTimer !== null) clearInterval(pruneTimer)
    pruneTimer = null
  }
  // One notifier for the replica's life: queues survive a lost and regained lease, and what it
  // knows was acknowledged is not sent again. Acknowledgements reach whichever controller leads.
  const notifier: Notifier | null =
    options.notifier !== undefined
      ? options.notifier
      : new WebhookNotifier({
          log: log.child({ component: 'webhook' }),
          onDelivered: (namespace, id, seq) => controller?.delivered(namespace, id, seq),
          onGaveUp: (namespace, id, seq) => controller?.gaveUp(namespace, id, seq),
          onAttempt: (result) => options.metrics?.webhookDeliveries.inc({ result }),
        })
  const stopController = async () => {
    const c = controller
    controller = null
    await c?.close()
    const all = [...sources.values()]
    sources.clear()
    await Promise.all(all.map((s) => s.close().catch(() => {})))
  }
  const elector = new LeaseElector({
    leases,
    name: LEADER_LEASE,
    holder: settings.replicaId,
    durationMs: settings.leaseMs,
    log: log.child({ component: 'leader' }),
    onElected: () => {
      log.info({ replica: settings.replicaId }, 'rollouts: this replica leads')
      options.metrics?.leader.set(1)
      controller = new RolloutController({
        store,
        rollouts,
        naming: options.naming,
        replicaId: settings.replicaId,
        tickMs: settings.tickMs,
        log: log.child({ component: 'rollouts' }),
        judge,
        sourceFor,
        propagation: (namespace) => directory.propagation(namespace),
        runSmoke: options.runSmoke ?? runSmoke,
        notifier,
        metrics: options.metrics,
      })
      controller.start()
      stopPruning()
      pruneTimer = setInterval(() => void prune(), retention.everyMs)
      pruneTimer.unref()
      void prune()
    },
    onDeposed: () => {
      log.info({ replica: settings.replicaId }, 'rollouts: this replica no longer leads')
      options.metrics?.leader.set(0)
      stopPruning()
      void stopController()
    },
  })
  elector.start()
  return {
    status: {
      enabled: true,
      replicaId: settings.replicaId,
      leader: () => elector.isLeader,
    },
    controller: () => controller,
    async close(o = {}) {
      await elector.close({ release: o.release ?? true })
      stopPruning()
      await stopController()
      await presence.close()
      await notifier?.close()
    },
  }
}
