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
  /**
   * The dtab version (ETag) each of its streams of this namespace was last sent (null: nothing
   * yet), for the leader's propagation wait (propagation.ts). Absent from older replicas.
   */
  readonly versions?: readonly (string | null)[]
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

/**
 * This replica's watchers with an admin address, one per (namespace, admin) with the version
 * each of its streams was sent, as JSON that fits.
 */
export function presenceData(watchers: WatcherRegistry): string {
  type Entry = PresenceEntry & { versions: (string | null)[] }
  const byKey = new Map<string, Entry>()
  const entries: Entry[] = []
  for (const w of watchers.withAdmin()) {
    if (w.admin === null || w.namespace === null) continue
    const key = `${w.namespace} ${w.admin}`
    const version = w.stream.version ?? null
    const seen = byKey.get(key)
    if (seen !== undefined) {
      if (!seen.versions.includes(version)) seen.versions.push(version)
      continue
    }
    const entry: Entry = {
      id: w.id,
      namespace: w.namespace,
      admin: w.admin,
      since: w.since.toISOString(),
      versions: [version],
    }
    byKey.set(key, entry)
    entries.push(entry)
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

/**
 * How often a replica looks for a change in what its watchers were sent, and publishes it
 * before the next renewal: the leader's propagation wait reads the versions from here.
 */
export const PRESENCE_CHANGE_MS = 250

export function startPresence(options: PresenceOptions): { close(): Promise<void> } {
  const { leases, watchers, replicaId, presenceMs, log } = options
  const name = `${PRESENCE_PREFIX}${replicaId}`
  let current: LeaseRecord | null = null
  let closed = false
  let running: Promise<void> = Promise.resolve()

  let published: string | null = null
  const publish = async (): Promise<void> => {
    const data = presenceData(watchers)
    published = data
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
    running = running.then(publish).finally(() => {
      if (!closed) timer = setTimeout(tick, presenceMs)
    })
  }
  let timer: NodeJS.Timeout | undefined
  tick()
  // Between renewals: publish as soon as a watcher was sent a new version (or came or went), so
  // the leader does not wait up to presenceMs to see a step's version reach this replica's proxies.
  let publishing = false
  const changes = setInterval(
    () => {
      if (closed || publishing || published === null || presenceData(watchers) === published) return
      publishing = true
      running = running.then(publish).finally(() => {
        publishing = false
      })
    },
    Math.min(PRESENCE_CHANGE_MS, presenceMs),
  )
  changes.unref()

  return {
    async close() {
      if (closed) return
      closed = true
      clearTimeout(timer)
      clearInterval(changes)
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
