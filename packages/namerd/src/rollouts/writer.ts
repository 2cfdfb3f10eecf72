// The only code that writes dtabs for rollouts (docs/design/rollouts.md §3). The rollout already
// carries its `intent` (stored by compare-and-swap before we get here, so a new leader finds it);
// this reads the dtab, writes the rollout's dentry by compare-and-swap on the version it read,
// and records the result on the rollout by compare-and-swap. It never overwrites a change it did
// not make: when the rollout's dentry is neither what it last wrote nor what it means to write,
// the rollout stops and nothing is written. A write that loses a race with a change to *other*
// dentries is re-applied on top of it.
import { Dtab } from '@switchyard/dtab'
import {
  type DtabStore,
  NamespaceNotFoundError,
  type RolloutStore,
  type VersionedRollout,
  VersionMismatchError,
  versionToETag,
} from '@switchyard/store'
import type { Rollout, RolloutEvent } from '@switchyard/wire'
import { dentryText, replaceWithDentry } from './dentry.js'
import { type Advance, applyConflict, applyGone, applyWrite, expectedDentry } from './machine.js'

export interface WriterOptions {
  readonly store: DtabStore
  readonly rollouts: RolloutStore
  /** This replica's id, for `who`. */
  readonly replicaId: string
  readonly now?: () => Date
  /** How many times a dtab or rollout CAS is retried after losing a race. Default 10. */
  readonly attempts?: number
  /**
   * A step's window starts only once the proxies have its version (the controller's propagation
   * wait): the acknowledged write leaves windowStart null. Default false: it starts at once.
   */
  readonly holdWindow?: boolean
}

export type WriteOutcome =
  /** Written by us now. */
  | 'written'
  /** The dtab already had the intended dentry (an earlier leader wrote it): adopted. */
  | 'adopted'
  /** Someone else changed the dentry: stopped, nothing written. */
  | 'conflict'
  /** The namespace is gone: stopped. */
  | 'gone'
  /** The rollout no longer carries this intent (another leader finished it): nothing done. */
  | 'superseded'

export interface WriteReport {
  readonly outcome: WriteOutcome
  /** The rollout as stored after the write (null when it is gone from the store). */
  readonly rollout: VersionedRollout | null
  /** The events the write appended, for the webhook. */
  readonly events: readonly RolloutEvent[]
  /** The dtab version written or adopted (ETag). */
  readonly dtabVersion: string | null
}

/** `who` of a rollout's dtab write: `rollout <id>@<replica> for <createdBy>`. */
export function writerWho(r: Rollout, replicaId: string): string {
  return `rollout ${r.id}@${replicaId} for ${r.createdBy}`
}

/**
 * Carries out the intent stored on `vr.rollout`. Throws only on store failures (the controller
 * tries again at its next tick: the intent is still stored); conflicts and lost races end in a
 * report.
 */
export async function carryOutIntent(
  options: WriterOptions,
  vr: VersionedRollout,
): Promise<WriteReport> {
  const now = options.now ?? (() => new Date())
  const attempts = options.attempts ?? 10
  const r = vr.rollout
  const intent = r.intent
  if (intent === null) return { outcome: 'superseded', rollout: vr, events: [], dtabVersion: null }
  const controller = `controller@${options.replicaId}`
  const why = intentWhy(r)
  let outcome: WriteOutcome | null = null
  let written: { version: string; dentry: string } | null = null
  let found: string | null = null
  for (let attempt = 0; attempt < attempts && outcome === null; attempt++) {
    const current = await options.store.get(r.namespace)
    if (current === null) {
      outcome = 'gone'
      break
    }
    const etag = versionToETag(current.version)
    found = dentryText(current.dtab, r.prefix)
    if (found === intent.dentry) {
      // Written already, by us before a restart or by the leader before us: adopt it.
      outcome = 'adopted'
      written = { version: etag, dentry: found }
      break
    }
    if (found !== expectedDentry(r)) {
      outcome = 'conflict'
      break
    }
    let next = replaceWithDentry(current.dtab, r.prefix, intent.dentry)
    if (
      next !== null &&
      intent.purpose === 'rollback' &&
      r.lastWritten !== null &&
      etag === r.lastWritten.version &&
      Dtab.show(next) === Dtab.show(Dtab.read(r.before.dtab))
    ) {
      // Nobody else changed the dtab since the start: the exact dtab from before, byte for byte.
      // Not merely "nobody wrote since our last write": other rollouts of the namespace may have
      // written other prefixes before it, and restoring `before` whole undid them (the bench saw
      // its siblings stop on the conflict).
      next = Dtab.read(r.before.dtab)
    }
    if (next === null) {
      outcome = 'conflict'
      break
    }
    try {
      const version = await options.store.update(r.namespace, next, current.version, {
        who: writerWho(r, options.replicaId),
        why,
      })
      outcome = 'written'
      written = { version: versionToETag(version), dentry: intent.dentry }
    } catch (err) {
      if (err instanceof VersionMismatchError) continue // someone wrote in between: look again
      if (err instanceof NamespaceNotFoundError) {
        outcome = 'gone'
        break
      }
      throw err
    }
  }
  if (outcome === null) {
    throw new Error(
      `rollout ${r.id}: the dtab of ${r.namespace} kept changing under ${attempts} attempts to write ${intent.dentry}; trying again at the next tick`,
    )
  }
  const result = written
  const apply = (fresh: Rollout): Advance => {
    const t = now()
    if (outcome === 'gone') return applyGone(fresh, t, controller)
    if (outcome === 'conflict') return applyConflict(fresh, t, controller, found)
    return applyWrite(fresh, {
      now: t,
      who: controller,
      version: result!.version,
      dentry: result!.dentry,
      holdWindow: options.holdWindow === true,
    })
  }
  const stored = await recordResult(options.rollouts, vr, apply, attempts)
  return {
    outcome: stored === 'superseded' ? 'superseded' : outcome,
    rollout: stored === 'superseded' ? null : stored.rollout,
    events: stored === 'superseded' ? [] : stored.events,
    dtabVersion: result?.version ?? null,
  }
}

/**
 * Stores the result by CAS; on a stale version (an API request appended meanwhile) applies it
 * again to the fresh rollout, as long as it still carries the same intent.
 */
async function recordResult(
  rollouts: RolloutStore,
  vr: VersionedRollout,
  apply: (r: Rollout) => Advance,
  attempts: number,
): Promise<{ rollout: VersionedRollout; events: RolloutEvent[] } | 'superseded'> {
  let cur = vr
  const intent = JSON.stringify(vr.rollout.intent)
  for (let attempt = 0; attempt < attempts; attempt++) {
    const { next, effects } = apply(cur.rollout)
    try {
      const version = await rollouts.update(next, cur.version)
      const events = effects.flatMap((e) => (e.type === 'notify' ? [e.event] : []))
      return { rollout: { rollout: next, version }, events }
    } catch (err) {
      if (!(err instanceof VersionMismatchError)) throw err
      const fresh = await rollouts.get(cur.rollout.namespace, cur.rollout.id)
      if (fresh === null || JSON.stringify(fresh.rollout.intent) !== intent) return 'superseded'
      cur = fresh
    }
  }
  throw new Error(
    `rollout ${vr.rollout.id}: could not record its dtab write after ${attempts} attempts (the rollout kept changing); the intent stays and is finished at the next tick`,
  )
}

/**
 * The `why` of a rollout's dtab write: the decision's event, prefixed `rollback: ` for the
 * restoring write (so history says at a glance which write undid the rollout), and the
 * rollout's reason added to its first step's write, so the change that starts moving traffic
 * says what it is for (`step 1 of 4 (10%): shifting 10% to /srv/v2; taken up by the controller; build #512`).
 */
export function intentWhy(r: Rollout): string {
  const last = r.events[r.events.length - 1]
  const intent = r.intent
  const base = last?.why ?? `${intent?.purpose ?? 'write'}: ${intent?.dentry ?? ''}`
  if (intent?.purpose === 'rollback')
    return base.startsWith('rollback: ') ? base : `rollback: ${base}`
  if (intent?.purpose === 'step' && intent.step === 0 && r.reason !== null && r.reason !== '')
    return `${base}; ${r.reason}`
  return base
}
