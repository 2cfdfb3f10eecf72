// The rollout state machine (docs/design/rollouts.md §1), pure: given a rollout and what the
// controller saw (the time, the dtab's version and the rollout's dentry in it, the latest reading,
// a finished smoke run), the next rollout and the effects to carry out. Every transition rule
// lives here and is table-tested without I/O; the controller only stores `next` (by CAS) and runs
// the effects, and the writer reports a dtab write back through `applyWrite`/`applyConflict`.
//
// A dtab write is two-phase: `advance` records the `intent` on the rollout and returns a
// `write-dtab` effect; once the write is acknowledged, `applyWrite` clears the intent, sets
// `lastWritten`, and finishes the transition (a step begins its window; a rollback or a full
// promote ends the rollout). While an intent is pending nothing else happens to the rollout.
import {
  isTerminal,
  MAX_ROLLOUT_EVENTS,
  type Rollout,
  type RolloutEvent,
  type RolloutIntent,
  type RolloutPhase,
  type RolloutRequest,
  type StepRecord,
} from '@switchyard/wire'
import { stepDentry } from './dentry.js'
import type { Judge, ProbeResult, ReadResult } from './sources/source.js'

export interface SmokeResult {
  readonly sent: number
  readonly passed: number
  readonly firstFailure: string | null
}

export interface MachineInputs {
  readonly now: Date
  /** Who automatic moves are made by: `controller@<replica>`. */
  readonly who: string
  /** The namespace's dtab now: its version (ETag) and the rollout's dentry text; null: the namespace is gone. */
  readonly dtab: { readonly version: string; readonly dentry: string | null } | null
  /** The latest reading of the current step's window; null when there is none yet. */
  readonly reading: ReadResult | null
  /** The smoke run's result, once it finished (only looked at in `smoke`). */
  readonly smoke: SmokeResult | null
  /**
   * In `pending`: whether the metrics source can read the namespace (MetricsSource.mark), checked
   * before the first dtab write; null or absent: not checked, taken as readable.
   */
  readonly probe?: ProbeResult | null
  readonly judge: Judge
}

export type WritePurpose = RolloutIntent['purpose']

export type Effect =
  /** Write the intent's dentry (writer.ts); the rollout already carries the intent. */
  | { readonly type: 'write-dtab'; readonly intent: RolloutIntent; readonly why: string }
  /** Run the smoke requests (smoke.ts) and call advance again with the result. */
  | { readonly type: 'smoke' }
  /** Tell the webhook (webhook.ts) about an event. */
  | { readonly type: 'notify'; readonly event: RolloutEvent }

export interface Advance {
  readonly next: Rollout
  readonly effects: readonly Effect[]
}

/** The dentry the rollout expects in the dtab: what it last wrote, or the one from before. */
export function expectedDentry(r: Rollout): string {
  return r.lastWritten?.dentry ?? r.before.dentry
}

/** The current step's record, if the step has one. */
export function currentRecord(r: Rollout): StepRecord | null {
  const last = r.stepRecords[r.stepRecords.length - 1]
  return last !== undefined && last.index === r.step ? last : null
}

/** Whether the rollout is analysing: in a step whose write is acknowledged, not paused. */
export function analysing(r: Rollout): boolean {
  const rec = currentRecord(r)
  return (
    r.phase === 'step' &&
    r.intent === null &&
    r.pause === null &&
    rec !== null &&
    rec.windowStart !== null &&
    rec.windowEnd === null
  )
}

/** Whether the controller should read metrics for this rollout (analysing, or paused by metrics). */
export function wantsReading(r: Rollout): boolean {
  const rec = currentRecord(r)
  return (
    r.phase === 'step' &&
    r.intent === null &&
    (r.pause === null || r.pause.by === 'metrics') &&
    rec !== null &&
    rec.windowStart !== null &&
    rec.windowEnd === null
  )
}

/** A builder over one rollout: events and notify effects accumulate, in order. */
class Draft {
  r: Rollout
  readonly effects: Effect[] = []
  constructor(
    r: Rollout,
    readonly now: Date,
  ) {
    this.r = { ...r }
  }
  get at(): string {
    return this.now.toISOString()
  }
  set(patch: Partial<Rollout>): void {
    this.r = { ...this.r, ...patch }
  }
  /** Moves to `to` (possibly the same phase) with an event saying who and why. */
  event(
    to: RolloutPhase,
    who: string,
    why: string,
    weight: number | null,
    dtabVersion: string | null = null,
  ): RolloutEvent {
    const last = this.r.events[this.r.events.length - 1]
    const event: RolloutEvent = {
      seq: (last?.seq ?? 0) + 1,
      time: this.at,
      from: this.r.phase,
      to,
      step: this.r.step,
      weight,
      who,
      why,
      dtabVersion,
    }
    const events = [...this.r.events, event]
    this.r = {
      ...this.r,
      phase: to,
      events: events.length > MAX_ROLLOUT_EVENTS ? events.slice(-MAX_ROLLOUT_EVENTS) : events,
    }
    // Only the move into a terminal phase ends the rollout (a too-late note after it does not).
    const ends = isTerminal(to) && !isTerminal(event.from)
    if (ends) this.r = { ...this.r, endedAt: this.at, outcome: why, pause: null }
    this.effects.push({ type: 'notify', event })
    if (ends) this.tooLate()
    return event
  }
  /**
   * Requests still queued when the rollout ends are answered in its events, not dropped: the
   * API said "queued", so the person who asked learns their request came too late.
   */
  tooLate(): void {
    const left = this.r.requests
    if (left.length === 0) return
    this.r = { ...this.r, requests: [] }
    for (const req of left) {
      const by = req.why === null ? `by ${req.who}` : `by ${req.who} (${req.why})`
      this.event(
        this.r.phase,
        req.who,
        `${req.action} ${by} came after the rollout ${this.r.phase}; nothing was done`,
        null,
      )
    }
  }
  updateRecord(patch: Partial<StepRecord>): void {
    const records = [...this.r.stepRecords]
    const i = records.length - 1
    if (i < 0 || records[i]!.index !== this.r.step) return
    records[i] = { ...records[i]!, ...patch }
    this.r = { ...this.r, stepRecords: records }
  }
  done(): Advance {
    return { next: { ...this.r, updatedAt: this.at }, effects: this.effects }
  }
}

const stepOf = (r: Rollout): string =>
  r.step === null ? '' : `step ${r.step + 1} of ${r.steps.length} (${r.steps[r.step]}%)`

/**
 * One move of the rollout. Terminal rollouts never change. Requests queued on the rollout are
 * taken in order (and removed); then the phase's own rule runs.
 */
export function advance(rollout: Rollout, inputs: MachineInputs): Advance {
  if (isTerminal(rollout.phase)) return { next: rollout, effects: [] }
  // A write begun and not acknowledged: finish it first (the writer adopts, redoes or stops).
  if (rollout.intent !== null) {
    return {
      next: rollout,
      effects: [{ type: 'write-dtab', intent: rollout.intent, why: intentWhy(rollout) }],
    }
  }
  const d = new Draft(rollout, inputs.now)
  const before = rollout
  if (inputs.dtab === null) {
    d.event(
      'stopped',
      inputs.who,
      `namespace ${rollout.namespace} is gone; the rollout stops and writes nothing`,
      null,
    )
    return finish(d, before)
  }
  const expected = expectedDentry(rollout)
  if (inputs.dtab.dentry !== expected) {
    d.event(
      'stopped',
      inputs.who,
      `conflict: the dentry for ${rollout.prefix} is ${inputs.dtab.dentry ?? '(none)'}, not ${expected} as the rollout ${rollout.lastWritten === null ? 'found it' : 'last wrote it'}; someone else changed it, so the rollout stops and writes nothing`,
      null,
    )
    return finish(d, before)
  }
  const version = inputs.dtab.version
  if (d.r.requests.length > 0) {
    // One at a time, each removed as it is taken: those left when the rollout ends are
    // reported as too late (Draft.tooLate); those left behind a pending write wait for it.
    while (d.r.requests.length > 0 && !isTerminal(d.r.phase) && d.r.intent === null) {
      const [req, ...rest] = d.r.requests
      d.set({ requests: rest })
      takeRequest(d, req!, version)
    }
    if (isTerminal(d.r.phase) || d.r.intent !== null) return finish(d, before)
  }
  switch (d.r.phase) {
    case 'pending':
      if (!metricsReadable(d, inputs)) break
      if (d.r.smoke !== null) {
        d.event('smoke', inputs.who, `smoke: ${d.r.smoke.requests} requests to ${d.r.smoke.url}`, 0)
        d.effects.push({ type: 'smoke' })
      } else {
        enterStep(d, 0, inputs.who, 'taken up by the controller', version, false)
      }
      break
    case 'smoke':
      if (inputs.smoke === null) {
        d.effects.push({ type: 'smoke' })
        break
      }
      d.set({ smokeResult: { ...inputs.smoke } })
      if (inputs.smoke.passed === inputs.smoke.sent && inputs.smoke.firstFailure === null) {
        enterStep(
          d,
          0,
          inputs.who,
          `smoke passed: ${inputs.smoke.passed} of ${inputs.smoke.sent} requests reached ${d.r.to}`,
          version,
          false,
        )
      } else {
        d.event(
          'rolled-back',
          inputs.who,
          `smoke failed: ${inputs.smoke.passed} of ${inputs.smoke.sent} passed; first failure: ${inputs.smoke.firstFailure ?? 'unknown'}; the dtab was never written`,
          0,
        )
      }
      break
    case 'step':
      analyse(d, inputs, version)
      break
    case 'rolling-back':
      // Entered with an intent; here only when the intent was cleared without finishing.
      startRollback(d, inputs.who, d.r.outcome ?? 'rolling back', version)
      break
    case 'gate':
      break
  }
  return finish(d, before)
}

function finish(d: Draft, before: Rollout): Advance {
  if (d.r === before || (d.effects.length === 0 && sameRollout(d.r, before))) {
    return { next: before, effects: d.effects }
  }
  return d.done()
}

function sameRollout(a: Rollout, b: Rollout): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function intentWhy(r: Rollout): string {
  const last = r.events[r.events.length - 1]
  return last?.why ?? `${r.intent?.purpose ?? 'write'} of ${r.intent?.dentry ?? ''}`
}

function takeRequest(d: Draft, req: RolloutRequest, version: string): void {
  const by = req.why === null ? `by ${req.who}` : `by ${req.who}: ${req.why}`
  const phase = d.r.phase
  switch (req.action) {
    case 'abort':
      startRollback(d, req.who, `aborted ${by}`, version)
      return
    case 'pause':
      if (d.r.pause?.by === 'user') {
        ignored(d, req, `it is already paused (by ${d.r.pause.who} since ${d.r.pause.since})`)
        return
      }
      d.set({ pause: { by: 'user', since: d.at, who: req.who, why: req.why ?? 'paused' } })
      // The user's reason ends its clause: "paused by deployer: look; the rollout holds at
      // step 2 of 3 (50%)", never "look at step 2" as if the reason went on.
      d.event(
        phase,
        req.who,
        `paused ${by}${stepOf(d.r) ? `; the rollout holds at ${stepOf(d.r)}` : ''}`,
        weightNow(d.r),
      )
      return
    case 'resume':
      if (d.r.pause === null) {
        ignored(d, req, 'it is not paused')
        return
      }
      d.set({ pause: null })
      restartWindow(d)
      d.event(phase, req.who, `resumed ${by}; the window starts again`, weightNow(d.r))
      return
    case 'promote':
      if (phase === 'gate' && d.r.step !== null) {
        d.event('gate', req.who, `gate before ${d.r.steps[d.r.step]}% opened ${by}`, weightNow(d.r))
        shiftStep(d, d.r.step, req.who, `promoted ${by}`, version)
        return
      }
      if (phase === 'step' && d.r.step !== null && d.r.intent === null) {
        d.updateRecord({ verdict: 'skipped', windowEnd: d.at })
        nextStep(d, req.who, `${stepOf(d.r)} skipped: promoted ${by}`, version)
        return
      }
      ignored(d, req, `promote is not possible in phase ${phase}`)
      return
    case 'promote-full':
      if (phase === 'gate' || phase === 'step') {
        const full = stepDentry(d.r.prefix, d.r.from, d.r.to, 100)
        d.updateRecord({ verdict: 'skipped', windowEnd: d.at })
        if (d.r.lastWritten?.dentry === full) {
          d.event('succeeded', req.who, `promoted to 100% ${by}`, 100)
          return
        }
        d.event(phase, req.who, `promote --full ${by}: writing ${d.r.to} alone`, weightNow(d.r))
        d.set({
          intent: { dentry: full, basedOn: version, step: d.r.step, purpose: 'full' },
        })
        pushWrite(d)
        return
      }
      ignored(d, req, `promote --full is not possible in phase ${phase}`)
      return
  }
}

function ignored(d: Draft, req: RolloutRequest, why: string): void {
  d.event(d.r.phase, req.who, `${req.action} ignored: ${why}`, weightNow(d.r))
}

function pushWrite(d: Draft): void {
  const intent = d.r.intent
  if (intent === null) return
  d.effects.push({ type: 'write-dtab', intent, why: intentWhy(d.r) })
}

/** The weight of `to` in the dtab now, as far as the rollout knows. */
export function weightNow(r: Rollout): number {
  if (r.lastWritten === null) return 0
  for (let i = r.stepRecords.length - 1; i >= 0; i--) {
    const rec = r.stepRecords[i]!
    if (rec.shiftedVersion !== null) return rec.weight
  }
  return 0
}

function restartWindow(d: Draft): void {
  const rec = currentRecord(d.r)
  if (d.r.phase !== 'step' || rec === null || rec.windowStart === null || rec.windowEnd !== null)
    return
  d.updateRecord({ windowStart: d.at, checks: 0, verdict: 'pending' })
}

/** To steps[k]: through its gate first when one waits there (and it is not being opened). */
function enterStep(
  d: Draft,
  k: number,
  who: string,
  why: string,
  version: string,
  gateOpen: boolean,
): void {
  const weight = d.r.steps[k]!
  if (!gateOpen && d.r.gates.includes(weight)) {
    d.set({ step: k })
    d.event(
      'gate',
      who,
      `${why}; waiting at the gate before ${weight}% for promote`,
      weightNow(d.r),
    )
    return
  }
  shiftStep(d, k, who, why, version)
}

/** Begins step k: its record, and the intent of its write. */
function shiftStep(d: Draft, k: number, who: string, why: string, version: string): void {
  const weight = d.r.steps[k]!
  const record: StepRecord = {
    index: k,
    weight,
    startedAt: d.at,
    shiftedVersion: null,
    windowStart: null,
    windowEnd: null,
    checks: 0,
    verdict: 'pending',
    from: null,
    to: null,
    failed: null,
  }
  const dentry = stepDentry(d.r.prefix, d.r.from, d.r.to, weight)
  d.set({ step: k, stepRecords: [...d.r.stepRecords, record] })
  // Self-contained, the step it shifts to first (namerctl history prints `step -> step 3 (100%)`
  // before it, and the dtab write's why is this text): what led here follows.
  d.event('step', who, `${stepOf(d.r)}: shifting ${weight}% to ${d.r.to}; ${why}`, weight)
  if (d.r.lastWritten?.dentry === dentry) {
    // Already in the dtab (a promote past a step of the same dentry): nothing to write.
    d.updateRecord({ shiftedVersion: d.r.lastWritten.version, windowStart: d.at })
    return
  }
  d.set({ intent: { dentry, basedOn: version, step: k, purpose: 'step' } })
  pushWrite(d)
}

/** After step k ends well: the next step, or success after the last. */
function nextStep(d: Draft, who: string, why: string, version: string): void {
  const k = d.r.step ?? -1
  if (k + 1 >= d.r.steps.length) {
    d.event('succeeded', who, `${why}; ${d.r.to} has all the traffic`, 100)
    return
  }
  enterStep(d, k + 1, who, why, version, false)
}

/** To rolling-back: restore the dtab from before, or end at once when nothing was written. */
function startRollback(d: Draft, who: string, why: string, version: string): void {
  // An abort's why starts with `aborted` (takeRequest); applyWrite ends the rollback by it too.
  const end: RolloutPhase = why.startsWith('aborted') ? 'aborted' : 'rolled-back'
  if (d.r.lastWritten === null) {
    d.event(end, who, `${why}; the dtab was never written`, 0)
    return
  }
  if (d.r.phase !== 'rolling-back') d.event('rolling-back', who, why, weightNow(d.r))
  d.set({
    pause: null,
    outcome: why,
    intent: { dentry: d.r.before.dentry, basedOn: version, step: d.r.step, purpose: 'rollback' },
  })
  pushWrite(d)
}

/**
 * The check before the first write: unreadable metrics pause the rollout at pending (nothing
 * shifted, so nothing sits unjudged), for at most the progress deadline, then it ends
 * rolled-back with nothing written. `waiting` (a new leader's proxies registering) waits
 * without a pause. Readable again: the pause ends and the rollout is taken up.
 */
function metricsReadable(d: Draft, inputs: MachineInputs): boolean {
  const probe = inputs.probe ?? null
  if (d.r.pause?.by === 'user') return true
  if (probe === null || probe.ok) {
    if (d.r.pause?.by === 'metrics') {
      d.set({ pause: null })
      d.event('pending', inputs.who, 'metrics readable; taken up by the controller', 0)
    }
    return true
  }
  const paused = d.r.pause?.by === 'metrics' ? d.r.pause : null
  if (paused !== null && pausedTooLong(d, paused.since)) {
    d.event(
      'rolled-back',
      inputs.who,
      `progress deadline: metrics unreadable since ${paused.since} (${probe.problem}), ${Math.round(d.r.progressDeadlineMs / 1000)} s; the dtab was never written`,
      0,
    )
    return false
  }
  if (probe.waiting === true || paused !== null) return false
  d.set({ pause: { by: 'metrics', since: d.at, who: inputs.who, why: probe.problem } })
  d.event(
    'pending',
    inputs.who,
    `paused before shifting any traffic: metrics unreadable (${probe.problem}); starts when they read again, ends rolled-back if they do not within the progress deadline (${Math.round(d.r.progressDeadlineMs / 1000)} s)`,
    0,
  )
  return false
}

const pausedTooLong = (d: Draft, since: string): boolean =>
  d.now.getTime() - Date.parse(since) >= d.r.progressDeadlineMs

function analyse(d: Draft, inputs: MachineInputs, version: string): void {
  const rec = currentRecord(d.r)
  if (rec === null || rec.windowStart === null || rec.windowEnd !== null) return
  const reading = inputs.reading
  if (d.r.pause?.by === 'user') return
  if (d.r.pause?.by === 'metrics') {
    if (reading?.ok === true) {
      d.set({ pause: null })
      restartWindow(d)
      d.event(
        'step',
        inputs.who,
        `metrics readable again; ${stepOf(d.r)}: the window starts again`,
        rec.weight,
      )
    } else if (pausedTooLong(d, d.r.pause.since)) {
      // Paused by metrics past the progress deadline: the step can never be judged, so the
      // traffic it shifted goes back.
      const problem = reading?.ok === false ? reading.problem : d.r.pause.why
      const detail = `metrics unreadable since ${d.r.pause.since} (${problem}), longer than the progress deadline (${Math.round(d.r.progressDeadlineMs / 1000)} s)`
      d.updateRecord({
        verdict: 'fail',
        windowEnd: d.at,
        failed: { metric: 'progress-deadline', value: null, threshold: null, detail },
      })
      startRollback(d, inputs.who, `${stepOf(d.r)}: progress deadline: ${detail}`, version)
    }
    return
  }
  if (reading === null) return
  if (!reading.ok) {
    d.set({ pause: { by: 'metrics', since: d.at, who: inputs.who, why: reading.problem } })
    d.updateRecord({ verdict: 'unreadable' })
    d.event(
      'step',
      inputs.who,
      `paused at ${stepOf(d.r)}: metrics unreadable (${reading.problem}); never passes on a guess, resumes when they read again`,
      rec.weight,
    )
    return
  }
  const r = reading.reading
  const windowStart = Date.parse(rec.windowStart)
  const final = r.at.getTime() >= windowStart + d.r.intervalMs
  const judgement = inputs.judge(r, d.r.thresholds, final)
  const stats = { from: r.from, to: r.to, checks: rec.checks + 1 }
  switch (judgement.verdict) {
    case 'fail': {
      d.updateRecord({
        ...stats,
        verdict: 'fail',
        windowEnd: r.at.toISOString(),
        failed: {
          metric: judgement.metric,
          value: judgement.value,
          threshold: judgement.threshold,
          detail: judgement.detail,
        },
      })
      startRollback(d, inputs.who, `${stepOf(d.r)}: ${judgement.detail}`, version)
      return
    }
    case 'insufficient': {
      // The deadline counts from the step's start, not the window's: a resume or the end of a
      // metrics pause restarts the window but must not extend a step that never gets traffic.
      const stepStart = Date.parse(rec.startedAt)
      if (d.now.getTime() >= stepStart + d.r.progressDeadlineMs) {
        const detail = `${r.to.requests} requests to ${d.r.to} in the last ${Math.round((d.now.getTime() - windowStart) / 1000)} s, fewer than ${d.r.thresholds.minRequests}, by the progress deadline (${Math.round(d.r.progressDeadlineMs / 1000)} s from the step's start)`
        d.updateRecord({
          ...stats,
          verdict: 'fail',
          windowEnd: d.at,
          failed: {
            metric: 'progress-deadline',
            value: r.to.requests,
            threshold: d.r.thresholds.minRequests,
            detail,
          },
        })
        startRollback(d, inputs.who, `${stepOf(d.r)}: ${detail}`, version)
        return
      }
      d.updateRecord({ ...stats, verdict: 'insufficient' })
      return
    }
    case 'continue':
      d.updateRecord({ ...stats, verdict: 'pending' })
      return
    case 'pass': {
      d.updateRecord({ ...stats, verdict: 'pass', windowEnd: r.at.toISOString() })
      const rate = r.to.successRate === null ? 'n/a' : `${(r.to.successRate * 100).toFixed(1)}%`
      nextStep(
        d,
        inputs.who,
        `${stepOf(d.r)} passed: ${r.to.requests} requests, success ${rate}${r.to.p99Ms === null ? '' : `, p99 ${Math.round(r.to.p99Ms)}ms`}`,
        version,
      )
      return
    }
  }
}

/**
 * Whether the current step's write is acknowledged and its window waits for the proxies to
 * have its version (applyWrite with holdWindow, or a new leader restarting the window).
 */
export function awaitingProxies(r: Rollout): boolean {
  const rec = currentRecord(r)
  return (
    r.phase === 'step' &&
    r.intent === null &&
    r.pause === null &&
    rec !== null &&
    rec.shiftedVersion !== null &&
    rec.windowStart === null &&
    rec.windowEnd === null
  )
}

/**
 * The window of the current step starts now (the proxies have its version, or the wait's bound
 * passed): windowStart set, with an event saying why.
 */
export function startWindow(r: Rollout, now: Date, who: string, why: string): Advance {
  if (!awaitingProxies(r)) return { next: r, effects: [] }
  const d = new Draft(r, now)
  d.updateRecord({ windowStart: d.at })
  d.event('step', who, `${stepOf(d.r)}: ${why}`, weightNow(d.r))
  return d.done()
}

/**
 * A new leader takes over a rollout in the middle of a window: it restarts it (fresh numbers,
 * waiting again for the proxies to have the step's version) rather than judging the part of
 * it left. The progress deadline still counts from the step's start.
 */
export function takeOverWindow(r: Rollout, now: Date, who: string): Advance {
  if (!analysing(r)) return { next: r, effects: [] }
  const rec = currentRecord(r)!
  const d = new Draft(r, now)
  d.updateRecord({ windowStart: null, checks: 0, verdict: 'pending', from: null, to: null })
  d.event(
    'step',
    who,
    `${stepOf(d.r)}: taken over by a new leader; the window started at ${rec.windowStart} starts again once the proxies have the step's version`,
    weightNow(d.r),
  )
  return d.done()
}

/** What the writer reports for a finished intent. */
export interface WriteResult {
  readonly now: Date
  readonly who: string
  /** The dtab version (ETag) the write produced; for an adopted write, the version found. */
  readonly version: string
  readonly dentry: string
  /**
   * A step's window waits for the proxies (the controller's propagation wait, startWindow):
   * windowStart stays null. False or absent: the window starts at the acknowledgement.
   */
  readonly holdWindow?: boolean
}

/** The intent acknowledged: `lastWritten` set, the intent cleared, the transition finished. */
export function applyWrite(rollout: Rollout, result: WriteResult): Advance {
  const intent = rollout.intent
  if (intent === null || isTerminal(rollout.phase)) return { next: rollout, effects: [] }
  const d = new Draft(rollout, result.now)
  d.set({ intent: null, lastWritten: { version: result.version, dentry: result.dentry } })
  switch (intent.purpose) {
    case 'step': {
      d.updateRecord({
        shiftedVersion: result.version,
        windowStart: result.holdWindow === true ? null : d.at,
      })
      // The decision's event gets the version its write made.
      const events = [...d.r.events]
      const last = events[events.length - 1]
      if (last !== undefined && last.dtabVersion === null && last.to === 'step') {
        events[events.length - 1] = { ...last, dtabVersion: result.version }
        d.set({ events })
      }
      break
    }
    case 'full':
      d.event(
        'succeeded',
        result.who,
        `${rollout.to} has all the traffic (promote --full)`,
        100,
        result.version,
      )
      break
    case 'rollback': {
      const why = rollout.outcome ?? 'rolled back'
      const end: RolloutPhase = why.startsWith('aborted') ? 'aborted' : 'rolled-back'
      d.event(end, result.who, `${why}; restored ${rollout.before.dentry}`, 0, result.version)
      break
    }
  }
  return d.done()
}

/** The writer found someone else's change to the dentry: stopped, and nothing written, ever. */
export function applyConflict(
  rollout: Rollout,
  now: Date,
  who: string,
  found: string | null,
): Advance {
  if (isTerminal(rollout.phase)) return { next: rollout, effects: [] }
  const d = new Draft(rollout, now)
  const expected = expectedDentry(rollout)
  d.set({ intent: null })
  d.event(
    'stopped',
    who,
    `conflict: the dentry for ${rollout.prefix} is ${found ?? '(none)'}, not ${expected} as the rollout ${rollout.lastWritten === null ? 'found it' : 'last wrote it'}${rollout.intent?.purpose === 'rollback' ? ` (the rollback would have written ${rollout.before.dentry})` : ''}; someone else changed it, so the rollout stops and writes nothing`,
    null,
  )
  return d.done()
}

/** The namespace is gone at write time. */
export function applyGone(rollout: Rollout, now: Date, who: string): Advance {
  if (isTerminal(rollout.phase)) return { next: rollout, effects: [] }
  const d = new Draft(rollout, now)
  d.set({ intent: null })
  d.event(
    'stopped',
    who,
    `namespace ${rollout.namespace} is gone; the rollout stops and writes nothing`,
    null,
  )
  return d.done()
}
