// What the history view computes from namerd's history (newest first): which entry is current,
// what a rollback to a version would send and change, and which two versions a comparison
// starts with. Pure, so it is tested under node (test/history.test.ts).
import type { HistoryEntry } from '@switchyard/wire'
import { cleanWhy } from '../api/why.js'
import { dtabLines } from '../dtab-lines.js'

/** A version's dtab as diff lines; a deletion has none. */
export function linesOf(entry: HistoryEntry | undefined): string[] {
  return entry === undefined || entry.dtab === null ? [] : dtabLines(entry.dtab)
}

/** What `POST .../restore` needs and what it would change. */
export interface RollbackPlan {
  readonly target: HistoryEntry
  /**
   * If-Match: the version the page believes is current, so a write made meanwhile is a 412, not
   * overwritten. null when the namespace is deleted now: restore then re-creates it (409 if it
   * was re-created meanwhile).
   */
  readonly ifMatch: string | null
  readonly before: string[]
  readonly after: string[]
  /** The current stored dtab (null when deleted): what the rollback changes from. */
  readonly currentDtab: string | null
}

export type RollbackCheck =
  | { readonly ok: true; readonly plan: RollbackPlan }
  /** `why` completes a sentence about the version: `v3 is the current version`. */
  | { readonly ok: false; readonly why: string }

/** Whether `version` can be rolled back to, from the history as read (newest first). */
export function planRollback(entries: readonly HistoryEntry[], version: string): RollbackCheck {
  const current = entries[0]
  const target = entries.find((e) => e.version === version)
  if (current === undefined || target === undefined) {
    return { ok: false, why: 'is not in the history read' }
  }
  if (target === current) return { ok: false, why: 'is the current version' }
  if (target.dtab === null) return { ok: false, why: 'is a deletion: it has no dtab' }
  return {
    ok: true,
    plan: {
      target,
      ifMatch: current.op === 'delete' ? null : current.version,
      before: linesOf(current),
      after: linesOf(target),
      currentDtab: current.dtab,
    },
  }
}

/** The comparison shown first: the previous version against the current one. */
export function defaultComparison(
  entries: readonly HistoryEntry[],
): { from: string; to: string } | null {
  const to = entries[0]
  if (to === undefined) return null
  return { from: (entries[1] ?? to).version, to: to.version }
}

/** The words for a change: a deletion is said to be one, not left as a bare op. */
export function changeWords(entry: HistoryEntry): string {
  switch (entry.op) {
    case 'create':
      return 'create'
    case 'put':
      return 'put (replaced)'
    case 'update':
      return 'update'
    case 'delete':
      return 'delete (namespace deleted)'
  }
}

/** The why of a dashboard rollback: `rollback to v7 (dashboard)`, then the user's reason. */
export function rollbackWhy(versionName: string, reason: string): string {
  const r = cleanWhy(reason)
  return `rollback to ${versionName} (dashboard)${r === '' ? '' : `: ${r}`}`
}
