// History on the k8s store, as the store uses it: each write recorded once it has happened
// (k8s-history.ts keeps the entries), and read back, each outcome telling the store's health
// (k8s-health.ts) whether history works. A write is never failed by its history: the change
// was made, so a failed append is logged and shows as `degraded` health.
import { Dtab } from '@switchyard/dtab'
import type { K8sHealth, StoreLogger } from './k8s-health.js'
import type { K8sHistory, NewEntry } from './k8s-history.js'
import { type DTabObject, dtabOf } from './k8s-objects.js'
import type { HistoryEntry } from './store.js'

export interface HistoryRecorderOptions {
  readonly history: K8sHistory
  readonly health: K8sHealth
  readonly logger: StoreLogger | undefined
  readonly k8sNamespace: string
}

export class HistoryRecorder {
  constructor(private readonly o: HistoryRecorderOptions) {}

  /** Appends to history; a failure is logged and reported to the health, not thrown. */
  async record(namespace: string, entry: NewEntry): Promise<void> {
    try {
      await this.o.history.append(namespace, entry)
      this.o.health.historyWorked()
    } catch (err) {
      this.o.health.historyFailed(err)
      this.o.logger?.warn(
        { namespace, err: err instanceof Error ? err.message : String(err) },
        'the change was made but could not be recorded in history',
      )
    }
  }

  /** Past changes, newest first; a failure is thrown (and reported to the health). */
  async list(namespace: string, limit: number): Promise<HistoryEntry[]> {
    try {
      const entries = await this.o.history.list(namespace, limit)
      this.o.health.historyWorked()
      return entries
    } catch (err) {
      this.o.health.historyFailed(err)
      throw err
    }
  }

  /**
   * The dtab text of an object, for history; null if its dentries do not parse. History
   * records the state a write replaced when it has no entry of its own (an object written by
   * namerd or kubectl), so that state can be restored.
   */
  textOf(namespace: string, object: DTabObject): string | null {
    try {
      return Dtab.show(dtabOf(namespace, this.o.k8sNamespace, object))
    } catch {
      return null
    }
  }
}
