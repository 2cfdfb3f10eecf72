// The delegator: a path and an optional override dtab in, the delegation tree namerd computes
// through the namespace's dtab (then the override) out, drawn as a keyboard tree. The inputs
// live in the hash (`?path=&dtab=`), so a delegation can be bookmarked or sent to a colleague.
// Inputs from the hash are checked as typed ones are: nothing is sent for a path or an override
// that does not parse (the field says why). A new answer after Delegate is scrolled into view
// and its heading focused; its summary names where the path bound.
import { Dtab, Path } from '@switchyard/dtab'
import { DelegateNode, NamespaceList } from '@switchyard/wire'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { ApiError, describe } from '../api/errors.js'
import { usePoll } from '../api/live.js'
import { DtabInput } from '../components/dtab-input.js'
import { ErrorNote } from '../components/error-note.js'
import { TextField } from '../components/text-field.js'
import { useApp } from '../context.js'
import { boundSummary, summary, toTree } from '../delegate/model.js'
import { DelegationTree } from '../delegate/tree-view.js'
import { href } from '../router.js'

interface Asked {
  readonly path: string
  readonly dtab: string
}

export function DelegateView({ ns, query }: { ns: string; query: URLSearchParams }) {
  const askedPath = query.get('path')
  const askedDtab = query.get('dtab') ?? ''
  const [pathText, setPathText] = useState(askedPath ?? '')
  const [dtabText, setDtabText] = useState(askedDtab)
  const [dtabError, setDtabError] = useState<{ message: string; offset: number } | null>(null)
  const [tried, setTried] = useState(false)
  // Asking again for the same inputs does not change the hash; this makes it read again.
  const [again, setAgain] = useState(0)
  const pathInput = useRef<HTMLInputElement>(null)

  // A new hash (back/forward, a shared link) puts its inputs in the form.
  useEffect(() => {
    setPathText(askedPath ?? '')
    setDtabText(askedDtab)
  }, [askedPath, askedDtab])

  const pathError = checkPath(pathText)
  // From the hash: checked as if typed; not asked when either does not parse.
  const askedProblem =
    askedPath === null ? null : (checkPath(askedPath) ?? checkOverride(askedDtab))
  const asked: Asked | null =
    askedPath === null || askedProblem !== null ? null : { path: askedPath, dtab: askedDtab }
  // Focus the answer only after a Delegate press, not when the page opens on a shared link.
  const [submits, setSubmits] = useState(0)

  const submit = (e: Event) => {
    e.preventDefault()
    setTried(true)
    if (pathError !== null) {
      pathInput.current?.focus()
      return
    }
    if (dtabError !== null) {
      document.getElementById('delegate-dtab')?.focus()
      return
    }
    const q: Record<string, string> = { path: pathText.trim() }
    if (dtabText.trim() !== '') q.dtab = dtabText
    setSubmits((n) => n + 1)
    const next = href({ view: 'namespace', ns, tab: 'delegate', query: new URLSearchParams() }, q)
    if (window.location.hash === next) setAgain((n) => n + 1)
    else window.location.hash = next
  }

  const showPathError = pathError !== null && (tried || pathText !== '' || askedPath !== null)
  return (
    <>
      <h2>Delegate a path</h2>
      <p class="muted">
        How namerd resolves a name through the dtab of <span class="ns">{ns}</span>, every branch
        shown, with the dentry used at each step. An override dtab is added after the stored one
        (its dentries win), as a request's <code>l5d-dtab</code> header would be.
      </p>
      <form class="delegate-form" onSubmit={submit} noValidate>
        <TextField
          id="delegate-path"
          label="Path"
          inputRef={pathInput}
          value={pathText}
          placeholder="/svc/world"
          error={showPathError ? pathError : null}
          onInput={setPathText}
        />
        <DtabInput
          id="delegate-dtab"
          label="Override dtab (optional)"
          value={dtabText}
          onInput={setDtabText}
          onValidity={setDtabError}
        />
        <div class="buttons">
          <button type="submit" class="primary">
            Delegate
          </button>
        </div>
        {(tried || askedProblem !== null) && dtabError !== null ? (
          <p class="bad">The override dtab does not parse: fix it or clear it to delegate.</p>
        ) : null}
      </form>
      {askedProblem === null ? null : (
        <p class="notice" role="status">
          Nothing was delegated: the address asks for a path or an override that does not parse (
          {askedProblem}). Fix it above and press Delegate.
        </p>
      )}
      {asked === null ? null : <Result ns={ns} asked={asked} again={again} submits={submits} />}
    </>
  )
}

/** Why `text` is not a path namerd takes, or null when it is. */
function checkPath(text: string): string | null {
  const t = text.trim()
  if (t === '') return 'Give a path to delegate, e.g. /svc/world.'
  if (!t.startsWith('/')) return `A path starts with "/": try /${t}.`
  try {
    Path.read(t)
    return null
  } catch (err) {
    return `Not a path: ${describe(err)}`
  }
}

/** Why an override dtab from the address is not one namerd takes, or null (empty is fine). */
function checkOverride(text: string): string | null {
  if (text.trim() === '') return null
  try {
    Dtab.read(text)
    return null
  } catch (err) {
    return `the override dtab: ${describe(err)}`
  }
}

function Result(props: { ns: string; asked: Asked; again: number; submits: number }) {
  const { ns, asked, again, submits } = props
  const { api } = useApp()
  const heading = useRef<HTMLHeadingElement>(null)
  const focusedFor = useRef(0)
  const answer = usePoll(
    async (signal) => {
      const q = new URLSearchParams({ path: asked.path })
      if (asked.dtab.trim() !== '') q.set('dtab', asked.dtab)
      const [tree, exists] = await Promise.all([
        api.json(`/api/1/delegate/${encodeURIComponent(ns)}?${q.toString()}`, DelegateNode, {
          signal,
        }),
        namespaceExists(ns, signal),
      ])
      return { tree, exists }
    },
    0,
    [ns, asked.path, asked.dtab, again],
  )
  const root = useMemo(
    () => (answer.value === null ? null : toTree(answer.value.tree)),
    [answer.value],
  )
  // The answer to a Delegate press (or its error) is below the form: bring it into view once.
  const settled = answer.value !== null || answer.error !== null
  useEffect(() => {
    if (!settled || submits === 0 || focusedFor.current === submits) return
    focusedFor.current = submits
    heading.current?.scrollIntoView({ block: 'start' })
    heading.current?.focus()
  }, [settled, submits, answer.value, answer.error])
  const bound = root === null ? null : boundSummary(root)
  return (
    <section aria-labelledby="delegate-result" class="delegate-result">
      <h2 id="delegate-result" ref={heading} tabIndex={-1}>
        Delegation of <code>{asked.path}</code>
      </h2>
      <ErrorNote error={explain(answer.error)} what="Delegation" />
      {answer.value !== null && !answer.value.exists ? (
        <p class="notice">
          The namespace <span class="ns">{ns}</span> does not exist, so only the override dtab and
          namerd's namers took part. <a href={href({ view: 'namespaces' })}>Create it</a>.
        </p>
      ) : null}
      {root === null ? (
        answer.error === null ? (
          <p class="muted">Delegating…</p>
        ) : null
      ) : (
        <>
          <p role="status">
            {summary(root)}.{' '}
            {bound === null ? 'It binds to no usable address.' : `${capital(bound)}.`}
          </p>
          <p class="muted">
            Arrow keys move through the tree; Left and Right close and open a step.
          </p>
          <DelegationTree root={root} label={`Delegation of ${asked.path}`} idPrefix="dnode" />
        </>
      )}
    </section>
  )

  /** From the names list, not a GET of the namespace: a 404 is a console error in the page. */
  async function namespaceExists(name: string, signal: AbortSignal): Promise<boolean> {
    try {
      return (await api.json('/api/1/dtabs', NamespaceList, { signal })).includes(name)
    } catch {
      // Not knowing whether it exists does not stop the delegation from being shown.
      return true
    }
  }
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

/** namerd's 503 for a slow delegation says little; say what it means and what to do. */
function explain(err: Error | null): Error | null {
  if (err instanceof ApiError && err.status === 503) {
    return new ApiError(
      err.kind,
      err.status,
      err.code,
      'namerd did not finish in time: some addresses are still pending (a namer is slow or its target is missing). Try again in a moment.',
    )
  }
  return err
}
