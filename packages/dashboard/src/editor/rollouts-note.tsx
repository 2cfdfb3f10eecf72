// The review's warning when a save would stop an active rollout: namerd's rollouts own one
// dentry each, and a write by anyone else that changes it makes the rollout stop with a conflict
// (writing nothing more, traffic left where it was). Read while the review is open, every 2 s.
import { RolloutList } from '@switchyard/wire'
import { usePoll } from '../api/live.js'
import { ErrorNote } from '../components/error-note.js'
import { useApp } from '../context.js'
import { href } from '../router.js'
import { rolloutState, touchedRollouts } from './rollouts.js'

const EVERY_MS = 2000

export function RolloutsNote(props: { ns: string; before: string; after: string }) {
  const { api } = useApp()
  const { ns } = props
  const active = usePoll(
    (signal) =>
      api.json(`/api/1/rollouts?namespace=${encodeURIComponent(ns)}&active=true`, RolloutList, {
        signal,
      }),
    EVERY_MS,
    [api, ns],
  )
  const touched =
    active.value === null ? [] : touchedRollouts(props.before, props.after, active.value.rollouts)
  return (
    <>
      {touched.length === 0 ? null : (
        <div class="dtab-rollouts-warning" role="note" aria-label="Active rollouts this save stops">
          <p>
            <strong>
              {touched.length === 1
                ? 'This save stops an active rollout.'
                : `This save stops ${touched.length} active rollouts.`}
            </strong>{' '}
            A rollout owns its dentry: when someone else changes it, the rollout stops at its next
            round with a conflict and writes nothing more, leaving traffic where this save puts it.
            To end a rollout on purpose, abort or promote it on its page instead.
          </p>
          <ul>
            {touched.map(({ rollout: r, after }) => (
              <li key={r.id}>
                <a href={href({ view: 'rollout', ns: r.namespace, id: r.id })}>Rollout {r.id}</a> (
                {rolloutState(r)}) moving <code>{r.prefix}</code> from <code>{r.from}</code> to{' '}
                <code>{r.to}</code>: this save{' '}
                {after === null ? 'removes its dentry' : 'changes its dentry'}.
              </li>
            ))}
          </ul>
        </div>
      )}
      <ErrorNote error={active.error} what="Reading the namespace’s active rollouts" />
    </>
  )
}
