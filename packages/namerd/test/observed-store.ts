// A memory store that counts what namerd asks of it, and whose reads a test can hold open:
// a held read has already taken its snapshot (as a read sent to etcd before a write would
// have) and returns it only when the test releases it.
import { type DtabStore, openMemoryStore, type VersionedDtab } from '@switchyard/store'

export interface HeldRead {
  readonly namespace: string
  /** What the read will return: the state when it was made. */
  readonly snapshot: VersionedDtab | null
  release(): void
}

export interface ObservedStore {
  readonly store: DtabStore
  /** Every `get` namerd made, in order. */
  readonly gets: string[]
  /** Every `watch` namerd opened, in order. */
  readonly watches: string[]
  /** Watches open now (opened and not yet ended by their signal). */
  readonly openWatches: () => number
  /** While true, every read is held until released. */
  hold: boolean
  /** Reads being held now, oldest first. */
  readonly held: HeldRead[]
}

export function observedStore(inner: DtabStore = openMemoryStore()): ObservedStore {
  let open = 0
  const o: ObservedStore = {
    gets: [],
    watches: [],
    openWatches: () => open,
    hold: false,
    held: [],
    store: {
      kind: inner.kind,
      list: () => inner.list(),
      async get(ns) {
        o.gets.push(ns)
        const snapshot = await inner.get(ns)
        if (!o.hold) return snapshot
        await new Promise<void>((resolve) => {
          const read: HeldRead = {
            namespace: ns,
            snapshot,
            release() {
              o.held.splice(o.held.indexOf(read), 1)
              resolve()
            },
          }
          o.held.push(read)
        })
        return snapshot
      },
      create: (ns, dtab, opts) => inner.create(ns, dtab, opts),
      put: (ns, dtab, opts) => inner.put(ns, dtab, opts),
      update: (ns, dtab, v, opts) => inner.update(ns, dtab, v, opts),
      delete: (ns, opts) => inner.delete(ns, opts),
      history: (ns, opts) => inner.history(ns, opts),
      watch(ns, opts) {
        const events = inner.watch(ns, opts)
        o.watches.push(ns)
        open++
        // namerd ends its watches by aborting their signal.
        opts?.signal?.addEventListener('abort', () => open--, { once: true })
        return events
      },
      watchList: (opts) => inner.watchList(opts),
      close: () => inner.close(),
    },
  }
  return o
}
