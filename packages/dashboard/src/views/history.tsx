// A namespace's history: every version (newest first) with who, when, why and what kind of
// change, a rollback to any earlier one behind a confirmation, and a comparison of any two.
// Polled every 2 s, so writes from namerctl or a rollout appear without a reload.
import type { HistoryEntry } from '@switchyard/wire'
import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../api/errors.js'
import { usePoll } from '../api/live.js'
import { ErrorNote } from '../components/error-note.js'
import { TimeAgo } from '../components/time-ago.js'
import { useApp } from '../context.js'
import { HISTORY_LIMIT, readHistory } from '../history/api.js'
import { changeSummary, previousOf } from '../history/changes.js'
import { Compare } from '../history/compare.js'
import { changeWords, planRollback, type RollbackPlan } from '../history/model.js'
import { RollbackDialog } from '../history/rollback.js'
import { versionName } from '../history/version.js'
import { href } from '../router.js'

export function HistoryView({ ns }: { ns: string }) {
  // A new instance per namespace: usePoll keeps its last value when its deps change, and one
  // namespace's history must never show (or be rolled back) under another's name.
  return <NamespaceHistory key={ns} ns={ns} />
}

function NamespaceHistory({ ns }: { ns: string }) {
  const { api, canWrite, readOnlyReason } = useApp()
  const live = usePoll((signal) => readHistory(api, ns, signal), 2000, [api, ns])
  const [plan, setPlan] = useState<RollbackPlan | null>(null)
  const [done, setDone] = useState<string | null>(null)
  // Set by a conflict (412/409/428): the dialog's diff is then redone against the history read
  // after it, so what is shown is again what a rollback would change.
  const [stale, setStale] = useState(false)
  const entries = live.value
  useEffect(() => {
    if (!stale || plan === null || entries === null) return
    const check = planRollback(entries, plan.target.version)
    if (check.ok && check.plan.ifMatch !== plan.ifMatch) {
      setPlan(check.plan)
      setStale(false)
    } else if (!check.ok) {
      // The history moved so that the rollback no longer makes sense (the version is now the
      // current one, or was trimmed away): the dialog goes, saying why.
      setPlan(null)
      setStale(false)
      setDone(
        `Nothing was rolled back: the dtab changed meanwhile, and ${versionName(plan.target.version)} ${check.why}.`,
      )
    }
  }, [stale, entries, plan])

  return (
    <>
      <h2>History</h2>
      <p role="status" class={done === null ? 'visually-hidden' : 'notice'}>
        {done ?? ''}
      </p>
      <Missing error={live.error} ns={ns} />
      {live.error instanceof ApiError && live.error.status === 404 ? null : (
        <ErrorNote error={live.error} what="History" />
      )}
      {entries === null ? (
        live.error === null ? (
          <p class="muted">Reading the history…</p>
        ) : null
      ) : entries.length === 0 ? (
        <p>
          namerd keeps no history for <code>{ns}</code>: the namespace does not exist, or was
          written before its store kept history.{' '}
          <a href={href({ view: 'namespaces' })}>Create a namespace</a>.
        </p>
      ) : (
        <>
          {canWrite ? null : <p class="muted">Rolling back is off: {readOnlyReason}.</p>}
          <HistoryTable
            entries={entries}
            onRollback={(version) => {
              const check = planRollback(entries, version)
              if (check.ok) {
                setDone(null)
                setStale(false)
                setPlan(check.plan)
              }
            }}
          />
          {entries.length >= HISTORY_LIMIT ? (
            <p class="muted">The newest {HISTORY_LIMIT} versions are shown.</p>
          ) : null}
          <Compare entries={entries} />
        </>
      )}
      {plan === null ? null : (
        <RollbackDialog
          ns={ns}
          plan={plan}
          onCancel={() => setPlan(null)}
          stale={stale}
          onStale={() => {
            setStale(true)
            live.refresh()
          }}
          onDone={(version) => {
            setPlan(null)
            setDone(
              `Rolled back to ${versionName(plan.target.version)}: the dtab is now at ${version === '' ? 'a new version' : versionName(version)}.`,
            )
            live.refresh()
          }}
        />
      )}
    </>
  )
}

function Missing({ error, ns }: { error: Error | null; ns: string }) {
  if (!(error instanceof ApiError) || error.status !== 404) return null
  return (
    <p class="notice">
      Namespace <code>{ns}</code> does not exist: {error.message}.{' '}
      <a href={href({ view: 'namespaces' })}>Create it</a>.
    </p>
  )
}

function HistoryTable(props: {
  entries: readonly HistoryEntry[]
  onRollback: (version: string) => void
}) {
  const { canWrite, readOnlyReason } = useApp()
  return (
    <table aria-label="History" class="history">
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">Why</th>
          <th scope="col">Change</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.entries.map((e, i) => {
          const name = versionName(e.version)
          return (
            <tr key={e.version} class={e.op === 'delete' ? 'deleted' : undefined}>
              <td>
                <span class="mono" title={e.version}>
                  {name}
                </span>
                {i === 0 ? <span class="tag"> current</span> : null}
              </td>
              <td>
                <TimeAgo time={e.time} />
              </td>
              <td>{e.who ?? <span class="muted">anonymous</span>}</td>
              <td>{e.why ?? <span class="muted">–</span>}</td>
              <td>
                <span class={e.op === 'delete' ? 'bad' : undefined}>{changeWords(e)}</span>
                <div class="mono">{changeSummary(e, previousOf(props.entries, e))}</div>
              </td>
              <td>
                {i === 0 || e.dtab === null ? null : (
                  <button
                    type="button"
                    disabled={!canWrite}
                    title={canWrite ? undefined : (readOnlyReason ?? undefined)}
                    onClick={() => props.onRollback(e.version)}
                  >
                    Roll back to {name}
                  </button>
                )}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
