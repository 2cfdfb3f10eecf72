// How a rollout reads to a person: a headline, the step plan with the current step marked, the
// weights, what each version did in the current window, and the time to the next step; an
// event as one line (for logs and non-terminals).
import {
  isTerminal,
  type Rollout,
  type RolloutEvent,
  type RolloutSummary,
  type StepRecord,
  type VersionStats,
} from '@switchyard/wire'
import { showDuration, showRate } from '../../durations.js'
import type { Style } from '../../io.js'
import { table } from '../../output.js'

/**
 * The weight of `to` in the dtab now: what the rollout last wrote (a step's weight is only in the
 * dtab once written, so at a gate or while shifting it is the step before's), the end state once
 * ended: 100 after success, 0 once the dtab was restored, null after a stop (someone else changed
 * the dentry, so the rollout cannot say).
 */
export function currentWeight(r: RolloutSummary): number | null {
  if (r.phase === 'succeeded') return 100
  if (r.phase === 'rolled-back' || r.phase === 'aborted') return 0
  if (r.phase === 'stopped') return null
  if (r.lastWritten === null) return 0
  return weightIn(r.lastWritten.dentry, r.to, r.from)
}

// `/p=>10.00*/to & 90.00*/from` is 10; `/p=>/to` is 100; anything else 0.
function weightIn(dentry: string, to: string, from: string): number {
  const squash = (t: string) => t.replace(/\s+/g, '')
  const arrow = dentry.indexOf('=>')
  const tree = squash(arrow === -1 ? dentry : dentry.slice(arrow + 2)).replace(/;$/, '')
  if (tree === squash(to)) return 100
  if (tree === squash(from)) return 0
  for (const alt of tree.split('&')) {
    const m = /^(\d+(?:\.\d+)?)\*(.+)$/.exec(alt)
    if (m !== null && m[2] === squash(to)) return Math.round(Number(m[1]))
  }
  return 0
}

/** The WEIGHT column: `10%`, or `unknown` after a stop. */
export function weightText(r: RolloutSummary): string {
  const w = currentWeight(r)
  return w === null ? 'unknown' : `${w}%`
}

/** The weights line of status: what the dtab says now, as far as the rollout knows. */
function weightsLine(r: Rollout): string {
  const w = currentWeight(r)
  if (w === null) {
    // Why it stopped is in its outcome (machine.ts's whys): the namespace deleted, or the dentry
    // changed by someone else.
    if (r.outcome !== null && / is gone/.test(r.outcome)) {
      return `Weights: none — namespace ${r.namespace} is gone (deleted while the rollout ran; namerctl dtab list)`
    }
    return `Weights: unknown — the dentry was changed by someone else (namerctl dtab get ${r.namespace})`
  }
  if (r.phase === 'rolled-back' || r.phase === 'aborted') {
    return `Weights: ${r.from} 100% (restored), ${r.to} 0%`
  }
  return `Weights: ${r.to} ${w}%, ${r.from} ${100 - w}%`
}

/**
 * Where a rollout is, as a sentence's end: `Rollout X ` + `is at step 2 of 3 (50%)`, `is
 * waiting at the gate before 100%`, `has succeeded`, with ` (paused)` while paused.
 */
export function phasePhrase(r: RolloutSummary): string {
  const weight = r.step === null ? undefined : r.steps[r.step]
  const at =
    r.phase === 'pending'
      ? 'is pending (before its first step)'
      : r.phase === 'smoke'
        ? 'is running its smoke test'
        : r.phase === 'step'
          ? r.step === null
            ? 'is at a step'
            : `is at step ${r.step + 1} of ${r.steps.length} (${weight}%)`
          : r.phase === 'gate'
            ? weight === undefined
              ? 'is waiting at a gate'
              : `is waiting at the gate before ${weight}%`
            : r.phase === 'rolling-back'
              ? 'is rolling back'
              : r.phase === 'succeeded'
                ? 'has succeeded'
                : r.phase === 'rolled-back'
                  ? 'was rolled back'
                  : r.phase === 'aborted'
                    ? 'was aborted'
                    : 'has stopped'
  return `${at}${r.pause === null || isTerminal(r.phase) ? '' : ' (paused)'}`
}

export function phaseText(r: RolloutSummary, s: Style): string {
  const base =
    r.phase === 'succeeded'
      ? s.green(r.phase)
      : isTerminal(r.phase) || r.phase === 'rolling-back'
        ? s.red(r.phase)
        : s.cyan(r.phase)
  const step =
    r.phase === 'step' && r.step !== null
      ? ` ${r.step + 1} of ${r.steps.length} (${r.steps[r.step]}%)`
      : r.phase === 'gate' && r.step !== null
        ? ` before ${r.steps[r.step]}% (waiting for promote)`
        : ''
  const paused = r.pause === null ? '' : s.yellow(` paused by ${r.pause.by}: ${r.pause.why}`)
  return `${base}${step}${paused}`
}

function stats(v: VersionStats | null): string[] {
  if (v === null) return ['-', '-', '-', '-']
  return [
    String(v.requests),
    `${v.ratePerSec.toFixed(1)}/s`,
    v.successRate === null ? '-' : showRate(v.successRate),
    v.p99Ms === null ? '-' : `${Math.round(v.p99Ms)}ms`,
  ]
}

function verdictText(
  r: Rollout,
  i: number,
  rec: StepRecord | undefined,
  s: Style,
  pausedBy: string | null,
): string {
  if (rec === undefined) {
    // A step without a record that the rollout got past (promote --full) was skipped.
    const past = r.phase === 'succeeded' || (r.step !== null && !isTerminal(r.phase) && i < r.step)
    return past ? s.yellow('skipped (promoted)') : ''
  }
  // A rollout that ended mid-step: the step was never judged, it ended with the rollout.
  if (
    isTerminal(r.phase) &&
    (rec.verdict === 'pending' || rec.verdict === 'insufficient' || rec.verdict === 'unreadable')
  ) {
    return s.red(r.phase === 'aborted' ? 'aborted' : r.phase)
  }
  // A paused step is not being judged, whatever its record says.
  if (pausedBy !== null && rec.verdict === 'pending') return s.yellow(`paused by ${pausedBy}`)
  switch (rec.verdict) {
    case 'pass':
      return s.green('passed')
    case 'fail':
      return s.red(`failed${rec.failed === null ? '' : `: ${rec.failed.detail}`}`)
    case 'skipped':
      return s.yellow('skipped (promoted)')
    case 'insufficient':
      return s.yellow('waiting for traffic')
    case 'unreadable':
      return s.yellow('metrics unreadable')
    default:
      return rec.windowStart === null ? 'shifting' : 'analysing'
  }
}

/** Time until the current step's window ends, if it is analysing. */
function nextStepIn(r: Rollout, now: number): string | null {
  if (r.phase !== 'step' || r.pause !== null) return null
  const rec = r.stepRecords.at(-1)
  if (rec === undefined || rec.windowStart === null || rec.index !== r.step) return null
  const left = Date.parse(rec.windowStart) + r.intervalMs - now
  return left <= 0
    ? 'judging now'
    : `next judgement in ${showDuration(Math.ceil(left / 100) * 100)}`
}

export function renderRollout(r: Rollout, s: Style, now = Date.now()): string {
  let out = `Rollout ${s.bold(r.id)} in ${r.namespace}: ${phaseText(r, s)}\n`
  out += `  ${r.prefix}: ${r.from} -> ${r.to}\n`
  out += `  created ${r.createdAt} by ${r.createdBy}${r.reason === null ? '' : `; reason: ${r.reason}`}\n`
  if (r.outcome !== null) out += `  outcome: ${r.outcome}\n`
  out += `  steps every ${showDuration(r.intervalMs)}, success >= ${showRate(r.thresholds.minSuccessRate)}`
  out += `${r.thresholds.maxP99Ms === null ? '' : `, p99 <= ${r.thresholds.maxP99Ms}ms`}, at least ${r.thresholds.minRequests} requests\n`
  out += '\n'
  const rows: string[][] = [['', 'STEP', 'WEIGHT', 'VERDICT', 'REQUESTS', 'RATE', 'SUCCESS', 'P99']]
  r.steps.forEach((weight, i) => {
    const rec = [...r.stepRecords].reverse().find((x) => x.index === i)
    const here = r.step === i && !isTerminal(r.phase)
    rows.push([
      here ? s.bold('>') : ' ',
      String(i + 1),
      `${weight}%${r.gates.includes(weight) ? ' (gate)' : ''}`,
      verdictText(r, i, rec, s, here && r.pause !== null ? r.pause.by : null),
      ...stats(rec?.to ?? null),
    ])
  })
  out += table(rows)
  out += `\n${weightsLine(r)}\n`
  const current = r.stepRecords.at(-1)
  if (current !== undefined && (current.from !== null || current.to !== null)) {
    out += table([
      ['VERSION', 'REQUESTS', 'RATE', 'SUCCESS', 'P99', 'IDS'],
      ['from', ...stats(current.from), current.from?.ids.join(' ') ?? '-'],
      ['to', ...stats(current.to), current.to?.ids.join(' ') ?? '-'],
    ])
  }
  const next = nextStepIn(r, now)
  if (next !== null) out += `${next}\n`
  const events = r.events.slice(-5)
  if (events.length > 0) {
    out += '\nLast events:\n'
    for (const e of events) out += `  ${eventLine(r, e, s)}\n`
  }
  return out
}

/** One event: `<time> <id> <from> -> <to> [step n, w%] by <who>: <why>`. */
export function eventLine(r: Pick<Rollout, 'id'>, e: RolloutEvent, s: Style): string {
  const where =
    e.step === null ? '' : ` [step ${e.step + 1}${e.weight === null ? '' : `, ${e.weight}%`}]`
  return `${s.dim(e.time)} ${r.id} ${e.from} -> ${e.to}${where} by ${e.who}: ${e.why}`
}

export function summaryRows(rollouts: readonly RolloutSummary[], s: Style): string {
  return table([
    ['NAMESPACE', 'ID', 'PREFIX', 'PHASE', 'WEIGHT', 'FROM', 'TO', 'CREATED'],
    ...rollouts.map((r) => [
      r.namespace,
      r.id,
      r.prefix,
      phaseText(r, s),
      weightText(r),
      r.from,
      r.to,
      r.createdAt,
    ]),
  ])
}
