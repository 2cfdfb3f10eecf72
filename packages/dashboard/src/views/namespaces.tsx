// The first page: every namespace at a glance (version, last change, how many proxies have the
// current version, active rollouts), read from /api/1/overview every 2 s, and a form to create
// a namespace with its first dtab. A proxy counts as current once namerd sent it the version
// and, when namerd can read its admin, the proxy confirmed it routes on it (routes/overview.ts).
// With many namespaces a filter narrows the list, and a button goes to the create form.
import { type NamespaceOverview, Overview } from '@switchyard/wire'
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from '../api/errors.js'
import { usePoll } from '../api/live.js'
import { DtabInput } from '../components/dtab-input.js'
import { ErrorNote } from '../components/error-note.js'
import { NamespaceLink } from '../components/namespace-link.js'
import { TextField } from '../components/text-field.js'
import { TimeAgo } from '../components/time-ago.js'
import { useApp } from '../context.js'
import { versionName } from '../history/version.js'
import {
  filterNamespaces,
  namespaceProblem,
  proxiesBehind,
  proxiesText,
} from '../namespaces/names.js'
import { href } from '../router.js'

export function NamespacesView() {
  const { api } = useApp()
  const overview = usePoll((signal) => api.json('/api/1/overview', Overview, { signal }), 2000, [
    api,
  ])
  const list = overview.value?.namespaces ?? null
  return (
    <>
      <h1>Namespaces</h1>
      <ErrorNote error={overview.error} what="Reading the namespaces" />
      {list === null ? (
        overview.error === null ? (
          <p class="muted">Reading the namespaces…</p>
        ) : null
      ) : list.length === 0 ? (
        <p class="notice">No namespace yet: create the first one below.</p>
      ) : (
        <FilteredNamespaces list={list} />
      )}
      <CreateNamespace onCreated={overview.refresh} />
    </>
  )
}

function FilteredNamespaces({ list }: { list: readonly NamespaceOverview[] }) {
  const [filter, setFilter] = useState('')
  const shown = filterNamespaces(list, filter)
  return (
    <>
      <div class="namespaces-bar">
        <div class="field namespaces-filter">
          <label for="namespaces-filter">Filter namespaces</label>
          <input
            id="namespaces-filter"
            type="search"
            class="mono"
            value={filter}
            autocomplete="off"
            spellcheck={false}
            onInput={(e) => setFilter(e.currentTarget.value)}
          />
        </div>
        <button
          type="button"
          onClick={() => {
            const name = document.getElementById('new-name')
            name?.scrollIntoView({ block: 'center' })
            name?.focus()
          }}
        >
          Go to Create a namespace
        </button>
      </div>
      {shown.length < list.length ? (
        <p class="muted" role="status">
          {shown.length} of {list.length} namespaces match “{filter.trim()}”.
        </p>
      ) : null}
      {shown.length === 0 ? null : <NamespaceTable list={shown} />}
    </>
  )
}

function NamespaceTable({ list }: { list: readonly NamespaceOverview[] }) {
  return (
    <table aria-label="Namespaces" class="namespaces">
      <thead>
        <tr>
          <th scope="col">Namespace</th>
          <th scope="col">Version</th>
          <th scope="col">Last change</th>
          <th scope="col">Proxies</th>
          <th scope="col" class="num">
            Rollouts
          </th>
        </tr>
      </thead>
      <tbody>
        {list.map((n) => (
          <tr key={n.namespace}>
            <td>
              <NamespaceLink ns={n.namespace} tab="dtab" />
            </td>
            <td>
              <code title={n.version}>{versionName(n.version)}</code>
            </td>
            <td>
              <LastChange change={n.lastChange} />
            </td>
            <td>
              <Proxies ns={n.namespace} watchers={n.watchers} current={n.current} />
            </td>
            <td class="num">
              {n.activeRollouts === 0 ? (
                <span class="muted">0</span>
              ) : (
                <a
                  href={href({
                    view: 'namespace',
                    ns: n.namespace,
                    tab: 'rollouts',
                    query: new URLSearchParams(),
                  })}
                >
                  {n.activeRollouts} active
                </a>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function LastChange({ change }: { change: NamespaceOverview['lastChange'] }) {
  if (change === null) return <span class="muted">not recorded</span>
  const who = change.who ?? 'anonymous'
  return (
    <>
      <TimeAgo time={change.time} /> <span class="muted">by</span> {who}{' '}
      <span class="muted">({change.op})</span>
      {change.why === null || change.why === undefined || change.why === '' ? null : (
        <div class="muted why">{change.why}</div>
      )}
    </>
  )
}

function Proxies(props: { ns: string; watchers: number; current: number }) {
  const behind = proxiesBehind(props.watchers, props.current)
  const text = proxiesText(props.watchers, props.current)
  return (
    <a
      href={href({ view: 'namespace', ns: props.ns, tab: 'proxies', query: new URLSearchParams() })}
      class={behind ? 'warn' : props.watchers === 0 ? 'warn' : undefined}
    >
      {text}
      {behind ? <span> ({props.watchers - props.current} behind or not confirmed)</span> : null}
    </a>
  )
}

function CreateNamespace({ onCreated }: { onCreated: () => void }) {
  const { api, canWrite, whoami, readOnlyReason, askToken } = useApp()
  const [name, setName] = useState('')
  const [dtab, setDtab] = useState('')
  const [dtabError, setDtabError] = useState<{ message: string; offset: number } | null>(null)
  const [tried, setTried] = useState(false)
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<{ error: Error; exists: string | null } | null>(null)
  const [created, setCreated] = useState<string | null>(null)
  const nameInput = useRef<HTMLInputElement>(null)
  const status = useRef<HTMLParagraphElement>(null)
  // After Create the button the keyboard was on stays, but what happened is the status line:
  // the focus goes there (as the editor's after Saved), not to <body> (audit16b L3).
  useEffect(() => {
    if (created !== null) status.current?.focus()
  }, [created])

  const trimmed = name.trim()
  const problem = namespaceProblem(trimmed)
  const showProblem = problem !== null && (tried || name !== '')

  const submit = async (e: Event) => {
    e.preventDefault()
    setTried(true)
    setCreated(null)
    if (!canWrite) return
    if (problem !== null) {
      nameInput.current?.focus()
      return
    }
    if (dtabError !== null) {
      document.getElementById('new-dtab')?.focus()
      return
    }
    setBusy(true)
    setFailure(null)
    try {
      await api.createDtab(trimmed, dtab)
      setCreated(trimmed)
      setName('')
      setDtab('')
      setTried(false)
      onCreated()
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      const exists = err instanceof ApiError && err.status === 409 ? trimmed : null
      setFailure({ error, exists })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="create-namespace card" onSubmit={submit} noValidate>
      <h2 id="create-ns">Create a namespace</h2>
      <TextField
        id="new-name"
        label="Name"
        inputRef={nameInput}
        value={name}
        disabled={!canWrite}
        error={showProblem ? problem : null}
        onInput={setName}
      />
      <DtabInput
        id="new-dtab"
        label="Dtab"
        value={dtab}
        onInput={setDtab}
        onValidity={setDtabError}
        disabled={!canWrite}
      />
      <div class="buttons">
        <button type="submit" class="primary" disabled={!canWrite || busy}>
          Create
        </button>
        {canWrite || whoami === null ? null : (
          <span class="muted">
            Creating is off: {readOnlyReason ?? 'this session may not write'}.
          </span>
        )}
        {!canWrite && whoami?.writeGuarded === true ? (
          <button
            type="button"
            onClick={() => askToken('creating a namespace needs a write token')}
          >
            Give a write token
          </button>
        ) : null}
      </div>
      {tried && dtabError !== null ? (
        <p class="bad">The dtab does not parse: fix it (or leave it empty) to create.</p>
      ) : null}
      {failure === null ? null : (
        <div>
          <ErrorNote error={failure.error} what="Not created" />
          {failure.exists === null ? null : (
            <p>
              <a
                href={href({
                  view: 'namespace',
                  ns: failure.exists,
                  tab: 'dtab',
                  query: new URLSearchParams(),
                })}
              >
                Open the namespace {failure.exists}
              </a>{' '}
              to edit its dtab instead.
            </p>
          )}
        </div>
      )}
      <p
        role="status"
        ref={status}
        tabIndex={-1}
        class={created === null ? 'visually-hidden' : 'ok'}
      >
        {created === null ? null : (
          <>
            Created namespace <span class="ns">{created}</span>.{' '}
            <a
              href={href({
                view: 'namespace',
                ns: created,
                tab: 'dtab',
                query: new URLSearchParams(),
              })}
            >
              Open its dtab
            </a>
          </>
        )}
      </p>
    </form>
  )
}
