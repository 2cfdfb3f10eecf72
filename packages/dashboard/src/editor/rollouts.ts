// Which active rollouts a dtab edit would stop. A rollout owns one dentry (the last whose prefix
// is exactly its prefix, the rule of namerd's rollouts/dentry.ts and `namerctl shift`); a write
// by anyone else that changes that dentry makes the rollout stop at its next round with a
// conflict, writing nothing. The review names them before the save. Pure: node tests share it.
import { Dentry, Dtab, Prefix } from '@switchyard/dtab'
import { isTerminal, type RolloutSummary } from '@switchyard/wire'
import { stepCell } from '../rollouts/model.js'

/** The text of the dentry a rollout on `prefix` moves in `dtab`, or null when it has none. */
export function rolloutDentry(dtab: Dtab, prefix: string): string | null {
  let wanted: Prefix
  try {
    wanted = Prefix.read(prefix)
  } catch {
    return null
  }
  for (let i = dtab.length - 1; i >= 0; i--) {
    const d = dtab[i]!
    if (Prefix.equals(d.prefix, wanted)) return Dentry.show(d)
  }
  return null
}

export interface TouchedRollout {
  readonly rollout: RolloutSummary
  /** Its dentry in the stored dtab the edit started from, and in the edit (null: none). */
  readonly before: string | null
  readonly after: string | null
}

/**
 * The rollouts not ended whose dentry differs between `before` (stored) and `after` (the edit);
 * [] when either does not parse (nothing can be saved then anyway).
 */
export function touchedRollouts(
  before: string,
  after: string,
  rollouts: readonly RolloutSummary[],
): TouchedRollout[] {
  let from: Dtab
  let to: Dtab
  try {
    from = Dtab.read(before)
    to = Dtab.read(after)
  } catch {
    return []
  }
  const touched: TouchedRollout[] = []
  for (const rollout of rollouts) {
    if (isTerminal(rollout.phase)) continue
    const b = rolloutDentry(from, rollout.prefix)
    const a = rolloutDentry(to, rollout.prefix)
    if (a !== b) touched.push({ rollout, before: b, after: a })
  }
  return touched
}

/**
 * Where a rollout is, in the words of the rollouts list and the rollback dialog (stepCell), so
 * the review's warning does not count steps differently: `gate, 1 of 3 (10%), gate before 50%`.
 */
export function rolloutState(r: RolloutSummary): string {
  return r.step === null ? r.phase : `${r.phase}, ${stepCell(r)}`
}
