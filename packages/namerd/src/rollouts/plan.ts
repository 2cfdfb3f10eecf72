// The checks a rollout passes before it is stored, and the rollout it starts as (docs/design/
// rollouts.md §1 "Validation at start"). Pure but for `bindIds`, which the caller gives: the API
// binds through namerd's namers, tests through a table. `before` is taken from the same read the
// checks saw, so the "dtab before" a rollback restores is the one the user was shown.
import { bind, type Dtab, interpreterLookup, NameTree, Path } from '@switchyard/dtab'
import type { MountedAddrNamer } from '@switchyard/namers'
import { type VersionedDtab, versionToETag } from '@switchyard/store'
import { errorMessage, type Rollout, type RolloutSpec } from '@switchyard/wire'
import { stripTransformerPrefix } from '../naming.js'
import { findDentry, showDtab, showPrefix, showTree } from './dentry.js'

export type PlanResult =
  | { readonly ok: true; readonly rollout: Rollout }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string }

export interface PlanInput {
  readonly namespace: string
  /** `from` null: the dentry's tree now (a start body that leaves it out). */
  readonly spec: Omit<RolloutSpec, 'from'> & { readonly from: string | null }
  /** The namespace's dtab now; null when it does not exist. */
  readonly current: VersionedDtab | null
  /** The concrete ids (transformer prefix stripped) `tree` binds to through the namespace. */
  bindIds(tree: string): Promise<string[]>
  /** Who starts it (a token name, or `anonymous`). */
  readonly who: string
  readonly now: Date
  /** The rollout's id; default one made from the prefix and `now`. */
  readonly id?: string
}

const refuse = (status: number, code: string, message: string): PlanResult => ({
  ok: false,
  status,
  code,
  message,
})

export async function planStart(input: PlanInput): Promise<PlanResult> {
  const { namespace, spec, current, now } = input
  if (current === null) {
    return refuse(
      404,
      'namespace_not_found',
      `namespace ${JSON.stringify(namespace)} does not exist; create it with its dtab first (namerctl dtab create ${namespace} <file>)`,
    )
  }
  const prefix = showPrefix(spec.prefix)
  if (prefix === null) {
    return refuse(
      400,
      'invalid_prefix',
      `prefix ${JSON.stringify(spec.prefix)} is not a dentry prefix; give one such as /host/world`,
    )
  }
  const found = findDentry(current.dtab, prefix)
  if (found === null) {
    const tree = spec.from === null ? '<tree now>' : spec.from
    return refuse(
      409,
      'dentry_mismatch',
      `no dentry in ${namespace} has the prefix ${prefix}; a rollout moves an existing dentry (add it with namerctl shift ${namespace} ${prefix} ${tree} --create)`,
    )
  }
  const from = spec.from === null ? found.tree : showTree(spec.from)
  if (from === null) {
    return refuse(
      400,
      'invalid_from',
      `from ${JSON.stringify(spec.from)} is not a name tree; give the dentry's tree now, such as /srv/world-v1`,
    )
  }
  const to = showTree(spec.to)
  if (to === null) {
    return refuse(
      400,
      'invalid_to',
      `to ${JSON.stringify(spec.to)} is not a name tree; give the new destination, such as /srv/world-v2`,
    )
  }
  if (from === to) {
    return refuse(
      400,
      'nothing_to_roll_out',
      `from and to are the same tree (${to}); give the new version as --to`,
    )
  }
  const stepsProblem = checkSteps(spec.steps)
  if (stepsProblem !== null) return refuse(400, 'invalid_steps', stepsProblem)
  const missingGates = spec.gates.filter((g) => !spec.steps.includes(g))
  if (missingGates.length > 0) {
    return refuse(
      400,
      'invalid_gates',
      `gate${missingGates.length > 1 ? 's' : ''} ${missingGates.join(', ')} ${missingGates.length > 1 ? 'are' : 'is'} not among the steps (${spec.steps.join(',')}); a gate waits before one of the steps, e.g. --gate-before ${spec.steps[spec.steps.length - 1]}`,
    )
  }
  if (spec.thresholds.minRequests < 1) {
    return refuse(
      400,
      'invalid_thresholds',
      'minRequests must be at least 1: a window with no requests cannot be judged',
    )
  }
  if (found.tree !== from) {
    return refuse(
      409,
      'dentry_mismatch',
      `the dentry for ${prefix} in ${namespace} is ${found.text}, not ${prefix}=>${from}; start the rollout with --from ${JSON.stringify(found.tree)}, or shift the dentry first`,
    )
  }
  let toIds: string[]
  try {
    toIds = await input.bindIds(to)
  } catch (err) {
    return refuse(
      400,
      'unresolved_destination',
      `${to} does not bind in ${namespace}: ${errorMessage(err)}; check it with namerctl delegate ${namespace} ${to}`,
    )
  }
  if (toIds.length === 0) {
    return refuse(
      400,
      'unresolved_destination',
      `${to} binds to no concrete name in ${namespace} (it is neg); a rollout would send traffic nowhere. Check it with namerctl delegate ${namespace} ${to}`,
    )
  }
  const at = now.toISOString()
  const rollout: Rollout = {
    ...spec,
    prefix,
    from,
    to,
    id: input.id ?? rolloutId(prefix, now),
    namespace,
    phase: 'pending',
    step: null,
    pause: null,
    before: {
      version: versionToETag(current.version),
      dtab: showDtab(current.dtab),
      dentry: found.text,
    },
    lastWritten: null,
    intent: null,
    requests: [],
    stepRecords: [],
    smokeResult: null,
    // The start itself is the first event, so history (--rollouts) and the webhook show who
    // started the rollout and why, not only what the controller did with it.
    events: [
      {
        seq: 1,
        time: at,
        from: 'pending',
        to: 'pending',
        step: null,
        weight: null,
        who: input.who,
        why: startWhy(input.who, spec.reason),
        dtabVersion: null,
      },
    ],
    webhookDelivered: 0,
    createdBy: input.who,
    createdAt: at,
    updatedAt: at,
    endedAt: null,
    outcome: null,
  }
  return { ok: true, rollout }
}

/** The why of a rollout's first event: `started by <who>: <reason>` (no reason: without it). */
export function startWhy(who: string, reason: string | null): string {
  return reason === null || reason === '' ? `started by ${who}` : `started by ${who}: ${reason}`
}

/** Why `steps` is not a plan (strictly increasing, 1..100, the last 100), or null. */
export function checkSteps(steps: readonly number[]): string | null {
  if (steps.length === 0)
    return 'steps is empty; give the weights of the new version, e.g. 10,50,100'
  for (const s of steps) {
    if (!Number.isInteger(s) || s < 1 || s > 100) {
      return `step ${s} is not a whole percentage from 1 to 100; give e.g. --steps 10,50,100`
    }
  }
  for (let i = 1; i < steps.length; i++) {
    if (steps[i]! <= steps[i - 1]!) {
      return `steps must strictly increase, and ${steps[i]} follows ${steps[i - 1]} (${steps.join(',')}); give e.g. --steps 10,50,100`
    }
  }
  if (steps[steps.length - 1] !== 100) {
    return `the last step must be 100, so that the rollout ends with all traffic on the new version (${steps.join(',')}); add 100, e.g. --steps ${[...steps, 100].join(',')}`
  }
  return null
}

/**
 * An id from the prefix's last element and the time: `world-20261205t044812-7f3a` (lower case,
 * within the 63 characters the id rule allows).
 */
export function rolloutId(prefix: string, now: Date, random: () => number = Math.random): string {
  const last =
    prefix
      .split('/')
      .filter((e) => e !== '' && e !== '*')
      .pop() ?? ''
  let name = last
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '')
  if (name === '') name = 'rollout'
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .toLowerCase()
  const hex = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, '0')
  return `${name}-${stamp}-${hex}`
}

/**
 * The concrete ids `tree` binds to through `dtab` and the namers, transformer prefix stripped,
 * sorted and de-duplicated: what a version's traffic shows up as in l5d-dst-client and the
 * proxies' client scopes. Synchronous binding (no addresses are waited for); throws on a bind error.
 */
export function bindIdsWith(
  namers: readonly MountedAddrNamer[],
  dtab: Dtab,
  tree: string,
): string[] {
  const bound = bind(interpreterLookup(dtab, namers), NameTree.read(tree))
  const ids = new Set<string>()
  const walk = (t: typeof bound): void => {
    switch (t.type) {
      case 'leaf':
        ids.add(Path.show(stripTransformerPrefix(t.value.id)))
        break
      case 'alt':
        for (const m of t.trees) walk(m)
        break
      case 'union':
        for (const b of t.branches) walk(b.tree)
        break
    }
  }
  walk(bound)
  return [...ids].sort()
}
