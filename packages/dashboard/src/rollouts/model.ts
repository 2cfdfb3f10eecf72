// What the rollout views compute from namerd's rollout object: which actions the phase allows
// (and, when not, why, said beside the disabled button), the step plan with the current step,
// and numbers as people read them. Pure, so it is tested under node (test/rollout.test.ts). The
// rules follow namerd's own refusals (routes/rollouts.ts), so a button is enabled exactly when
// namerd would queue the request; namerd still decides, and its 409 is shown if it differs.
import { Dtab, NameTree } from '@switchyard/dtab'
import {
  isTerminal,
  type Rollout,
  type RolloutSummary,
  type StepRecord,
  type StepVerdict,
} from '@switchyard/wire'

export const ACTIONS = ['pause', 'resume', 'promote', 'abort'] as const
export type ActionName = (typeof ACTIONS)[number]

/** null: allowed; else why not, in words for beside the button. */
export type ActionStates = Record<ActionName, string | null>

export function actionStates(r: RolloutSummary): ActionStates {
  if (isTerminal(r.phase)) {
    const ended = `the rollout has ended (${r.phase})`
    return { pause: ended, resume: ended, promote: ended, abort: ended }
  }
  const rollingBack = 'it is rolling back'
  return {
    pause:
      r.phase === 'rolling-back'
        ? rollingBack
        : r.pause?.by === 'user'
          ? `already paused by ${r.pause.who}`
          : null,
    resume: r.pause === null ? 'it is not paused' : null,
    promote:
      r.phase === 'pending'
        ? 'it has not reached its first step'
        : r.phase === 'smoke'
          ? 'it is in its smoke test'
          : r.phase === 'rolling-back'
            ? rollingBack
            : null,
    abort: r.phase === 'rolling-back' ? rollingBack : null,
  }
}

/** `step 2 of 3 (50%)` for steps[index]. */
export function stepName(r: Pick<RolloutSummary, 'steps'>, index: number): string {
  return `step ${index + 1} of ${r.steps.length} (${r.steps[index] ?? '?'}%)`
}

/** Where the rollout is, in a sentence's words: `at step 2 of 3 (50%)`, `waiting at the gate before 50%`. */
export function whereWords(r: RolloutSummary): string {
  const step = r.step
  let where: string
  switch (r.phase) {
    case 'pending':
      where = 'pending: namerd has not taken it up yet'
      break
    case 'smoke':
      where = 'staging smoke requests'
      break
    case 'step':
      where = step === null ? 'at a step' : `at ${stepName(r, step)}`
      break
    case 'gate':
      where =
        step === null
          ? 'waiting at a gate for promote'
          : `waiting at the gate before ${r.steps[step] ?? '?'}% for promote`
      break
    case 'rolling-back':
      where = 'rolling back to the dtab from before'
      break
    case 'succeeded':
      where = `succeeded: ${r.to} has all the traffic`
      break
    case 'rolled-back':
      where = 'rolled back: the dtab is as it was before'
      break
    case 'aborted':
      where = 'aborted: the dtab is as it was before'
      break
    case 'stopped':
      where = 'stopped: it writes nothing more'
      break
  }
  return r.pause === null ? where : `${where}, paused by ${pauser(r)}: ${r.pause.why}`
}

/**
 * The steer line once namerd acted on a request (a new event, or the end): what the rollout is
 * now, so the line the focus went to says what happened instead of going blank (audit16b L3).
 */
export function afterWords(label: string, r: RolloutSummary): string {
  return `After ${label}, the rollout is ${whereWords(r)}.`
}

function pauser(r: RolloutSummary): string {
  if (r.pause === null) return ''
  return r.pause.by === 'user' ? r.pause.who : "namerd (metrics can't be read)"
}

/**
 * The weight (percent) of `to` in the dentry the rollout last wrote, which is what the proxies
 * route by now: a step writes `10.00*to & 90.00*from`, the last step and a full promote `to`
 * alone, a rollback the dentry from before (no `to`: 0). Nothing written yet: 0. null when the
 * text cannot be read (it is namerd's own, so only a newer namerd could make it so).
 */
export function weightNow(r: Pick<RolloutSummary, 'lastWritten' | 'to'>): number | null {
  if (r.lastWritten === null) return 0
  try {
    const dentry = Dtab.read(r.lastWritten.dentry)[0]
    if (dentry === undefined) return null
    const to = NameTree.show(NameTree.read(r.to))
    const tree = dentry.dst
    if (tree.type !== 'union') return NameTree.show(tree) === to ? 100 : 0
    let total = 0
    let mine = 0
    for (const b of tree.branches) {
      total += b.weight
      if (NameTree.show(b.tree) === to) mine += b.weight
    }
    return total > 0 ? Math.round((mine / total) * 1000) / 10 : null
  } catch {
    return null
  }
}

/**
 * The step the traffic is at: the last step up to the current one whose weight is the weight
 * now (at a gate, the one before the gate; while shifting, the one before). null when none is.
 */
function stepAt(r: RolloutSummary, now: number | null): number | null {
  if (now === null || r.step === null) return null
  for (let i = Math.min(r.step, r.steps.length - 1); i >= 0; i--) if (r.steps[i] === now) return i
  return null
}

/**
 * The short step cell of the list: where the traffic is now, and what it waits for apart.
 * `1 of 3 (10%), gate before 50%` at a gate; `2 of 3 (50%)` at a step; `1 of 3 (10%), shifting
 * to 50%` while a step's write is under way; a dash before the first step. A rollout that
 * stopped or paused says the weight it stopped at, never a step its traffic did not reach.
 */
export function stepCell(r: RolloutSummary): string {
  if (r.step === null) return '–'
  const now = weightNow(r)
  const at = stepAt(r, now)
  const n = r.steps.length
  const here =
    now === null ? 'weight unknown' : at === null ? `${now}%` : `${at + 1} of ${n} (${now}%)`
  const next = r.steps[r.step]
  if (isTerminal(r.phase) || next === undefined || at === r.step) return here
  if (r.phase === 'gate') return `${here}, gate before ${next}%`
  if (r.phase === 'step') return `${here}, shifting to ${next}%`
  return here
}

/** The traffic now in words, for the rollout's summary: `10% to /srv/world-v2 (step 1 of 3)`. */
export function trafficWords(r: RolloutSummary): string {
  const now = weightNow(r)
  if (now === null) return `the weight of ${r.to} could not be read from the last write`
  const at = stepAt(r, now)
  return `${now}% to ${r.to}${at === null ? '' : ` (step ${at + 1} of ${r.steps.length})`}`
}

export interface StepRow {
  readonly index: number
  readonly weight: number
  /** promote is awaited before this step. */
  readonly gate: boolean
  /** The step's verdict; `not reached` for a step no record has. */
  readonly verdict: StepVerdict | 'not reached'
  /** The step the rollout is at (or waits before, at a gate); none once it has ended. */
  readonly current: boolean
  /** Its last record (a window started again, by a resume or a new leader, replaces it). */
  readonly record: StepRecord | null
}

export function stepRows(r: Rollout): StepRow[] {
  const live = !isTerminal(r.phase) && (r.phase === 'step' || r.phase === 'gate')
  return r.steps.map((weight, index) => {
    let record: StepRecord | null = null
    for (const rec of r.stepRecords) if (rec.index === index) record = rec
    return {
      index,
      weight,
      gate: r.gates.includes(weight),
      verdict: record?.verdict ?? 'not reached',
      current: live && r.step === index,
      record,
    }
  })
}

/** The words a verdict is shown with (never colour alone). */
export const VERDICT_WORDS: Record<StepVerdict | 'not reached', string> = {
  pending: 'measuring',
  pass: 'passed',
  fail: 'failed',
  insufficient: 'not enough requests yet',
  unreadable: 'metrics unreadable',
  skipped: 'skipped (promoted)',
  'not reached': 'not reached',
}

/** The class a verdict is coloured with, beside its words. */
export function verdictClass(v: StepVerdict | 'not reached'): string {
  return v === 'pass' ? 'ok' : v === 'fail' ? 'bad' : v === 'unreadable' ? 'warn' : 'muted'
}

/**
 * 0.998 → `99.8%`, 0.99996 → `99.99%`; null → a dash. Cut, never rounded up, to two decimals:
 * a success rate just under a threshold must not print as reaching it (99.996% is not 100%).
 */
export function percent(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate)) return '–'
  const p = rate * 100
  if (p === 0 || p === 100) return `${p}%`
  const cut = Math.floor(p * 100) / 100
  if (cut <= 0) return '<0.01%'
  return `${Number(cut.toFixed(2))}%`
}

export function millis(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–'
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`
}

/** 300000 → `5m`, 1500 → `1.5s`: namerctl's duration words. */
export function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms >= 1000) return `${ms / 1000}s`
  return `${ms}ms`
}

export function rate(perSec: number): string {
  return Number.isFinite(perSec) ? perSec.toFixed(perSec >= 10 ? 0 : 1) : '–'
}

/** Why a step's verdict is what it is: the failed check, or the judgement's words. */
export function verdictWhy(r: Rollout, rec: StepRecord): string {
  if (rec.failed !== null) return rec.failed.detail
  const to = rec.to
  const min = r.thresholds.minRequests
  switch (rec.verdict) {
    case 'pass':
      return `${to?.requests ?? 0} requests to ${r.to}, success ${percent(to?.successRate ?? null)} (at least ${percent(r.thresholds.minSuccessRate)} asked)`
    case 'insufficient':
      return `${to?.requests ?? 0} of the ${min} requests to ${r.to} needed before it is judged`
    case 'pending':
      return rec.windowStart === null
        ? 'shifting: waiting for the proxies to have this step’s dtab'
        : `measuring since the window started; judged at every scrape once ${min} requests reached ${r.to}`
    case 'unreadable':
      return 'the metrics could not be read; nothing is judged until they can'
    case 'skipped':
      return 'promoted before its interval ended'
    case 'fail':
      return 'failed'
  }
}
