// Which proxies watch what, at which version, and whether each RUNS it: the propagation status
// of a change. namerd's watcher listing says what it sent each watch stream; its proxy-status
// says what each proxy's admin reports it routes on (a hung proxy keeps its stream open and was
// sent the version, but does not confirm it). Per namespace, its listing; globally, the listings
// of every namespace someone watches (the overview says which), read every 2 s, with every
// namespace's proxy-status in one request (GET /api/1/proxy-status), not one per namespace.
import {
  Overview,
  type ProxyConfirmation,
  ProxyStatus,
  ProxyStatusAll,
  type Watcher,
  Watchers,
} from '@switchyard/wire'
import { useState } from 'preact/hooks'
import type { Api } from '../api/client.js'
import { ApiError } from '../api/errors.js'
import { usePoll } from '../api/live.js'
import { ErrorNote } from '../components/error-note.js'
import { NamespaceLink } from '../components/namespace-link.js'
import { TimeAgo } from '../components/time-ago.js'
import { useApp } from '../context.js'
import { versionName } from '../history/version.js'
import {
  filterRows,
  type ProxyRow,
  type ProxyRows,
  proxyRows,
  proxySummary,
  streamHealth,
} from '../proxies/rows.js'

/** Namespaces read at once on the global page. */
const CONCURRENCY = 6

type Listing = Parameters<typeof proxyRows>[0][number]

/** A namerd without the route answers 404: the sent versions then stand alone. */
function unlessMissing<T>(err: unknown): T | null {
  if (err instanceof ApiError && err.status === 404) return null
  throw err
}

/**
 * One namespace's watchers and its proxies' confirmations: `known` when the all-namespaces
 * proxy-status already said them, else read here (none from a namerd without proxy-status).
 */
async function listing(
  api: Api,
  name: string,
  signal: AbortSignal,
  known?: readonly ProxyConfirmation[],
): Promise<Listing> {
  const ns = encodeURIComponent(name)
  const [w, status] = await Promise.all([
    api.json(`/api/1/dtabs/${ns}/watchers`, Watchers, { signal }),
    known !== undefined
      ? { proxies: known }
      : api
          .json(`/api/1/proxy-status/${ns}`, ProxyStatus, { signal })
          .catch(unlessMissing<ProxyStatus>),
  ])
  const watchers: readonly Watcher[] = w.watchers
  return status === null
    ? { namespace: name, watchers }
    : { namespace: name, watchers, proxies: status.proxies }
}

/**
 * Per namespace, what GET /api/1/proxy-status said of its proxies ([] for a watched namespace it
 * does not list: no watcher named an admin); null when namerd has no such route (older namerd).
 */
export function confirmationsOf(
  all: ProxyStatusAll | null,
  watched: readonly string[],
): Map<string, readonly ProxyConfirmation[]> | null {
  if (all === null) return null
  const by = new Map<string, readonly ProxyConfirmation[]>()
  for (const name of watched) by.set(name, [])
  for (const entry of all.namespaces)
    if (by.has(entry.namespace)) by.set(entry.namespace, entry.proxies)
  return by
}

export function ProxiesView({ ns }: { ns?: string }) {
  const { api } = useApp()
  const [filter, setFilter] = useState('')
  const live = usePoll(
    async (signal) => {
      const readAt = new Date().toISOString()
      if (ns !== undefined) return { rows: proxyRows([await listing(api, ns, signal)]), readAt }
      // Only the namespaces someone watches: a few at a time.
      const [overview, all] = await Promise.all([
        api.json('/api/1/overview', Overview, { signal }),
        api
          .json('/api/1/proxy-status', ProxyStatusAll, { signal })
          .catch(unlessMissing<ProxyStatusAll>),
      ])
      const watched = overview.namespaces.filter((n) => n.watchers > 0).map((n) => n.namespace)
      const known = confirmationsOf(all, watched)
      const listings: Listing[] = []
      for (let i = 0; i < watched.length; i += CONCURRENCY) {
        const batch = watched
          .slice(i, i + CONCURRENCY)
          .map((n) => listing(api, n, signal, known?.get(n)))
        listings.push(...(await Promise.all(batch)))
      }
      return { rows: proxyRows(listings), readAt }
    },
    2000,
    [api, ns],
  )
  const stale = live.value !== null && live.error !== null
  return (
    <>
      {ns === undefined ? <h1>Proxies</h1> : <h2>Proxies watching {ns}</h2>}
      <ErrorNote error={live.error} what="Reading the proxies" />
      {live.value === null ? (
        live.error === null ? (
          <p class="muted">Reading the proxies…</p>
        ) : null
      ) : (
        <>
          {stale ? (
            <p class="notice stale-note" role="status">
              Not live: these are the proxies as of <TimeAgo time={live.value.readAt} /> (
              {new Date(live.value.readAt).toLocaleTimeString()}), the last time namerd answered.
            </p>
          ) : null}
          <div class="field proxies-filter">
            <label for="proxies-filter">Filter proxies</label>
            <input
              id="proxies-filter"
              type="search"
              value={filter}
              placeholder="proxy, namespace, address"
              onInput={(e) => setFilter(e.currentTarget.value)}
            />
          </div>
          <ProxyTable data={live.value.rows} ns={ns} stale={stale} filter={filter} />
        </>
      )}
    </>
  )
}

function ProxyTable(props: {
  data: ProxyRows
  ns: string | undefined
  stale: boolean
  filter: string
}) {
  const { data, ns, stale } = props
  const others =
    data.dashboards === 0
      ? null
      : `${data.dashboards} watch stream${data.dashboards === 1 ? '' : 's'} of dashboard pages not listed.`
  if (data.rows.length === 0) {
    return (
      <p class="notice">
        Nobody watches {ns === undefined ? 'any namespace' : <span class="ns">{ns}</span>} now: no
        proxy has a watch stream open to namerd. {others}
      </p>
    )
  }
  const rows = filterRows(data.rows, props.filter)
  const summary = proxySummary(data)
  return (
    <>
      <p>
        <span class={stale ? 'muted' : summary.tone}>{summary.text}</span>
        {stale ? <span class="muted"> (as of the last answer, not live)</span> : null}{' '}
        {others === null ? null : <span class="muted">{others}</span>}
      </p>
      {rows.length < data.rows.length ? (
        <p class="muted" role="status">
          {rows.length} of {data.rows.length} watch streams match “{props.filter}”.
        </p>
      ) : null}
      <div class={stale ? 'table-scroll stale' : 'table-scroll'}>
        <table aria-label="Proxies" class="proxies">
          <thead>
            <tr>
              <th scope="col">Proxy</th>
              <th scope="col">Namespace</th>
              <th scope="col">Watches</th>
              <th scope="col">Version</th>
              <th scope="col">Current</th>
              <th scope="col">Last update sent</th>
              <th scope="col">Connected since</th>
              <th scope="col">Stream</th>
              <th scope="col">Admin</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <Row key={r.key} row={r} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}

function Current({ row }: { row: ProxyRow }) {
  const sent = row.version === null ? null : versionName(row.version)
  const c = row.confirm
  if (c === null) return <span class="warn">no</span>
  if (c.state === 'confirmed')
    return (
      <>
        <span class="ok">yes</span> <span class="muted">confirmed {sent}</span>
      </>
    )
  if (c.state === 'contradicted')
    return (
      <>
        <span class="bad">no</span>{' '}
        <span class="why">
          sent {sent}, not confirmed: {c.why}
        </span>
      </>
    )
  return (
    <>
      <span class="ok">yes</span>{' '}
      <span class="muted why">
        sent {sent}, not confirmed: {c.why}
      </span>
    </>
  )
}

function Row({ row }: { row: ProxyRow }) {
  const health = streamHealth(row)
  return (
    <tr>
      <td>
        <span class="mono">{row.proxy}</span>
        {row.remote === null ? null : <div class="muted mono">{row.remote}</div>}
      </td>
      <td>
        <NamespaceLink ns={row.namespace} tab="proxies" />
      </td>
      <td>
        <span class="muted">{row.kind}</span> <code class="watch-path">{row.path}</code>
      </td>
      <td>
        {row.version === null ? (
          <span class="muted">none yet</span>
        ) : (
          <code title={row.version}>{versionName(row.version)}</code>
        )}
      </td>
      <td>
        <Current row={row} />
      </td>
      <td>
        {row.sentAt === null ? <span class="muted">never</span> : <TimeAgo time={row.sentAt} />}
      </td>
      <td>
        <TimeAgo time={row.since} />
      </td>
      <td>
        <span class={health.ok ? 'muted' : 'warn'}>{health.text}</span>
      </td>
      <td>{row.admin === null ? <span class="muted">none</span> : <code>{row.admin}</code>}</td>
    </tr>
  )
}
