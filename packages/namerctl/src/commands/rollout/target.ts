// Which rollout a command means: an id, a prefix (the rollout on that dentry), or nothing (the
// one active rollout of the namespace). An ambiguous or empty choice is refused with the
// candidates listed, never guessed.
import { Path } from '@switchyard/dtab'
import { isTerminal, type Rollout, type RolloutSummary } from '@switchyard/wire'
import { CliError, UsageError } from '../../errors.js'
import type { RolloutApi, Versioned } from './api.js'

export interface TargetOptions {
  /** Only a non-terminal rollout will do (pause, resume, promote, abort). */
  readonly activeOnly: boolean
}

function prefixOf(text: string): string {
  try {
    return Path.show(Path.read(text))
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
  options: TargetOptions,
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
  } else if (!options.activeOnly) chosen = candidates[0]
  if (chosen === undefined) {
    const where = prefix === undefined ? `in ${ns}` : `on ${prefix} in ${ns}`
    throw new CliError(
      'not_found',
      `no ${options.activeOnly ? 'active ' : ''}rollout ${where}`,
      candidates.length > 0
        ? ['the latest there:', ...candidates.slice(0, 3).map(line)]
        : [`start one with namerctl rollout start ${ns} <prefix> --to <tree>`],
    )
  }
  return api.get(ns, chosen.id)
}
