// The rollback confirmation: what the dtab would become (the diff from the current version to
// the chosen one), then restore, a compare-and-swap against the version shown as current. On a
// 412 nothing was written: the dialog says so and the view reads the history again. It names
// the active rollouts the change would stop, and the write carries `l5d-why: rollback to v7
// (dashboard)` plus the optional reason, so the history says what it was.
import { useState } from 'preact/hooks'
import { ApiError } from '../api/errors.js'
import { WHY_MAX_CHARS } from '../api/why.js'
import { DiffView } from '../components/diff-view.js'
import { ErrorNote } from '../components/error-note.js'
import { useApp } from '../context.js'
import { restore } from './api.js'
import { touchedPrefixes } from './changes.js'
import { ConfirmDialog } from './confirm-dialog.js'
import { type RollbackPlan, rollbackWhy } from './model.js'
import { RolloutWarning } from './rollout-warning.js'
import { versionName } from './version.js'

export function RollbackDialog(props: {
  ns: string
  plan: RollbackPlan
  onDone: (newVersion: string) => void
  onCancel: () => void
  /** Told of a conflict, so the history is read again and the plan redone against it. */
  onStale: () => void
  /** A conflict happened and the plan has not been redone yet. */
  stale: boolean
}) {
  const { api, canWrite, readOnlyReason } = useApp()
  const { plan } = props
  const name = versionName(plan.target.version)
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<Error | null>(null)
  // A rollback was refused as stale: once the plan is redone against the newer version, the
  // dialog says so and the rollback may be tried again.
  const [conflict, setConflict] = useState(false)

  const go = async () => {
    setBusy(true)
    setError(null)
    try {
      props.onDone(
        await restore(api, props.ns, plan.target.version, plan.ifMatch, rollbackWhy(name, reason)),
      )
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      // 412: the dtab moved on; 409: a deleted namespace was created again; 428: it exists
      // again while the page still saw it deleted. In each, nothing was written.
      if (e instanceof ApiError && [409, 412, 428].includes(e.status)) {
        setConflict(true)
        props.onStale()
      } else setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <ConfirmDialog
      id="rollback-title"
      title={`Roll back to version ${name}?`}
      onCancel={props.onCancel}
    >
      <p>
        The dtab of <code>{props.ns}</code> becomes the one of {name} (
        {plan.target.who ?? 'anonymous'}, {new Date(plan.target.time).toLocaleString()}). This is a
        new write: it goes into the history and every proxy watching gets it.
        {plan.ifMatch === null ? ' The namespace is deleted now: this creates it again.' : ''}
      </p>
      <DiffView before={plan.before} after={plan.after} label="Rollback changes" />
      <RolloutWarning
        ns={props.ns}
        prefixes={touchedPrefixes(plan.currentDtab, plan.target.dtab)}
      />
      <div class="field">
        <label for="rollback-reason">Reason (optional, kept in the history)</label>
        <input
          id="rollback-reason"
          value={reason}
          maxLength={WHY_MAX_CHARS - 40}
          readOnly={!canWrite}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <p class="muted">
          Recorded as <q>{rollbackWhy(name, reason)}</q>.
        </p>
      </div>
      {!conflict ? null : props.stale ? (
        <p class="error" role="alert">
          The dtab changed since this page read it: nothing was rolled back. Reading the current
          version…
        </p>
      ) : (
        <p class="error" role="alert">
          The dtab changed since this page read it: nothing was rolled back. The changes above are
          now from the current version
          {plan.ifMatch === null ? '' : ` ${versionName(plan.ifMatch)}`}; roll back again if you
          still want them.
        </p>
      )}
      <ErrorNote error={error} what="Roll back" />
      {canWrite ? null : <p class="muted">Cannot roll back: {readOnlyReason}.</p>}
      <div class="buttons">
        <button
          type="button"
          class="danger"
          disabled={!canWrite || busy || props.stale}
          onClick={() => void go()}
        >
          Roll back
        </button>
        <button type="button" data-initial-focus onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </ConfirmDialog>
  )
}
