// The bounded event history: what a watch from an older resourceVersion replays, and what an
// Exact list rolls back through. Like the watch cache's window, not etcd's compaction.
import type { JsonObject } from './json.js'

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  readonly rv: number
  readonly type: EventType
  /** resourceId: `<group>/<plural>`. */
  readonly resource: string
  /** `<namespace>/<name>` (`/<name>` when cluster-scoped): etcd's key order. */
  readonly key: string
  /** The stored object after the write; for DELETED its last state, with the deletion's RV. */
  readonly object: JsonObject
  /** The stored object before the write (absent for ADDED). */
  readonly prev?: JsonObject | undefined
}

export class History {
  private readonly events: StoreEvent[] = []
  private head = 0
  /** A watch or Exact list from an RV below this is expired. */
  private floorRv = 0

  constructor(private readonly capacity: number) {}

  get floor(): number {
    return this.floorRv
  }

  push(event: StoreEvent): void {
    this.events.push(event)
    if (this.events.length - this.head > this.capacity) {
      const dropped = this.events[this.head]
      this.head += 1
      if (dropped !== undefined) this.floorRv = dropped.rv
      // Reclaim the array once the dead prefix is as long as the window.
      if (this.head >= this.capacity) {
        this.events.splice(0, this.head)
        this.head = 0
      }
    }
  }

  /** Forgets everything up to `rv` (compaction). */
  compact(rv: number): void {
    this.events.length = 0
    this.head = 0
    this.floorRv = rv
  }

  /** Events after `rv`, oldest first; undefined when `rv` is older than the window. */
  since(rv: number): StoreEvent[] | undefined {
    if (rv < this.floorRv) return undefined
    const out: StoreEvent[] = []
    for (let i = this.head; i < this.events.length; i++) {
      const e = this.events[i]
      if (e !== undefined && e.rv > rv) out.push(e)
    }
    return out
  }
}
