// Which proxies watch a namespace, across replicas (docs/design/rollouts.md §3, §4): this
// replica's own watchers, plus what the other replicas published in their presence leases. A
// lease counts as alive while its version changed within its duration, judged on this replica's
// own clock (no trust in clocks across replicas, as the leader election).
import type { LeaseStore } from '@switchyard/store'
import { z } from 'zod'
import type { WatcherRegistry } from '../watchers.js'
import { PRESENCE_PREFIX } from './presence.js'
import type { PropagationProxy } from './propagation.js'

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
  /**
   * The proxies of the namespace with the version each of their streams was last sent, across
   * replicas (presence leases), for the propagation wait. Entries of replicas that publish no
   * versions (an older namerd) are left out: nothing is known of them.
   */
  propagation?(namespace: string): Promise<PropagationProxy[]>
}

const Entries = z.array(
  z.object({
    id: z.string().nullable(),
    namespace: z.string(),
    admin: z.string(),
    versions: z.array(z.string().nullable()).max(1000).optional(),
  }),
)

export interface DirectoryOptions {
  readonly leases: LeaseStore
  readonly watchers: WatcherRegistry
  readonly presenceMs: number
  /** This replica's id, to skip its own lease (its watchers are read directly). */
  readonly replicaId?: string
  readonly now?: () => number
}

export function createProxyDirectory(
  options: DirectoryOptions,
): ProxyDirectory & Required<Pick<ProxyDirectory, 'propagation'>> {
  const { leases, watchers } = options
  const now = options.now ?? Date.now
  /** Per lease name: the version last seen and when this replica first saw it. */
  const seen = new Map<
    string,
    { version: string; since: number; entries?: z.infer<typeof Entries> | null }
  >()
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

  /** The other replicas' alive presence entries, each with its lease's holder. */
  const remote = async (): Promise<{ holder: string; entries: z.infer<typeof Entries> }[]> => {
    const records = await listPresence()
    const out: { holder: string; entries: z.infer<typeof Entries> }[] = []
    const t = now()
    const names = new Set<string>()
    for (const r of records) {
      names.add(r.name)
      if (r.name === own || r.holder === null || r.data === null) continue
      const version = Buffer.from(r.version).toString('hex')
      const prev = seen.get(r.name)
      const same = prev?.version === version
      // Parsed once per lease version: every waiting rollout looks it up each round.
      const entry = {
        version,
        since: same ? prev.since : t,
        entries: same ? prev.entries : undefined,
      }
      seen.set(r.name, entry)
      if (t - entry.since > Math.max(r.durationMs, 3 * options.presenceMs)) continue // expired
      if (entry.entries === undefined) {
        try {
          entry.entries = Entries.parse(JSON.parse(r.data))
        } catch {
          entry.entries = null // a replica of another version, or a damaged lease: not ours to read
        }
      }
      if (entry.entries !== null) out.push({ holder: r.holder, entries: entry.entries })
    }
    for (const name of seen.keys()) if (!names.has(name)) seen.delete(name)
    return out
  }

  return {
    graceMs: 2 * options.presenceMs,
    async proxies(namespace) {
      const out = new Map<string, DirectoryProxy>()
      for (const w of watchers.withAdmin(namespace)) {
        if (w.admin !== null && !out.has(w.admin))
          out.set(w.admin, { admin: w.admin, id: w.id, replica: options.replicaId ?? 'local' })
      }
      for (const r of await remote()) {
        for (const e of r.entries) {
          if (e.namespace === namespace && !out.has(e.admin))
            out.set(e.admin, { admin: e.admin, id: e.id, replica: r.holder })
        }
      }
      return [...out.values()]
    },
    async propagation(namespace) {
      // One entry per admin: all its streams, on this replica and the others, must be current.
      const out = new Map<string, PropagationProxy & { versions: (string | null)[] }>()
      const add = (
        admin: string,
        id: string | null,
        replica: string,
        versions: readonly (string | null)[],
      ) => {
        const p = out.get(admin)
        if (p === undefined) out.set(admin, { admin, id, replica, versions: [...versions] })
        else p.versions.push(...versions)
      }
      for (const w of watchers.withAdmin(namespace)) {
        if (w.admin !== null)
          add(w.admin, w.id, options.replicaId ?? 'local', [w.stream.version ?? null])
      }
      for (const r of await remote()) {
        for (const e of r.entries) {
          if (e.namespace === namespace && e.versions !== undefined)
            add(e.admin, e.id, r.holder, e.versions)
        }
      }
      return [...out.values()]
    },
  }
}
