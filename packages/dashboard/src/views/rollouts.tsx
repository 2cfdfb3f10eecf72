// Rollouts, every namespace's (the Rollouts section) or one namespace's (its Rollouts tab):
// active ones first, then ended ones, newest first; each id links to the rollout. Polled every
// 2 s, so a rollout started with namerctl appears and moves without a reload.
import type { RolloutSummary } from '@switchyard/wire'
import { isTerminal } from '@switchyard/wire'
import { ApiError } from '../api/errors.js'
import { usePoll } from '../api/live.js'
import { ErrorNote } from '../components/error-note.js'
import { TimeAgo } from '../components/time-ago.js'
import { useApp } from '../context.js'
import { listRollouts } from '../rollouts/api.js'
import { stepCell } from '../rollouts/model.js'
import { PhaseWords } from '../rollouts/phase.js'
import { href } from '../router.js'

function ordered(list: readonly RolloutSummary[]): RolloutSummary[] {
  return [...list].sort(
    (a, b) =>
      Number(isTerminal(a.phase)) - Number(isTerminal(b.phase)) ||
      b.createdAt.localeCompare(a.createdAt),
  )
}

export function RolloutsView({ ns }: { ns?: string }) {
  // A new instance per namespace: usePoll keeps its last value when its deps change, and one
  // namespace's rollouts must never show under another's name while the next are read.
  return <RolloutList key={ns ?? ''} ns={ns} />
}

function RolloutList({ ns }: { ns: string | undefined }) {
  const { api } = useApp()
  const live = usePoll((signal) => listRollouts(api, ns, signal), 2000, [api, ns])
  const list = live.value === null ? null : ordered(live.value.rollouts)
  const Heading = ns === undefined ? 'h1' : 'h2'
  return (
    <>
      <Heading>Rollouts</Heading>
      <p class="muted">
        Started with <code>namerctl rollout start{ns === undefined ? '' : ` ${ns}`}</code>; namerd
        shifts, measures and rolls back by itself.
      </p>
      {live.error instanceof ApiError && live.error.code === 'rollouts_disabled' ? (
        <p class="notice">{live.error.message}</p>
      ) : (
        <ErrorNote error={live.error} what="Rollouts" />
      )}
      {list === null ? (
        live.error === null ? (
          <p class="muted">Reading the rollouts…</p>
        ) : null
      ) : list.length === 0 ? (
        <p>
          No rollouts{ns === undefined ? '' : ` in ${ns}`}: none started, or the ended ones were
          removed.
        </p>
      ) : (
        <RolloutTable list={list} />
      )}
    </>
  )
}

function RolloutTable({ list }: { list: readonly RolloutSummary[] }) {
  return (
    <table aria-label="Rollouts">
      <thead>
        <tr>
          <th scope="col">Id</th>
          <th scope="col">Namespace</th>
          <th scope="col">Prefix</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">Phase</th>
          <th scope="col">Step</th>
          <th scope="col">Started</th>
        </tr>
      </thead>
      <tbody>
        {list.map((r) => (
          <tr key={`${r.namespace}/${r.id}`}>
            <td>
              <a href={href({ view: 'rollout', ns: r.namespace, id: r.id })}>{r.id}</a>
            </td>
            <td>
              <a
                href={href({
                  view: 'namespace',
                  ns: r.namespace,
                  tab: 'dtab',
                  query: new URLSearchParams(),
                })}
              >
                {r.namespace}
              </a>
            </td>
            <td class="mono">{r.prefix}</td>
            <td class="mono">{r.from}</td>
            <td class="mono">{r.to}</td>
            <td>
              <PhaseWords rollout={r} />
            </td>
            <td>{stepCell(r)}</td>
            <td>
              <TimeAgo time={r.createdAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
