// The page: a header with the sections, the token form when namerd asks for one, and the view
// the hash names. What the session may do (whoami) is asked once per token and decides whether
// buttons that change something are enabled.
import { Whoami } from '@switchyard/wire'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { Api } from './api/client.js'
import { ApiError } from './api/errors.js'
import { savedToken, saveToken } from './api/token.js'
import { ErrorNote, isTokenRefused } from './components/error-note.js'
import { TokenForm } from './components/token-form.js'
import { AppContext, readOnlyReason } from './context.js'
import { namespaceProblem } from './namespaces/names.js'
import { href, NAMESPACE_TABS, type NamespaceTab, type Route, useRoute } from './router.js'
import { DelegateView } from './views/delegator.js'
import { DtabView } from './views/dtab-editor.js'
import { HistoryView } from './views/history.js'
import { NamespacesView } from './views/namespaces.js'
import { ProxiesView } from './views/proxies.js'
import { RolloutView } from './views/rollout.js'
import { RolloutsView } from './views/rollouts.js'
import { TrafficView } from './views/traffic.js'

const TAB_NAMES: Record<NamespaceTab, string> = {
  dtab: 'Dtab',
  delegate: 'Delegator',
  traffic: 'Traffic',
  history: 'History',
  rollouts: 'Rollouts',
  proxies: 'Proxies',
}

export function App() {
  const route = useRoute()
  const [token, setToken] = useState<string | null>(savedToken)
  const [tokenWhy, setTokenWhy] = useState<string | null>(null)
  const [whoami, setWhoami] = useState<Whoami | null>(null)
  const [whoamiError, setWhoamiError] = useState<Error | null>(null)
  // namerd answered whoami with 401: the token given is not one it knows.
  const refused = whoamiError !== null && isTokenRefused(whoamiError)
  // Where the keyboard was when the token form opened, to go back there once it closes.
  const beforeToken = useRef<HTMLElement | null>(null)
  const askToken = (why: string) => {
    if (document.activeElement instanceof HTMLElement && document.activeElement !== document.body)
      beforeToken.current = document.activeElement
    setTokenWhy(why)
  }

  const askTokenRef = useRef(askToken)
  askTokenRef.current = askToken
  const api = useMemo(
    () =>
      new Api({
        token: () => savedToken(),
        onUnauthorized: (err) => askTokenRef.current(err.message),
      }),
    [],
  )

  useEffect(() => {
    const ac = new AbortController()
    api
      .json('/api/1/whoami', Whoami, { signal: ac.signal })
      .then((w) => {
        setWhoami(w)
        setWhoamiError(null)
        if (w.scope === 'none') askToken('namerd needs a token to read: give a read or write token')
      })
      .catch((err: unknown) => {
        if (ac.signal.aborted) return
        setWhoami(null)
        setWhoamiError(err instanceof Error ? err : new Error(String(err)))
        if (err instanceof ApiError && err.status === 401) askToken(err.message)
      })
    return () => ac.abort()
  }, [api, token])

  const closeTokenForm = () => {
    setTokenWhy(null)
    // After the form is gone: back to the control that asked, else the view's heading.
    setTimeout(() => {
      const back = beforeToken.current
      beforeToken.current = null
      if (back?.isConnected === true && !back.matches(':disabled')) back.focus()
      else focusHeading()
    }, 0)
  }
  const useToken = (given: string | null) => {
    saveToken(given)
    setToken(given)
    closeTokenForm()
  }

  // A new view (not a new query of the same view, which the delegator writes as one types) puts
  // the keyboard on its heading, as a page load would; not on the first render.
  const viewKey = routeKey(route)
  const firstView = useRef(true)
  useEffect(() => {
    if (firstView.current) {
      firstView.current = false
      return
    }
    focusHeading()
  }, [viewKey])

  const ctx: AppContext = {
    api,
    whoami,
    canWrite: whoami?.scope === 'write',
    readOnlyReason: readOnlyReason(whoami),
    askToken,
  }

  return (
    <AppContext.Provider value={ctx}>
      {/* The page routes on the hash, so following #main would open the "Not a page" view:
          the link moves the focus itself (still a link: a skip link is in-page navigation). */}
      {/* biome-ignore lint/a11y/useValidAnchor: a skip link, whose #main the hash router would take for a route */}
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault()
          document.getElementById('main')?.focus()
        }}
      >
        Skip to the content
      </a>
      <header class="top">
        <a class="brand" href={href({ view: 'namespaces' })}>
          Switchyard
        </a>
        <nav aria-label="Sections">
          <ul>
            <li>
              <a href={href({ view: 'namespaces' })} aria-current={current(route, 'namespaces')}>
                Namespaces
              </a>
            </li>
            <li>
              <a href={href({ view: 'rollouts' })} aria-current={current(route, 'rollouts')}>
                Rollouts
              </a>
            </li>
            <li>
              <a href={href({ view: 'proxies' })} aria-current={current(route, 'proxies')}>
                Proxies
              </a>
            </li>
          </ul>
        </nav>
        <Session
          whoami={whoami}
          refused={refused}
          token={token}
          onSignOut={() => useToken(null)}
          onSignIn={(why) => askToken(why)}
        />
      </header>
      {tokenWhy === null ? null : (
        <TokenForm why={tokenWhy} onToken={useToken} onCancel={closeTokenForm} />
      )}
      {/* A refused token is said by the token form and the header, not a third time here. */}
      <ErrorNote error={whoamiError} what="namerd" />
      <main id="main" tabIndex={-1}>
        <View route={route} />
      </main>
    </AppContext.Provider>
  )
}

/** The view a route shows, without its query. */
function routeKey(route: Route): string {
  switch (route.view) {
    case 'namespace':
      return `namespace/${route.ns}/${route.tab}`
    case 'rollout':
      return `rollout/${route.ns}/${route.id}`
    case 'unknown':
      return `unknown/${route.hash}`
    default:
      return route.view
  }
}

/** Focus the main heading (made focusable for it), or main itself. */
function focusHeading(): void {
  const heading = document.querySelector<HTMLElement>('main h1')
  if (heading !== null) {
    heading.tabIndex = -1
    heading.focus()
  } else document.getElementById('main')?.focus()
}

function current(route: Route, section: 'namespaces' | 'rollouts' | 'proxies'): 'page' | undefined {
  if (route.view === section) return 'page'
  if (section === 'namespaces' && route.view === 'namespace') return 'page'
  if (section === 'rollouts' && route.view === 'rollout') return 'page'
  return undefined
}

function Session(props: {
  whoami: Whoami | null
  refused: boolean
  token: string | null
  onSignOut: () => void
  onSignIn: (why: string) => void
}) {
  const { whoami, refused, token } = props
  // A token namerd does not know: not "anonymous: cannot read" (audit16b L4).
  if (refused && token !== null)
    return (
      <div class="session">
        <span>token refused</span>
        <button type="button" onClick={() => props.onSignIn('namerd refused the token given')}>
          Give another token
        </button>
        <button type="button" onClick={props.onSignOut}>
          Forget the token
        </button>
      </div>
    )
  if (whoami === null) return null
  const who = whoami.name === null ? 'anonymous' : whoami.name
  const can =
    whoami.scope === 'write'
      ? 'reads and writes'
      : whoami.scope === 'read'
        ? 'reads only'
        : 'cannot read'
  return (
    <div class="session">
      <span>
        {who}: {can}
      </span>
      {token === null ? (
        whoami.writeGuarded ? (
          <button type="button" onClick={() => props.onSignIn('give a token')}>
            Give a token
          </button>
        ) : null
      ) : (
        <button type="button" onClick={props.onSignOut}>
          Forget the token
        </button>
      )}
      {/* A read token switches to a write one here, without Forget then Give (audit16b). It comes
          after Forget: "Give a token" turning into "Forget the token" stays one element, so the
          focus stays on it once a token is given. */}
      {token !== null && whoami.scope === 'read' && whoami.writeGuarded ? (
        <button type="button" onClick={() => props.onSignIn('changes need a write token')}>
          Give a write token
        </button>
      ) : null}
    </div>
  )
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case 'namespaces':
      return <NamespacesView />
    case 'proxies':
      return <ProxiesView />
    case 'rollouts':
      return <RolloutsView />
    case 'rollout':
      return <RolloutView ns={route.ns} id={route.id} />
    case 'namespace':
      return <NamespacePage route={route} />
    case 'unknown':
      return (
        <>
          <h1>Not a page</h1>
          <p>
            Nothing is at <code>{route.hash}</code>.{' '}
            <a href={href({ view: 'namespaces' })}>See the namespaces</a>.
          </p>
        </>
      )
  }
}

function NamespacePage({ route }: { route: Extract<Route, { view: 'namespace' }> }) {
  const { ns, tab } = route
  const problem = namespaceProblem(ns)
  // Focus the heading when the namespace changes, so keyboard and screen-reader users land there.
  useEffect(() => {
    document.title = `${ns}: ${TAB_NAMES[tab]} · Switchyard`
  }, [ns, tab])
  return (
    <>
      <h1>
        Namespace <span class="ns">{ns}</span>
      </h1>
      <nav aria-label={`Namespace ${ns}`} class="tabs">
        <ul>
          {NAMESPACE_TABS.map((t) => (
            <li key={t}>
              <a
                href={href({ view: 'namespace', ns, tab: t, query: new URLSearchParams() })}
                aria-current={t === tab ? 'page' : undefined}
              >
                {TAB_NAMES[t]}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {/* A name from the address is checked as a typed one (namespaces/names.ts): namerd is
          not asked about a name it would refuse, and the name is shown decoded. */}
      {problem === null ? (
        <section aria-label={TAB_NAMES[tab]}>
          <NamespaceTabView route={route} />
        </section>
      ) : (
        <p class="error" role="alert">
          "{ns}" is not a namespace name: {problem} Nothing was asked of namerd.{' '}
          <a href={href({ view: 'namespaces' })}>See the namespaces</a>.
        </p>
      )}
    </>
  )
}

function NamespaceTabView({ route }: { route: Extract<Route, { view: 'namespace' }> }) {
  switch (route.tab) {
    case 'dtab':
      return <DtabView ns={route.ns} />
    case 'delegate':
      return <DelegateView ns={route.ns} query={route.query} />
    case 'traffic':
      return <TrafficView ns={route.ns} />
    case 'history':
      return <HistoryView ns={route.ns} />
    case 'rollouts':
      return <RolloutsView ns={route.ns} />
    case 'proxies':
      return <ProxiesView ns={route.ns} />
  }
}
