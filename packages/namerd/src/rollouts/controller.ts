// The controller (docs/design/rollouts.md §3), run by the leader only: a watch on the store's
// rollouts keeps the active ones in memory; every tickMs each is moved by the pure machine
// (machine.ts) with what the controller sees (the dtab, the latest reading, a smoke result), the
// new state is stored by compare-and-swap, and the effects run: dtab writes through the writer
// (the only dtab writer), smoke runs, webhook notifications. A lost CAS is not an error: the
// watch brings the newer rollout and the next tick works from it.
import {
  type DtabStore,
  type RolloutStore,
  type VersionedRollout,
  VersionMismatchError,
  versionsEqual,
  versionToETag,
} from '@switchyard/store'
import {
  isTerminal,
  type MetricsSourceSpec,
  type Rollout,
  type RolloutEvent,
  type StepRecord,
} from '@switchyard/wire'
import type { Logger } from 'pino'
import type { Naming } from '../naming.js'
import { dentryText } from './dentry.js'
import {
  type Advance,
  advance,
  analysing,
  awaitingProxies,
  currentRecord,
  type Effect,
  type SmokeResult,
  startWindow,
  takeOverWindow,
  wantsReading,
  weightNow,
} from './machine.js'
import type { RolloutMetrics } from './metrics.js'
import { rollbackStartedAt, transitionReason } from './metrics.js'
import { bindIdsWith } from './plan.js'
import { lagging, PROPAGATION_WAIT_MS, type PropagationProxy, shortVersion } from './propagation.js'
import type { Judge, MetricsSource, ProbeResult, ReadResult, VersionIds } from './sources/source.js'
import { carryOutIntent } from './writer.js'

export type RunSmoke = (
  rollout: Rollout,
  toIds: readonly string[],
  options?: { signal?: AbortSignal },
) => Promise<SmokeResult>

export interface Notifier {
  notify(rollout: Rollout, event: RolloutEvent, analysis: StepRecord | null): void
  close(): void | Promise<void>
}

export interface ControllerOptions {
  readonly store: DtabStore
  readonly rollouts: RolloutStore
  readonly naming: Naming
  readonly replicaId: string
  readonly tickMs: number
  readonly log: Logger
  readonly judge: Judge
  /** The metrics source for a rollout's spec (one per kind and URL, shared by rollouts). */
  sourceFor(spec: MetricsSourceSpec): MetricsSource
  readonly runSmoke: RunSmoke
  readonly notifier: Notifier | null
  readonly metrics?: RolloutMetrics
  readonly now?: () => Date
  /**
   * The proxies of a namespace with the versions their streams were sent (the directory's
   * propagation). Given: a step's window starts only once they all have the step's version, or
   * after min(interval, PROPAGATION_WAIT_MS) with an event naming those that lag. Absent: at the
   * write's acknowledgement.
   */
  readonly propagation?: (namespace: string) => Promise<PropagationProxy[]>
}

interface Held {
  vr: VersionedRollout
  /** The ids bound at the current step's start, keyed by the step index. */
  ids: { step: number; ids: VersionIds } | null
  smoke: { running: boolean; result: SmokeResult | null } | null
  busy: boolean
  /** The window start this leader last asked the source for a baseline of (MetricsSource.mark). */
  marked: string | null
  /**
   * A later state than h.vr that differs from it only in the live numbers of the step being
   * judged (its from/to/checks and updatedAt), not yet stored: see LIVE_WRITE_MS. Valid while
   * h.vr is still at `version`.
   */
  live: { rollout: Rollout; version: Uint8Array } | null
  /** When this leader last stored the rollout (ms). */
  storedAt: number
  /** The propagation wait of the current step's version: since when (ms), this leader's clock. */
  wait: { step: number; version: string; since: number } | null
  /** First seen by this controller: a window in progress is restarted (takeOverWindow). */
  takenOver: boolean
}

const key = (ns: string, id: string): string => `${ns}/${id}`

/**
 * A round that only refreshes the numbers of the window being judged (same verdict, same phase,
 * no event) is stored at most this often: every tick (100 ms) × every active rollout was a store
 * write and a watch event each, most of namerd's work with 200 rollouts in flight. Every
 * transition, verdict change and event is stored at once, as before.
 */
export const LIVE_WRITE_MS = 2000

/** Events of a rollout that ended longer ago than this are not resent by a new leader. */
const RESEND_ENDED_MS = 60 * 60 * 1000

export class RolloutController {
  readonly #o: ControllerOptions
  readonly #held = new Map<string, Held>()
  /** Rollouts whose unacknowledged webhook events this leader has queued again. */
  readonly #resent = new Set<string>()
  /** The highest webhook seq acknowledged per rollout, stored with its next write. */
  readonly #delivered = new Map<string, number>()
  readonly #abort = new AbortController()
  #timer: NodeJS.Timeout | null = null
  #round: Promise<void> | null = null
  #closed = false
  readonly #now: () => Date

  constructor(options: ControllerOptions) {
    this.#o = options
    this.#now = options.now ?? (() => new Date())
  }

  start(): void {
    void this.#watch()
    this.#timer = setInterval(() => {
      if (this.#round === null) {
        this.#round = this.tick().finally(() => {
          this.#round = null
        })
      }
    }, this.#o.tickMs)
    this.#timer.unref()
  }

  /** Stops at once: no new round; the round in flight finishes its awaits, fenced by CAS. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#abort.abort()
    if (this.#timer) clearInterval(this.#timer)
    await this.#round?.catch(() => {})
    this.#o.metrics?.weight.reset()
    this.#o.metrics?.phases.reset()
  }

  /** The active rollouts held, for tests. */
  held(): Rollout[] {
    return [...this.#held.values()].map((h) => h.vr.rollout)
  }

  async #watch(): Promise<void> {
    try {
      for await (const e of this.#o.rollouts.watch({ signal: this.#abort.signal })) {
        if (this.#closed) return
        if (e.type === 'rollout') this.#hold({ rollout: e.rollout, version: e.version })
        else if (e.type === 'removed') this.#held.delete(key(e.namespace, e.id))
      }
    } catch (err) {
      if (!this.#closed) this.#o.log.error({ err }, 'rollouts: the store watch failed')
    }
  }

  /**
   * The webhook acknowledged event `seq` (WebhookNotifier's onDelivered). Stored as
   * webhookDelivered with the rollout's next write; an ended rollout, which gets no more writes
   * from the rounds, gets a separate update.
   */
  delivered(namespace: string, id: string, seq: number): void {
    if (this.#closed) return
    const k = key(namespace, id)
    if ((this.#delivered.get(k) ?? 0) >= seq) return
    this.#delivered.set(k, seq)
    if (!this.#held.has(k)) void this.#storeDelivered(namespace, id)
  }

  /**
   * The webhook gave up on event `seq` (10 attempts): recorded as webhookDelivered like an
   * acknowledgement, so neither this replica nor a later leader sends it again after a restart.
   * The receiver missed it; the notifier's warning and this line say so.
   */
  gaveUp(namespace: string, id: string, seq: number): void {
    if (this.#closed) return
    this.#o.log.warn(
      { rollout: id, namespace, seq },
      `rollouts: webhook event ${id}/${seq} was given up on; recorded as handled (webhookDelivered ${seq}) so that no replica resends it`,
    )
    this.delivered(namespace, id, seq)
  }

  async #storeDelivered(namespace: string, id: string): Promise<void> {
    const k = key(namespace, id)
    for (let attempt = 0; attempt < 3 && !this.#closed; attempt++) {
      const want = this.#delivered.get(k) ?? 0
      try {
        const vr = await this.#o.rollouts.get(namespace, id)
        if (vr === null || vr.rollout.webhookDelivered >= want) return
        if (!isTerminal(vr.rollout.phase) && this.#held.has(k)) return // the rounds store it
        await this.#o.rollouts.update({ ...vr.rollout, webhookDelivered: want }, vr.version)
        return
      } catch (err) {
        if (err instanceof VersionMismatchError) continue
        this.#o.log.warn(
          { err, rollout: id, namespace },
          'rollouts: storing webhookDelivered failed',
        )
        return
      }
    }
  }

  /**
   * A rollout first seen by this leader: its events after webhookDelivered are queued again
   * (delivery is at least once; the receiver drops duplicates by Switchyard-Event-Id). Rollouts
   * that ended over an hour ago are left alone, so a dead webhook is not retried forever.
   */
  #resend(r: Rollout): void {
    const k = key(r.namespace, r.id)
    if (this.#resent.has(k)) return
    this.#resent.add(k)
    if (r.webhook === null || this.#o.notifier === null) return
    if (r.endedAt !== null && this.#now().getTime() - Date.parse(r.endedAt) > RESEND_ENDED_MS)
      return
    for (const event of r.events) {
      if (event.seq <= r.webhookDelivered) continue
      const rec = r.stepRecords.findLast((s) => s.index === event.step) ?? null
      this.#o.notifier.notify(r, event, rec)
    }
  }

  #hold(vr: VersionedRollout): void {
    const k = key(vr.rollout.namespace, vr.rollout.id)
    const h = this.#held.get(k)
    this.#resend(vr.rollout)
    if (isTerminal(vr.rollout.phase)) {
      this.#held.delete(k)
      this.#o.metrics?.weight.remove({ namespace: vr.rollout.namespace, prefix: vr.rollout.prefix })
      return
    }
    if (h === undefined)
      this.#held.set(k, {
        vr,
        ids: null,
        smoke: null,
        busy: false,
        marked: null,
        live: null,
        storedAt: 0,
        wait: null,
        takenOver: true,
      })
    else if (newer(vr, h.vr)) h.vr = vr
  }

  /** One round over every active rollout. */
  async tick(): Promise<void> {
    const end = this.#o.metrics?.roundSeconds.startTimer()
    const work = [...this.#held.values()].filter((h) => !h.busy)
    await Promise.all(work.map((h) => this.#move(h)))
    end?.()
    const m = this.#o.metrics
    if (m) {
      m.phases.reset()
      for (const h of this.#held.values()) {
        m.phases.inc({ phase: h.vr.rollout.phase })
        m.weight.set(
          { namespace: h.vr.rollout.namespace, prefix: h.vr.rollout.prefix },
          weightNow(h.vr.rollout),
        )
      }
    }
  }

  async #move(h: Held): Promise<void> {
    if (this.#closed) return
    h.busy = true
    try {
      await this.#moveOnce(h)
    } catch (err) {
      this.#o.log.warn(
        { err, rollout: h.vr.rollout.id, namespace: h.vr.rollout.namespace },
        'rollouts: a round failed for this rollout; trying again at the next tick',
      )
    } finally {
      h.busy = false
    }
  }

  async #moveOnce(h: Held): Promise<void> {
    // The state this move works from, and the version its CAS is against. Not h.vr at the time
    // of the write: the watch replaces h.vr meanwhile (an API request appended), and a write of
    // a `next` computed from the older state on the newer version would drop that request.
    // The live numbers kept in memory since the last write, if nobody wrote the rollout since.
    const base =
      h.live !== null && versionsEqual(h.live.version, h.vr.version)
        ? { rollout: h.live.rollout, version: h.vr.version }
        : h.vr
    h.live = null
    const who = `controller@${this.#o.replicaId}`
    // The window moves of this round, before the machine's: a window taken over from another
    // leader starts again, and a window waiting for the proxies starts once they have its version.
    const pre = await this.#windowMoves(h, base.rollout, who)
    const r = pre?.next ?? base.rollout
    const current = await this.#o.store.get(r.namespace)
    const dtab =
      current === null
        ? null
        : { version: versionToETag(current.version), dentry: dentryText(current.dtab, r.prefix) }
    // Before the first dtab write: can the metrics be read at all? Shifting traffic that can
    // never be judged only leaves it shifted (it pauses at pending instead; machine.ts).
    let probe: ProbeResult | null = null
    if (current !== null && r.intent === null && r.phase === 'pending') {
      probe = (await this.#o.sourceFor(r.metrics).mark?.(r.namespace, this.#now())) ?? null
    }
    // A window this leader has not taken a baseline for (it just started, or the rollout was
    // taken over from another leader): one now, before its first reading.
    if (pre === null) await this.#markWindow(h)
    let reading: ReadResult | null = null
    if (pre === null && current !== null && r.intent === null && wantsReading(r)) {
      const rec = currentRecord(r)!
      const ids = this.#idsFor(h, current.dtab)
      const now = this.#now()
      reading = await this.#o
        .sourceFor(r.metrics)
        .read(r.namespace, ids, new Date(rec.windowStart!), now)
    }
    const smoke = r.phase === 'smoke' ? (h.smoke?.result ?? null) : null
    const out = advance(r, {
      now: this.#now(),
      who,
      dtab,
      reading,
      smoke,
      probe,
      judge: this.#o.judge,
    })
    let next = out.next
    const effects: readonly Effect[] = pre === null ? out.effects : [...pre.effects, ...out.effects]
    // Webhook acknowledgements ride on this write, or make a small one of their own.
    const delivered = this.#delivered.get(key(r.namespace, r.id)) ?? 0
    if (delivered > next.webhookDelivered) next = { ...next, webhookDelivered: delivered }
    let vr = base
    if (
      next !== base.rollout &&
      this.#now().getTime() - h.storedAt < LIVE_WRITE_MS &&
      effects.length === 0 &&
      onlyLiveNumbers(next, base.rollout)
    ) {
      h.live = { rollout: next, version: base.version }
    } else if (next !== base.rollout) {
      try {
        const version = await this.#o.rollouts.update(next, base.version)
        vr = { rollout: next, version }
        h.vr = vr
        h.storedAt = this.#now().getTime()
      } catch (err) {
        if (err instanceof VersionMismatchError) {
          // An API request or another leader got there first: the watch brings it.
          const fresh = await this.#o.rollouts.get(r.namespace, r.id)
          if (fresh !== null) this.#hold(fresh)
          return
        }
        throw err
      }
      if (next.phase !== 'smoke') h.smoke = null
      if (next.step !== base.rollout.step) h.ids = null
    }
    const events: RolloutEvent[] = []
    for (const e of effects) {
      if (e.type === 'notify') events.push(e.event)
    }
    this.#announce(vr.rollout, events)
    for (const e of effects) {
      if (e.type === 'smoke') this.#startSmoke(h, vr.rollout, current?.dtab ?? null)
      else if (e.type === 'write-dtab') {
        const report = await carryOutIntent(
          {
            store: this.#o.store,
            rollouts: this.#o.rollouts,
            replicaId: this.#o.replicaId,
            now: this.#now,
            holdWindow: this.#o.propagation !== undefined,
          },
          vr,
        )
        if (report.rollout !== null) {
          h.vr = report.rollout
          if (report.rollout.rollout.intent === null && e.intent.purpose === 'rollback') {
            // From the rollout as written: `r` is from before this round's decision, so its
            // failing window had no end yet and nothing was ever observed.
            const began = rollbackStartedAt(report.rollout.rollout)
            if (began !== null)
              this.#o.metrics?.rollbackSeconds.observe((this.#now().getTime() - began) / 1000)
          }
          this.#announce(report.rollout.rollout, report.events)
          if (isTerminal(report.rollout.rollout.phase)) this.#hold(report.rollout)
        }
        h.ids = null
      }
    }
    if (isTerminal(vr.rollout.phase)) this.#hold(vr)
    // A window that began with this move (the step's write acknowledged, a resume, the end of a
    // metrics pause): its baseline at once, so it counts nothing from before it.
    await this.#markWindow(h)
  }

  /**
   * The window's own moves, before the machine's (null: none this round):
   * - a rollout first seen by this leader in the middle of a window (it took over from another
   *   leader, or namerd restarted) has the window restarted: the part left of it would be judged
   *   on this leader's first snapshot onwards, a fragment (7 requests over 1 s passed a step);
   * - a window waiting for the proxies (awaitingProxies) starts once every proxy of the namespace
   *   was sent the step's version on all its streams, or after min(interval, 10 s) anyway, with
   *   an event naming the proxies that lag.
   */
  async #windowMoves(h: Held, r: Rollout, who: string): Promise<Advance | null> {
    const effects: Effect[] = []
    let next = r
    if (h.takenOver) {
      h.takenOver = false
      if (analysing(r)) {
        const moved = takeOverWindow(r, this.#now(), who)
        next = moved.next
        effects.push(...moved.effects)
      }
    }
    if (awaitingProxies(next)) {
      const why = await this.#propagated(h, next)
      if (why !== null) {
        const moved = startWindow(next, this.#now(), who, why)
        next = moved.next
        effects.push(...moved.effects)
      }
    }
    return next === r ? null : { next, effects }
  }

  /** Why the window of `r` starts now (the proxies have its version, or the bound passed); null: not yet. */
  async #propagated(h: Held, r: Rollout): Promise<string | null> {
    const rec = currentRecord(r)!
    const version = rec.shiftedVersion!
    const step = r.step ?? -1
    const now = this.#now().getTime()
    if (h.wait === null || h.wait.step !== step || h.wait.version !== version)
      h.wait = { step, version, since: now }
    const find = this.#o.propagation
    if (find === undefined) return 'the window starts'
    let proxies: PropagationProxy[] | null = null
    let problem = ''
    try {
      proxies = await find(r.namespace)
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err)
    }
    const waited = now - h.wait.since
    const short = shortVersion(version)
    const behind = proxies === null ? null : lagging(proxies, version)
    if (proxies !== null && behind !== null && behind.length === 0) {
      h.wait = null
      const after = waited >= 1000 ? ` after ${(waited / 1000).toFixed(1)} s` : ''
      if (proxies.length === 0)
        return `window starts: no proxy with an admin address watches ${r.namespace}, nothing to wait for (${short} written)`
      return `window starts: ${proxies.length} ${proxies.length === 1 ? 'proxy has' : 'proxies have'} ${short}${after}`
    }
    const bound = Math.min(r.intervalMs, PROPAGATION_WAIT_MS)
    if (waited < bound) return null
    h.wait = null
    const secs = (bound / 1000).toFixed(1)
    if (behind === null)
      return `window starts after ${secs} s without knowing whether the proxies have ${short}: looking them up failed (${problem})`
    const names = behind
      .slice(0, 5)
      .map(
        (b) =>
          `${b.proxy.id ?? b.proxy.admin} (${b.proxy.admin} on ${b.proxy.replica}) has ${b.has}`,
      )
    const more = behind.length > 5 ? ` and ${behind.length - 5} more` : ''
    this.#o.log.warn(
      { rollout: r.id, namespace: r.namespace, version, lagging: behind.map((b) => b.proxy.admin) },
      `rollouts: ${behind.length} of ${proxies!.length} proxies of ${r.namespace} still lack ${short} after ${secs} s; the window starts anyway`,
    )
    return `window starts after ${secs} s although ${behind.length} of ${proxies!.length} proxies lack ${short}: ${names.join('; ')}${more}`
  }

  /**
   * Asks the rollout's source for a baseline of its current window once per window start: the
   * proxies source scrapes now, so the window's numbers start from a snapshot taken at or after
   * windowStart (smoke requests and the step before are not in them). A new leader restarts a
   * window it finds in progress (#windowMoves), so its baseline is of the restarted window.
   */
  async #markWindow(h: Held): Promise<void> {
    const r = h.vr.rollout
    if (!wantsReading(r)) return
    const start = currentRecord(r)?.windowStart ?? null
    if (start === null || h.marked === start) return
    h.marked = start
    const source = this.#o.sourceFor(r.metrics)
    if (source.mark === undefined) return
    try {
      await source.mark(r.namespace, new Date(start))
    } catch (err) {
      this.#o.log.warn(
        { err, rollout: r.id, namespace: r.namespace },
        'rollouts: taking a baseline of the window failed; the next scrape will be its baseline',
      )
    }
  }

  /** The ids of from and to, bound through the namespace at the step's start, kept for the step. */
  #idsFor(h: Held, dtab: Parameters<typeof bindIdsWith>[1]): VersionIds {
    const r = h.vr.rollout
    const step = r.step ?? -1
    if (h.ids?.step === step) return h.ids.ids
    const bindSafe = (tree: string): string[] => {
      try {
        return bindIdsWith(this.#o.naming.namers, dtab, tree)
      } catch (err) {
        this.#o.log.warn({ err, tree, rollout: r.id }, 'rollouts: a version does not bind')
        return []
      }
    }
    const ids = { from: bindSafe(r.from), to: bindSafe(r.to) }
    h.ids = { step, ids }
    return ids
  }

  #startSmoke(h: Held, r: Rollout, dtab: Parameters<typeof bindIdsWith>[1] | null): void {
    if (h.smoke?.running || h.smoke?.result) return
    const state: { running: boolean; result: SmokeResult | null } = { running: true, result: null }
    h.smoke = state
    let toIds: string[] = []
    if (dtab !== null) {
      try {
        toIds = bindIdsWith(this.#o.naming.namers, dtab, r.to)
      } catch {
        toIds = []
      }
    }
    this.#o
      .runSmoke(r, toIds, { signal: this.#abort.signal })
      .then(
        (result) => {
          state.result = result
        },
        (err: unknown) => {
          state.result = {
            sent: 0,
            passed: 0,
            firstFailure: `the smoke run failed: ${err instanceof Error ? err.message : String(err)}`,
          }
        },
      )
      .finally(() => {
        state.running = false
      })
  }

  #announce(r: Rollout, events: readonly RolloutEvent[]): void {
    for (const event of events) {
      this.#o.metrics?.transitions.inc({ to: event.to, reason: transitionReason(event.why) })
      this.#o.log.info(
        { rollout: r.id, namespace: r.namespace, from: event.from, to: event.to, who: event.who },
        `rollout ${r.id}: ${event.why}`,
      )
      if (r.webhook !== null && this.#o.notifier !== null) {
        const rec = r.stepRecords[r.stepRecords.length - 1] ?? null
        this.#o.notifier.notify(r, event, rec)
      }
    }
  }
}

const LIVE_FIELDS: ReadonlySet<string> = new Set(['from', 'to', 'checks'])

/**
 * Whether `next` differs from `prev` only in updatedAt and the numbers of the last step record
 * (from, to, checks). The machine copies what it does not change, so fields compare by identity.
 */
export function onlyLiveNumbers(next: Rollout, prev: Rollout): boolean {
  for (const k of Object.keys(next) as (keyof Rollout)[]) {
    if (k === 'updatedAt' || k === 'stepRecords') continue
    if (next[k] !== prev[k]) return false
  }
  if (Object.keys(next).length !== Object.keys(prev).length) return false
  const a = next.stepRecords
  const b = prev.stepRecords
  if (a === b) return true
  if (a.length !== b.length || a.length === 0) return false
  for (let i = 0; i < a.length - 1; i++) if (a[i] !== b[i]) return false
  const la = a[a.length - 1]!
  const lb = b[b.length - 1]!
  for (const k of Object.keys(la) as (keyof StepRecord)[]) {
    if (!LIVE_FIELDS.has(k) && la[k] !== lb[k]) return false
  }
  return Object.keys(la).length === Object.keys(lb).length
}

/** Whether `a` is a later state of the rollout than `b` (by its last event and update time). */
function newer(a: VersionedRollout, b: VersionedRollout): boolean {
  const ea = a.rollout.events.at(-1)?.seq ?? 0
  const eb = b.rollout.events.at(-1)?.seq ?? 0
  if (ea !== eb) return ea > eb
  return a.rollout.updatedAt >= b.rollout.updatedAt
}
