// Concurrent reads of one namespace share store reads: under load, a GET costs a store round
// trip only once per batch, not once per request (etcd: one network round trip; file: a
// directory scan and a file read).
//
// The rule that keeps reads linearizable: a get joins only a read that *starts after the get
// arrived*, never one already in flight. A read in flight may have been sent before a write
// committed, so a client that got a PUT's 204 and then reads could be answered the state from
// before its own write. Hence at most one read is in flight per namespace and at most one is
// queued behind it: every get that arrives while a read is in flight waits for the queued one,
// which starts when the one in flight settles, and so after all of them arrived.
import type { DtabStore, VersionedDtab } from '@switchyard/store'

interface Reads {
  /** The read in flight, if any. */
  current: Promise<VersionedDtab | null> | null
  /** The read that starts when `current` settles; everyone waiting for it arrived before. */
  next: Promise<VersionedDtab | null> | null
}

const ignore = () => {}

/** `store` with `get` coalesced per namespace as above; everything else passes through. */
export function coalesceReads(store: DtabStore): DtabStore {
  const reads = new Map<string, Reads>()

  const start = (namespace: string, r: Reads): Promise<VersionedDtab | null> => {
    const read = store.get(namespace)
    r.current = read
    const settled = () => {
      if (r.current === read) r.current = null
      if (r.current === null && r.next === null && reads.get(namespace) === r) {
        reads.delete(namespace)
      }
    }
    read.then(settled, settled)
    return read
  }

  const get = (namespace: string): Promise<VersionedDtab | null> => {
    let r = reads.get(namespace)
    if (r === undefined) {
      r = { current: null, next: null }
      reads.set(namespace, r)
    }
    // A queued read has not started yet: joining it is safe.
    if (r.next !== null) return r.next
    if (r.current === null) return start(namespace, r)
    const queued = r
    const next = r.current.then(ignore, ignore).then(() => {
      queued.next = null
      return start(namespace, queued)
    })
    r.next = next
    return next
  }

  return {
    kind: store.kind,
    namespaceRule: store.namespaceRule,
    health: store.health?.bind(store),
    notFound: store.notFound?.bind(store),
    list: () => store.list(),
    get,
    create: (ns, dtab, o) => store.create(ns, dtab, o),
    put: (ns, dtab, o) => store.put(ns, dtab, o),
    update: (ns, dtab, v, o) => store.update(ns, dtab, v, o),
    delete: (ns, o) => store.delete(ns, o),
    history: (ns, o) => store.history(ns, o),
    watch: (ns, o) => store.watch(ns, o),
    watchList: (o) => store.watchList(o),
    close: () => store.close(),
    // Rollouts and leases are not dtab reads: passed through as they are.
    rollouts: store.rollouts,
    leases: store.leases,
  }
}
