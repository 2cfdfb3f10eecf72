// Which proxies watch a namespace, across replicas (docs/design/rollouts.md §3, §4): this
// replica's own watchers, plus what the other replicas published in their presence leases. A
// lease counts as alive while its version changed within its duration, judged on this replica's
// own clock (no trust in clocks across replicas, as the leader election).
import type { LeaseStore } from '@switchyard/store'
import { z } from 'zod'
import type { WatcherRegistry } from '../watchers.js'
import { PRESENCE_PREFIX } from './presence.js'

export interface DirectoryProxy {
  readonly admin: string
  /** Its l5d-watcher-id, if it sent one. */
  readonly id: string | null
  /** The replica it watches (its presence lease's holder; `local` for this one's watchers). */
  readonly replica: string
}

export interface ProxyDirectory {
  proxies(namespace: string): Promise<DirectoryProxy[]>
  /**
   * How long proxies may take to show up here again after namerd restarts or leadership moves
   * (they reconnect and the replicas republish presence): 2 × presenceMs. A namespace with no
   * proxy within this time of its first look-up is waited for, not yet unreadable.
   */
  readonly graceMs?: number
}

const Entries = z.array(
  z.object({ id: z.string().nullable(), namespace: z.string(), admin: z.string() }),
)

export interface DirectoryOptions {
  readonly leases: LeaseStore
  readonly watchers: WatcherRegistry
  readonly presenceMs: number
  /** This replica's id, to skip its own lease (its watchers are read directly). */
  readonly replicaId?: string
  readonly now?: () => number
}

export function createProxyDirectory(options: DirectoryOptions): ProxyDirectory {
  const { leases, watchers } = options
  const now = options.now ?? Date.now
  /** Per lease name: the version last seen and when this replica first saw it. */
  const seen = new Map<string, { version: string; since: number }>()
  const own = options.replicaId === undefined ? null : `${PRESENCE_PREFIX}${options.replicaId}`

  // Look-ups made while a list of the presence leases is in flight share it: the scraper looks
  // up every wanted namespace of a round at once (40 namespaces were 40 store lists a round).
  // Never a list that settled before the look-up: a lease gone since must not be seen.
  let inflight: ReturnType<LeaseStore['list']> | null = null
  const listPresence = (): ReturnType<LeaseStore['list']> => {
    if (inflight === null) {
      const records = leases.list(PRESENCE_PREFIX)
      inflight = records
      const clear = () => {
        if (inflight === records) inflight = null
      }
      records.then(clear, clear)
    }
    return inflight
  }

  return {
    graceMs: 2 * options.presenceMs,
    async proxies(namespace) {
      const out = new Map<string, DirectoryProxy>()
      for (const w of watchers.withAdmin(namespace)) {
        if (w.admin !== null && !out.has(w.admin))
          out.set(w.admin, { admin: w.admin, id: w.id, replica: options.replicaId ?? 'local' })
      }
      const records = await listPresence()
      const t = now()
      const names = new Set<string>()
      for (const r of records) {
        names.add(r.name)
        if (r.name === own || r.holder === null || r.data === null) continue
        const version = Buffer.from(r.version).toString('hex')
        const prev = seen.get(r.name)
        const since = prev?.version === version ? prev.since : t
        seen.set(r.name, { version, since })
        if (t - since > Math.max(r.durationMs, 3 * options.presenceMs)) continue // expired
        let parsed: z.infer<typeof Entries>
        try {
          parsed = Entries.parse(JSON.parse(r.data))
        } catch {
          continue // a replica of another version, or a damaged lease: not ours to read
        }
        for (const e of parsed) {
          if (e.namespace === namespace && !out.has(e.admin))
            out.set(e.admin, { admin: e.admin, id: e.id, replica: r.holder })
        }
      }
      for (const name of seen.keys()) if (!names.has(name)) seen.delete(name)
      return [...out.values()]
    },
  }
}
