// Pause, resume, promote and abort: each enabled only as the phase allows (the reason shown
// beside a disabled one), abort behind a confirmation. Each queues a request (202); the leader
// acts at its next round and the watch shows the result. namerd's refusal (409) is shown.
// After a request the focus goes to the status line saying what was asked (not to <body> with
// the button just disabled); once the rollout moved on (a new event) or ended, that line says
// where it is now (never an empty line with the focus on it).
import { isTerminal, type Rollout } from '@switchyard/wire'
import { useEffect, useRef, useState } from 'preact/hooks'
import { ErrorNote } from '../components/error-note.js'
import { useApp } from '../context.js'
import { ConfirmDialog } from '../history/confirm-dialog.js'
import { act } from './api.js'
import { ACTIONS, type ActionName, actionStates, afterWords } from './model.js'

const LABEL: Record<ActionName, string> = {
  pause: 'Pause',
  resume: 'Resume',
  promote: 'Promote',
  abort: 'Abort',
}

const DONE: Record<ActionName, string> = {
  pause: 'Pause requested',
  resume: 'Resume requested',
  promote: 'Promote requested',
  abort: 'Abort requested',
}

export function Actions({ rollout }: { rollout: Rollout }) {
  const { api, canWrite, readOnlyReason, askToken, whoami } = useApp()
  const [why, setWhy] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<Error | null>(null)
  // What was asked, and the rollout's last event when it was: the words stay until it moved on.
  const [said, setSaid] = useState<{ action: ActionName; seq: number } | null>(null)
  const [confirming, setConfirming] = useState(false)
  const status = useRef<HTMLParagraphElement>(null)
  const states = actionStates(rollout)
  const seq = lastSeq(rollout)
  const note =
    said === null
      ? null
      : said.seq === seq && !isTerminal(rollout.phase)
        ? `${DONE[said.action]}: namerd's leader acts on it at its next round.`
        : afterWords(LABEL[said.action], rollout)
  useEffect(() => {
    // After the dialog (if any) gave the focus back to its opener: this runs later, and wins.
    if (said !== null) status.current?.focus()
  }, [said])

  const run = async (action: ActionName) => {
    setBusy(true)
    setError(null)
    setSaid(null)
    try {
      await act(api, rollout.namespace, rollout.id, action, why)
      setSaid({ action, seq })
      setWhy('')
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)))
    } finally {
      setBusy(false)
      setConfirming(false)
    }
  }

  // Actions refused for the same reason are said once: `Pause, Promote: the rollout has ended`.
  const byReason = new Map<string, string[]>()
  for (const a of ACTIONS) {
    const why = states[a]
    if (why !== null) byReason.set(why, [...(byReason.get(why) ?? []), LABEL[a]])
  }
  const reasons = [...byReason].map(([why, names]) => `${names.join(', ')}: ${why}`)
  return (
    <section aria-labelledby="actions-title" class="card">
      <h2 id="actions-title">Steer</h2>
      <div class="field">
        <label for="rollout-why">Reason (optional, kept in the events)</label>
        <input
          id="rollout-why"
          value={why}
          maxLength={1000}
          disabled={!canWrite || ACTIONS.every((a) => states[a] !== null)}
          onInput={(e) => setWhy(e.currentTarget.value)}
        />
      </div>
      <div class="buttons">
        {ACTIONS.map((a) => (
          <button
            key={a}
            type="button"
            class={a === 'abort' ? 'danger' : a === 'promote' ? 'primary' : undefined}
            disabled={!canWrite || busy || states[a] !== null}
            aria-describedby="actions-why"
            onClick={() => (a === 'abort' ? setConfirming(true) : void run(a))}
          >
            {LABEL[a]}
          </button>
        ))}
      </div>
      <p id="actions-why" class="muted">
        {canWrite ? (
          reasons.join('. ')
        ) : (
          <>
            Nothing can be changed: {readOnlyReason}.{' '}
            {whoami?.writeGuarded === true ? (
              <button
                type="button"
                onClick={() => askToken(`steering rollout ${rollout.id} needs a write token`)}
              >
                Give a write token
              </button>
            ) : null}
          </>
        )}
      </p>
      <p
        role="status"
        ref={status}
        tabIndex={-1}
        class={note === null ? 'visually-hidden' : 'notice'}
      >
        {note ?? ''}
      </p>
      <ErrorNote error={error} what="namerd refused" />
      {confirming ? (
        <ConfirmDialog
          id="abort-title"
          title={`Abort rollout ${rollout.id}?`}
          onCancel={() => setConfirming(false)}
        >
          <p>
            namerd rolls back exactly as a failed step does: the dtab goes back to what it was
            before the rollout (<code>{rollout.before.dentry}</code>), and the rollout ends aborted.
            It cannot be resumed.
          </p>
          <div class="buttons">
            <button type="button" class="danger" disabled={busy} onClick={() => void run('abort')}>
              Abort rollout
            </button>
            <button type="button" data-initial-focus onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </ConfirmDialog>
      ) : null}
    </section>
  )
}

/** The rollout's newest event number (-1 before any): a new one means it moved on. */
function lastSeq(r: Rollout): number {
  return r.events.at(-1)?.seq ?? -1
}
