// A namespace's dtab: the editor (parse as you type), a review of what a save would change, the
// save as a compare-and-swap against the version the edit started from, the conflict when it
// moved on meanwhile (nothing saved; what changed; start again or keep the edit), and the stored
// dtab followed live.
//
// Save never writes at once: it opens the review (the diff, the active rollouts the change would
// stop, an optional reason) and the write is its "Save these changes". An unsaved edit is kept
// per namespace in sessionStorage, so visiting another tab and coming back keeps it.
//
// Live by polling `GET /api/1/dtabs/<ns>` every 2 s rather than its watch: the poll answers
// with the version (the ETag) a save must name, which a watch line does not carry, and a watch
// would register the page as a watcher, counted among the namespace's proxies (Proxies view,
// "2 of 3 current") where it does not belong.
import { NamespaceList } from '@switchyard/wire'
import { useEffect, useReducer, useRef, useState } from 'preact/hooks'
import type { Versioned } from '../api/client.js'
import { ApiError } from '../api/errors.js'
import { whyProblem } from '../api/why.js'
import { DiffView } from '../components/diff-view.js'
import { DtabInput } from '../components/dtab-input.js'
import { ErrorNote } from '../components/error-note.js'
import { useApp } from '../context.js'
import { dtabLines } from '../dtab-lines.js'
import { saveDtab } from '../editor/api.js'
import { checkDtab } from '../editor/check.js'
import { type DraftStore, keepDraft, loadDraft } from '../editor/draft.js'
import { RolloutsNote } from '../editor/rollouts-note.js'
import {
  canSave,
  draftOf,
  editorReducer,
  initialEditor,
  isEdited,
  isStale,
  shortVersion,
} from '../editor/session.js'
import { href } from '../router.js'

const FOLLOW_EVERY_MS = 2000

export function DtabView({ ns }: { ns: string }) {
  // A new namespace is a new edit: nothing of the previous one is kept.
  return <DtabEditor key={ns} ns={ns} />
}

/** This tab's sessionStorage, or null where the browser refuses it. */
function drafts(): DraftStore | null {
  try {
    return window.sessionStorage
  } catch {
    return null
  }
}

function DtabEditor({ ns }: { ns: string }) {
  const { api, canWrite, whoami, askToken, readOnlyReason } = useApp()
  const [state, dispatch] = useReducer(editorReducer, ns, (name: string) => {
    const draft = loadDraft(drafts(), name)
    return draft === null ? initialEditor : editorReducer(initialEditor, { type: 'draft', draft })
  })
  const [followError, setFollowError] = useState<Error | null>(null)
  const [saveError, setSaveError] = useState<Error | null>(null)
  const [reviewing, setReviewing] = useState(false)
  const [why, setWhy] = useState('')
  const conflictHeading = useRef<HTMLHeadingElement>(null)
  const reviewHeading = useRef<HTMLHeadingElement>(null)
  // Bumped to bring the review into sight (and focus its heading) once it is rendered.
  const [showReview, setShowReview] = useState(0)
  // Bumped after a save: the button pressed is gone (the review closes), so the keyboard goes to
  // the status line saying what happened rather than to the page's start.
  const statusLine = useRef<HTMLParagraphElement>(null)
  const [showStatus, setShowStatus] = useState(0)
  // Reads started before a save ended may answer with the version it replaced: only reads
  // started after the last save count.
  const reads = useRef({ started: 0, countFrom: 0 })
  const [tick, setTick] = useState(0)

  useEffect(() => {
    const ac = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    // While the namespace is missing, the list of names is read instead of the dtab: a 404
    // every 2 s would fill the browser's console with failed requests.
    let missing = false
    const once = async () => {
      const seq = ++reads.current.started
      try {
        if (
          missing &&
          !(await api.json('/api/1/dtabs', NamespaceList, { signal: ac.signal })).includes(ns)
        ) {
          if (seq >= reads.current.countFrom) dispatch({ type: 'missing' })
        } else {
          const stored = await api.dtab(ns, ac.signal)
          if (ac.signal.aborted) return
          missing = false
          if (seq >= reads.current.countFrom) dispatch({ type: 'stored', stored })
        }
        setFollowError(null)
      } catch (err) {
        if (ac.signal.aborted) return
        if (err instanceof ApiError && err.status === 404) {
          missing = true
          if (seq >= reads.current.countFrom) dispatch({ type: 'missing' })
          setFollowError(null)
        } else {
          setFollowError(err instanceof Error ? err : new Error(String(err)))
        }
      }
      timer = setTimeout(once, FOLLOW_EVERY_MS)
    }
    void once()
    return () => {
      ac.abort()
      clearTimeout(timer)
    }
  }, [api, ns, tick])

  const edited = state.phase === 'ready' && isEdited(state)
  // Leaving the page (not the tab: the hash) with an unsaved edit asks first.
  useEffect(() => {
    if (!edited) return
    const warn = (e: BeforeUnloadEvent) => e.preventDefault()
    window.addEventListener('beforeunload', warn)
    return () => window.removeEventListener('beforeunload', warn)
  }, [edited])

  useEffect(() => {
    if (state.conflict !== null) conflictHeading.current?.focus()
  }, [state.conflict !== null])

  // The edit outlives the view (another tab of the namespace, a reload) until saved or dropped.
  useEffect(() => {
    if (state.phase === 'ready') keepDraft(drafts(), ns, draftOf(state))
  }, [state, ns])

  useEffect(() => {
    if (showReview === 0) return
    const heading = reviewHeading.current
    heading?.focus({ preventScroll: true })
    heading?.scrollIntoView({ block: 'start' })
  }, [showReview])

  useEffect(() => {
    if (showStatus > 0) statusLine.current?.focus()
  }, [showStatus])

  if (state.phase === 'loading') {
    return (
      <div class="dtab-editor">
        <h2>Edit the dtab</h2>
        <ErrorNote error={followError} what="Reading the dtab" />
        {followError === null ? <p class="muted">Reading the dtab…</p> : null}
      </div>
    )
  }

  if (state.phase === 'missing') {
    return (
      <div class="dtab-editor">
        <h2>Edit the dtab</h2>
        <p class="notice">
          Namespace <code>{ns}</code> does not exist on namerd.{' '}
          <a href={href({ view: 'namespaces' })}>Create it on the Namespaces page</a> (the form
          “Create a namespace”). This page shows it as soon as it exists.
        </p>
        <p role="status">{state.status}</p>
        {state.text === '' ? null : (
          <>
            <h3>Your edit, not saved</h3>
            <pre class="card">{state.text}</pre>
          </>
        )}
        <ErrorNote error={followError} what="Following the dtab" />
      </div>
    )
  }

  const base = state.base!
  const check = checkDtab(state.text)
  const save = async () => {
    if (!canSave(state) || whyProblem(why) !== null) return
    setSaveError(null)
    dispatch({ type: 'saving' })
    try {
      // The text goes as the user wrote it; namerd parses and stores its own form.
      const version = await saveDtab(api, ns, state.text, base.version, why)
      reads.current.countFrom = reads.current.started + 1
      setReviewing(false)
      setWhy('')
      setShowStatus((n) => n + 1)
      dispatch({
        type: 'saved',
        stored: { dtab: check.ok ? check.canonical : state.text, version },
      })
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        let current: Versioned | null = null
        try {
          current = await api.dtab(ns)
        } catch (readErr) {
          setSaveError(readErr instanceof Error ? readErr : new Error(String(readErr)))
        }
        reads.current.countFrom = reads.current.started + 1
        dispatch({ type: 'conflict', current })
        return
      }
      dispatch({ type: 'save-failed' })
      if (err instanceof ApiError && err.status === 404) {
        setSaveError(
          new Error(
            `Nothing was saved: namespace ${JSON.stringify(ns)} no longer exists (deleted meanwhile). Copy your edit, create the namespace again, then paste it.`,
          ),
        )
        setTick((t) => t + 1)
        return
      }
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        askToken(`saving the dtab of ${ns} needs a write token: ${err.message}`)
      }
      setSaveError(err instanceof Error ? err : new Error(String(err)))
    }
  }

  const whyNotSave = !canWrite
    ? whoami === null
      ? 'Saving waits for namerd to say what this session may do.'
      : `Saving is off: ${readOnlyReason ?? 'this session may not write'}.`
    : !check.ok
      ? 'Saving needs a dtab that parses.'
      : !edited
        ? 'Nothing to save: the dtab is as stored.'
        : state.saving
          ? 'Saving…'
          : null
  const stale = isStale(state)
  const readOnly = !canWrite && whoami !== null
  const openReview = () => {
    setReviewing(true)
    setShowReview((n) => n + 1)
  }
  // Save asks first: it shows what would change. An edit already behind namerd is not sent (its
  // If-Match would be refused): the conflict view says what changed and offers the choices.
  const requestSave = () => {
    if (whyNotSave !== null) return
    if (stale) {
      setReviewing(false)
      dispatch({ type: 'behind' })
    } else openReview()
  }
  const whyError = whyProblem(why)

  return (
    <div class="dtab-editor">
      <h2>Edit the dtab</h2>
      <p class="meta">
        Version <code title={base.version}>{shortVersion(base.version)}</code>
        {stale && state.latest !== null ? (
          <>
            {' '}
            (namerd is at{' '}
            <code title={state.latest.version}>{shortVersion(state.latest.version)}</code> now)
          </>
        ) : null}
        . One dentry per line, each ending with <code>;</code>:{' '}
        <code>prefix =&gt; destination ;</code>
      </p>
      {readOnly ? (
        <p id="dtab-readonly" class="notice">
          Read only: {readOnlyReason ?? 'this session may not write'}. The dtab is shown and can be
          selected and copied, not edited here.
        </p>
      ) : null}
      <form
        onSubmit={(e) => {
          e.preventDefault()
          requestSave()
        }}
      >
        <DtabInput
          id="dtab"
          label="Dtab"
          value={state.text}
          readOnly={readOnly}
          {...(readOnly ? { describedBy: 'dtab-readonly' } : {})}
          onInput={(text) => {
            dispatch({ type: 'input', text })
            setSaveError(null)
          }}
        />
        <div class="buttons">
          <button
            type="button"
            aria-expanded={reviewing}
            aria-controls="dtab-review"
            onClick={() => {
              if (reviewing) setReviewing(false)
              else openReview()
            }}
          >
            Review changes
          </button>
          <button type="submit" class="primary" disabled={whyNotSave !== null}>
            Save
          </button>
          {whyNotSave === null ? null : <span class="why-not">{whyNotSave}</span>}
          {!canWrite && whoami?.writeGuarded === true ? (
            <button
              type="button"
              onClick={() => askToken(`saving the dtab of ${ns} needs a write token`)}
            >
              Give a write token
            </button>
          ) : null}
        </div>
      </form>
      <div id="dtab-review">
        {/* Not beside the conflict view, which has the same choices. */}
        {reviewing && state.conflict === null ? (
          <section class="review" aria-labelledby="dtab-review-title">
            <h3 id="dtab-review-title" tabIndex={-1} ref={reviewHeading}>
              Changes to save
            </h3>
            {check.ok && edited ? (
              <RolloutsNote ns={ns} before={base.dtab} after={state.text} />
            ) : null}
            <DiffView
              label="Changes to save"
              before={dtabLines(base.dtab)}
              after={dtabLines(state.text)}
            />
            {check.ok ? null : (
              <p class="muted">The text does not parse yet: the lines are shown as typed.</p>
            )}
            {whyNotSave === null && stale && state.latest !== null ? (
              <>
                <p class="notice">
                  namerd is at version {shortVersion(state.latest.version)} now; these changes are
                  against version {shortVersion(base.version)}, so a save would be refused and save
                  nothing. Keep your edit and review it against the current dtab, or start again
                  (below).
                </p>
                <div class="buttons">
                  <button type="button" onClick={() => dispatch({ type: 'keep-mine' })}>
                    Keep my edit and compare it with the current dtab
                  </button>
                </div>
              </>
            ) : whyNotSave === null ? (
              <>
                <div class="field">
                  <label for="dtab-why">Reason (optional)</label>
                  <input
                    id="dtab-why"
                    type="text"
                    value={why}
                    maxLength={2000}
                    aria-invalid={whyError === null ? undefined : 'true'}
                    aria-describedby="dtab-why-note"
                    onInput={(e) => setWhy(e.currentTarget.value)}
                  />
                  <p id="dtab-why-note" class={whyError === null ? 'muted' : 'error'}>
                    {whyError ??
                      'Recorded in the history beside who saved, e.g. “shift 10% of world to v2”.'}
                  </p>
                </div>
                <div class="buttons">
                  <button
                    type="button"
                    class="primary"
                    disabled={whyError !== null || state.saving}
                    onClick={() => void save()}
                  >
                    Save these changes
                  </button>
                  <button type="button" onClick={() => setReviewing(false)}>
                    Keep editing
                  </button>
                </div>
              </>
            ) : (
              <p class="muted">{whyNotSave}</p>
            )}
          </section>
        ) : null}
      </div>
      <p role="status" tabIndex={-1} ref={statusLine}>
        {state.status}
      </p>
      <ErrorNote error={saveError} what="Saving" />
      {state.conflict === null && stale && edited && state.latest !== null ? (
        <div class="stale">
          <p>
            Your edit started from version {shortVersion(base.version)}; namerd is at{' '}
            {shortVersion(state.latest.version)} now. A save now would be refused and save nothing.
          </p>
          <details>
            <summary>What changed on namerd</summary>
            <DiffView
              label="Changed since you started"
              before={dtabLines(base.dtab)}
              after={dtabLines(state.latest.dtab)}
            />
          </details>
          <div class="buttons">
            <button type="button" onClick={() => dispatch({ type: 'start-again' })}>
              Start again from the current dtab
            </button>
          </div>
        </div>
      ) : null}
      {state.conflict === null ? null : (
        <ConflictView
          conflict={state.conflict}
          headingRef={conflictHeading}
          onStartAgain={() => {
            setSaveError(null)
            dispatch({ type: 'start-again' })
          }}
          onKeepMine={() => {
            setSaveError(null)
            dispatch({ type: 'keep-mine' })
            openReview()
          }}
        />
      )}
      <ErrorNote error={followError} what="Following the dtab" />
    </div>
  )
}

function ConflictView(props: {
  conflict: NonNullable<ReturnType<typeof editorReducer>['conflict']>
  headingRef: { current: HTMLHeadingElement | null }
  onStartAgain: () => void
  onKeepMine: () => void
}) {
  const { started, current } = props.conflict
  return (
    <section class="conflict" aria-labelledby="dtab-conflict">
      <h2 id="dtab-conflict" tabIndex={-1} ref={props.headingRef}>
        Conflict
      </h2>
      <p>
        The dtab changed on namerd since you started editing (version{' '}
        {shortVersion(started.version)}
        {current === null ? '' : ` is now ${shortVersion(current.version)}`}), so{' '}
        <strong>nothing was saved</strong>. Your edit is still in the box above.
      </p>
      {current === null ? (
        <p class="muted">The current dtab could not be read; it is read again every 2 s.</p>
      ) : (
        <>
          <h3>What changed meanwhile</h3>
          <DiffView
            label="Changed meanwhile"
            before={dtabLines(started.dtab)}
            after={dtabLines(current.dtab)}
          />
        </>
      )}
      <div class="buttons">
        <button type="button" onClick={props.onStartAgain} disabled={current === null}>
          Start again from the current dtab
        </button>
        <button type="button" onClick={props.onKeepMine} disabled={current === null}>
          Keep my edit and compare it with the current dtab
        </button>
      </div>
      <p class="muted">
        Starting again drops your edit and loads the current dtab. Keeping your edit makes the
        current version the one a save replaces: review the changes before saving.
      </p>
    </section>
  )
}
