// Presence (docs/design/rollouts.md §3): every replica, leader or not, publishes the proxies
// that watch it (those that named an accepted admin address) in lease `replica.<replicaId>`, so
// the leader reads proxies that watch another replica too. The lease lasts 3 × presenceMs: a
// replica that dies stops being listed soon after, without anyone deleting its lease.
import type { LeaseRecord, LeaseStore } from '@switchyard/store'
import { MAX_LEASE_DATA } from '@switchyard/store'
import type { Logger } from 'pino'
import type { WatcherRegistry } from '../watchers.js'

/** One proxy in a presence lease. */
export interface PresenceEntry {
  readonly id: string | null
  readonly namespace: string
  readonly admin: string
  readonly since: string
}

export const PRESENCE_PREFIX = 'replica.'
/** A replica lists at most this many proxies (the design's cap); the lease's 64 KiB caps too. */
export const MAX_PRESENCE_ENTRIES = 2000

export interface PresenceOptions {
  readonly leases: LeaseStore
  readonly watchers: WatcherRegistry
  readonly replicaId: string
  readonly presenceMs: number
  readonly log: Logger
}

/** This replica's watchers with an admin address, one per (namespace, admin), as JSON that fits. */
export function presenceData(watchers: WatcherRegistry): string {
  const seen = new Set<string>()
  const entries: PresenceEntry[] = []
  for (const w of watchers.withAdmin()) {
    if (w.admin === null || w.namespace === null) continue
    const key = `${w.namespace} ${w.admin}`
    if (seen.has(key)) continue
    seen.add(key)
    entries.push({ id: w.id, namespace: w.namespace, admin: w.admin, since: w.since.toISOString() })
  }
  let n = Math.min(entries.length, MAX_PRESENCE_ENTRIES)
  let data = JSON.stringify(entries.slice(0, n))
  // Dropping the newest until it fits: the oldest watchers are the ones most likely still there.
  while (Buffer.byteLength(data) > MAX_LEASE_DATA && n > 0) {
    n = Math.floor(n * 0.9)
    data = JSON.stringify(entries.slice(0, n))
  }
  return data
}

export function startPresence(options: PresenceOptions): { close(): Promise<void> } {
  const { leases, watchers, replicaId, presenceMs, log } = options
  const name = `${PRESENCE_PREFIX}${replicaId}`
  let current: LeaseRecord | null = null
  let closed = false
  let running: Promise<void> = Promise.resolve()

  const publish = async (): Promise<void> => {
    const data = presenceData(watchers)
    const next = {
      holder: replicaId,
      durationMs: 3 * presenceMs,
      acquiredAt: current?.acquiredAt ?? new Date(),
      renewedAt: new Date(),
      transitions: current?.transitions ?? 0,
      data,
    }
    try {
      current = await leases.write(name, next, current?.version ?? null)
    } catch (err) {
      // Stale (a restart of this replica id, or our own write lost): read it and retry next time.
      current = await leases.get(name).catch(() => null)
      log.warn(
        { lease: name, err: err instanceof Error ? err.message : String(err) },
        "rollouts presence: could not write this replica's proxies; retrying",
      )
    }
  }

  const tick = () => {
    if (closed) return
    running = publish().finally(() => {
      if (!closed) timer = setTimeout(tick, presenceMs)
    })
  }
  let timer: NodeJS.Timeout | undefined
  tick()

  return {
    async close() {
      if (closed) return
      closed = true
      clearTimeout(timer)
      await running
      if (current !== null) {
        await leases.delete(name, current.version).catch((err: unknown) => {
          log.warn(
            { lease: name, err: err instanceof Error ? err.message : String(err) },
            "rollouts presence: could not delete this replica's lease; it expires on its own",
          )
        })
      }
    },
  }
}
