// Before a rollback: the active rollouts whose dentry it changes, and what happens to them. A
// rollout keeps its own dentry; when someone else changes it, namerd stops the rollout with a
// conflict (it writes nothing more, and the traffic stays as the other write left it). Aborting
// the rollout instead ends it with its own rollback to the dtab from before it started.
import type { RolloutSummary } from '@switchyard/wire'
import { ApiError } from '../api/errors.js'
import { usePoll } from '../api/live.js'
import { useApp } from '../context.js'
import { listActiveRollouts } from '../rollouts/api.js'
import { stepCell } from '../rollouts/model.js'
import { href } from '../router.js'
import { touches } from './changes.js'

/** The active rollouts of `ns` on one of `prefixes` (as read every 2 s), or why unknown. */
function useStoppedRollouts(ns: string, prefixes: readonly string[]) {
  const { api } = useApp()
  const live = usePoll((signal) => listActiveRollouts(api, ns, signal), 2000, [api, ns])
  const hit =
    live.value === null
      ? null
      : live.value.rollouts.filter((r) => r.namespace === ns && touches(prefixes, r.prefix))
  // namerd without rollouts: nothing can be stopped.
  const off = live.error instanceof ApiError && live.error.code === 'rollouts_disabled'
  return { hit: off ? [] : hit, error: off ? null : live.error }
}

export function RolloutWarning(props: { ns: string; prefixes: readonly string[] }) {
  const { hit, error } = useStoppedRollouts(props.ns, props.prefixes)
  if (error !== null && hit === null) {
    return (
      <p class="notice">
        Could not check for active rollouts on the dentries this changes ({error.message}): a
        rollout on one of them would stop with a conflict.
      </p>
    )
  }
  if (hit === null || hit.length === 0) return null
  return (
    <div class="notice rollout-warning" role="note" aria-label="Active rollouts this stops">
      <p>
        <strong>
          This stops {hit.length === 1 ? 'an active rollout' : `${hit.length} active rollouts`}:
        </strong>
      </p>
      <ul>
        {hit.map((r) => (
          <RolloutLine key={r.id} rollout={r} />
        ))}
      </ul>
      <p>
        namerd sees the dentry changed by someone else and stops{' '}
        {hit.length === 1 ? 'the rollout' : 'each'} with a conflict: it writes nothing more, and the
        traffic stays as this rollback leaves it. To end a rollout with its own rollback to the dtab
        from before it, abort it on its page instead.
      </p>
    </div>
  )
}

function RolloutLine({ rollout: r }: { rollout: RolloutSummary }) {
  const at = stepCell(r)
  return (
    <li>
      <a href={href({ view: 'rollout', ns: r.namespace, id: r.id })}>{r.id}</a> on{' '}
      <code>{r.prefix}</code> ({r.from} → {r.to}), {r.phase},{' '}
      {at === '–' ? 'before its first step' : `at ${at}`}
    </li>
  )
}
