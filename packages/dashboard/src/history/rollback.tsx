// The rollback confirmation: what the dtab would become (the diff from the current version to
// the chosen one), then restore, a compare-and-swap against the version shown as current. On a
// 412 nothing was written: the dialog says so and the view reads the history again.
import { useState } from 'preact/hooks'
import { ApiError } from '../api/errors.js'
import { DiffView } from '../components/diff-view.js'
import { ErrorNote } from '../components/error-note.js'
import { useApp } from '../context.js'
import { restore } from './api.js'
import { ConfirmDialog } from './confirm-dialog.js'
import type { RollbackPlan } from './model.js'
import { versionName } from './version.js'

export function RollbackDialog(props: {
  ns: string
  plan: RollbackPlan
  onDone: (newVersion: string) => void
  onCancel: () => void
  /** Told of a conflict, so the history is read again. */
  onStale: () => void
}) {
  const { api, canWrite } = useApp()
  const { plan } = props
  const name = versionName(plan.target.version)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<Error | null>(null)
  const [conflict, setConflict] = useState(false)

  const go = async () => {
    setBusy(true)
    setError(null)
    try {
      props.onDone(await restore(api, props.ns, plan.target.version, plan.ifMatch))
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      if (e instanceof ApiError && (e.status === 412 || e.status === 409)) {
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
      </p>
      <DiffView before={plan.before} after={plan.after} label="Rollback changes" />
      {conflict ? (
        <p class="error" role="alert">
          The dtab changed since this page read it: nothing was rolled back. The history has been
          read again; cancel, look at the current version and roll back again if you still want to.
        </p>
      ) : null}
      <ErrorNote error={error} what="Roll back" />
      {canWrite ? null : <p class="muted">Cannot roll back: read-only token.</p>}
      <div class="buttons">
        <button
          type="button"
          class="danger"
          disabled={!canWrite || busy || conflict}
          onClick={() => void go()}
        >
          Roll back
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </ConfirmDialog>
  )
}
