// Which rollout a command means: an id (any rollout, ended or not), a prefix (the ACTIVE rollout
// on that dentry), or nothing (the one active rollout of the namespace). A prefix or nothing never
// falls back to an ended rollout: a watch of it would exit with an old verdict (0 for last week's
// success) as if it were today's. An ambiguous or empty choice is refused with the candidates
// listed, never guessed; an empty one names the newest ended rollout and how to see it.
import { Prefix } from '@switchyard/dtab'
import { isTerminal, type Rollout, type RolloutSummary } from '@switchyard/wire'
import { CliError, UsageError } from '../../errors.js'
import type { RolloutApi, Versioned } from './api.js'

/** A dentry prefix as namerd shows it; `*` (any one element) is allowed, as in dentries. */
export function prefixOf(text: string): string {
  try {
    return Prefix.show(Prefix.read(text))
  } catch (err) {
    throw new UsageError(
      `${JSON.stringify(text)} is neither a rollout id nor a prefix: ${err instanceof Error ? err.message : err}`,
      ['give an id (namerctl rollout list) or a dentry prefix such as /host/world'],
    )
  }
}

/** The newest first. */
function newest(a: RolloutSummary, b: RolloutSummary): number {
  return b.createdAt.localeCompare(a.createdAt)
}

const line = (r: RolloutSummary) =>
  `${r.id}  ${r.prefix}  ${r.phase}  created ${r.createdAt} by ${r.createdBy}`

export async function findRollout(
  api: RolloutApi,
  ns: string,
  which: string | undefined,
): Promise<Versioned<Rollout>> {
  if (which !== undefined && !which.startsWith('/')) {
    return api.get(ns, which)
  }
  const all = (await api.list({ namespace: ns })).sort(newest)
  const prefix = which === undefined ? undefined : prefixOf(which)
  const candidates = prefix === undefined ? all : all.filter((r) => r.prefix === prefix)
  const active = candidates.filter((r) => !isTerminal(r.phase))
  let chosen: RolloutSummary | undefined
  if (active.length === 1) chosen = active[0]
  else if (active.length > 1) {
    throw new UsageError(
      `${active.length} rollouts are active in ${ns}; say which one (by id or prefix)`,
      active.map(line),
    )
  }
  if (chosen === undefined) {
    const where = prefix === undefined ? `in ${ns}` : `on ${prefix} in ${ns}`
    const latest = candidates[0]
    throw new CliError(
      'not_found',
      `no active rollout ${where}`,
      latest !== undefined
        ? [
            `the newest there ended ${latest.phase}: ${latest.id} (created ${latest.createdAt} by ${latest.createdBy})`,
            `see it: namerctl rollout status ${ns} ${latest.id}`,
          ]
        : [`start one with namerctl rollout start ${ns} <prefix> --to <tree>`],
    )
  }
  return api.get(ns, chosen.id)
}
