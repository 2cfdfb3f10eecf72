// Which proxies watch what, at which version, and when namerd last sent them something: the
// propagation status of a change. Per namespace, its watcher listing; globally, the listings of
// every namespace someone watches (the overview says which), read every 2 s.
import { Overview, type Watcher, Watchers } from '@switchyard/wire'
import { usePoll } from '../api/live.js'
import { ErrorNote } from '../components/error-note.js'
import { TimeAgo } from '../components/time-ago.js'
import { useApp } from '../context.js'
import { versionName } from '../history/version.js'
import { type ProxyRow, type ProxyRows, proxyRows } from '../proxies/rows.js'
import { href } from '../router.js'

/** Watcher listings read at once on the global page. */
const CONCURRENCY = 6

export function ProxiesView({ ns }: { ns?: string }) {
  const { api } = useApp()
  const live = usePoll(
    async (signal) => {
      const listing = (name: string) =>
        api.json(`/api/1/dtabs/${encodeURIComponent(name)}/watchers`, Watchers, { signal })
      if (ns !== undefined) return proxyRows([await listing(ns)])
      // Only the namespaces someone watches: one request each, a few at a time.
      const overview = await api.json('/api/1/overview', Overview, { signal })
      const watched = overview.namespaces.filter((n) => n.watchers > 0).map((n) => n.namespace)
      const listings: { namespace: string; watchers: readonly Watcher[] }[] = []
      for (let i = 0; i < watched.length; i += CONCURRENCY) {
        listings.push(...(await Promise.all(watched.slice(i, i + CONCURRENCY).map(listing))))
      }
      return proxyRows(listings)
    },
    2000,
    [api, ns],
  )
  return (
    <>
      {ns === undefined ? <h1>Proxies</h1> : <h2>Proxies watching {ns}</h2>}
      <ErrorNote error={live.error} what="Reading the proxies" />
      {live.value === null ? (
        live.error === null ? (
          <p class="muted">Reading the proxies…</p>
        ) : null
      ) : (
        <ProxyTable data={live.value} ns={ns} />
      )}
    </>
  )
}

function ProxyTable({ data, ns }: { data: ProxyRows; ns: string | undefined }) {
  const { rows } = data
  const others =
    data.dashboards === 0
      ? null
      : `${data.dashboards} watch stream${data.dashboards === 1 ? '' : 's'} of dashboard pages not listed.`
  if (rows.length === 0) {
    return (
      <p class="notice">
        No proxy watches {ns === undefined ? 'any namespace' : <span class="ns">{ns}</span>} now. A
        proxy shows here while its watch stream to namerd is open. {others}
      </p>
    )
  }
  const behind = rows.length - data.current
  return (
    <>
      <p>
        {rows.length} watch stream{rows.length === 1 ? '' : 's'} from {data.proxies} prox
        {data.proxies === 1 ? 'y' : 'ies'}:{' '}
        {behind === 0 ? (
          <span class="ok">all at the current version</span>
        ) : (
          <span class="warn">
            {behind} not at the current version (yet, or stuck: see Last heard)
          </span>
        )}
        . {others === null ? null : <span class="muted">{others}</span>}
      </p>
      <table aria-label="Proxies" class="proxies">
        <thead>
          <tr>
            <th scope="col">Proxy</th>
            <th scope="col">Namespace</th>
            <th scope="col">Watches</th>
            <th scope="col">Version</th>
            <th scope="col">Current</th>
            <th scope="col">Last heard</th>
            <th scope="col">Admin</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <Row key={r.key} row={r} />
          ))}
        </tbody>
      </table>
    </>
  )
}

function Row({ row }: { row: ProxyRow }) {
  return (
    <tr>
      <td>
        <span class="mono">{row.proxy}</span>
        {row.remote === null ? null : <div class="muted mono">{row.remote}</div>}
      </td>
      <td>
        <a
          class="ns"
          href={href({
            view: 'namespace',
            ns: row.namespace,
            tab: 'proxies',
            query: new URLSearchParams(),
          })}
        >
          {row.namespace}
        </a>
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
      <td>{row.current ? <span class="ok">yes</span> : <span class="warn">no</span>}</td>
      <td>
        {row.sentAt === null ? <span class="muted">never</span> : <TimeAgo time={row.sentAt} />}
      </td>
      <td>{row.admin === null ? <span class="muted">none</span> : <code>{row.admin}</code>}</td>
    </tr>
  )
}
