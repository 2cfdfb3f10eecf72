// Who watches what: every open watch stream, for the propagation status
// (`GET /api/1/dtabs/<ns>/watchers`) and for draining on shutdown.
import type { Watcher as WatcherJson } from '@switchyard/wire'
import type { WatchKind } from './metrics.js'
import type { StateStream } from './routes/watch.js'

export interface WatcherMeta {
  /** The name the watcher gave itself (header `l5d-watcher-id`), if any. */
  readonly id: string | null
  readonly kind: WatchKind
  readonly namespace: string | null
  /** The request's path and query. */
  readonly target: string
  readonly remote: string
  readonly since: Date
  readonly stream: StateStream
}

export interface Watcher extends WatcherMeta {
  /** Unique while the process runs; tells apart watchers with the same id. */
  readonly serial: number
}

export class WatcherRegistry {
  #next = 1
  readonly #all = new Set<Watcher>()

  get size(): number {
    return this.#all.size
  }

  add(meta: WatcherMeta): Watcher {
    const w: Watcher = { ...meta, serial: this.#next++ }
    this.#all.add(w)
    return w
  }

  remove(w: Watcher): void {
    this.#all.delete(w)
  }

  /** The watchers of one namespace (its dtab, or names bound through it), oldest first. */
  ofNamespace(namespace: string, currentVersion: string | null): WatcherJson[] {
    const out: WatcherJson[] = []
    for (const w of this.#all) {
      if (w.namespace !== namespace) continue
      const s = w.stream
      out.push({
        id: w.id,
        stream: w.serial,
        kind: w.kind,
        path: w.target,
        remote: w.remote,
        since: w.since.toISOString(),
        version: s.version,
        sentAt: s.sentAt?.toISOString() ?? null,
        current: s.sent > 0 && s.version === currentVersion,
        sent: s.sent,
        dropped: s.dropped,
        bufferedBytes: s.bufferedBytes,
      })
    }
    return out
  }

  /** Ends every stream cleanly (the client sees the end of the chunked body). */
  endAll(): void {
    for (const w of [...this.#all]) w.stream.end()
  }

  /** Drops every stream at once, for connections that would not drain. */
  destroyAll(): void {
    for (const w of [...this.#all]) w.stream.destroy()
  }
}
