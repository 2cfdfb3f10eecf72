// The proxies table's rows from namerd's watcher listings: one row per watch stream (a proxy
// watches a dtab, and names bound through it), the page's own streams set apart (they name
// themselves `dashboard`), sorted so one proxy's streams sit together. Pure: tested under node.
import type { Watcher } from '@switchyard/wire'

/** The id the dashboard's own watch streams send (api/watch.ts, header l5d-watcher-id). */
export const DASHBOARD_WATCHER_ID = 'dashboard'

export interface ProxyRow {
  /** Unique key: namespace and stream number. */
  readonly key: string
  /** The proxy as it named itself, or its remote address. */
  readonly proxy: string
  /** Its remote address when it also named itself (shown beside the name). */
  readonly remote: string | null
  readonly namespace: string
  readonly kind: string
  readonly path: string
  readonly version: string | null
  readonly current: boolean
  readonly sentAt: string | null
  readonly admin: string | null
}

export interface ProxyRows {
  readonly rows: readonly ProxyRow[]
  /** Distinct proxies (by name, or remote address) among the rows. */
  readonly proxies: number
  /** Rows at their namespace's current version. */
  readonly current: number
  /** Streams of dashboard pages, left out of the rows. */
  readonly dashboards: number
}

export function proxyRows(
  listings: readonly { namespace: string; watchers: readonly Watcher[] }[],
): ProxyRows {
  const rows: ProxyRow[] = []
  let dashboards = 0
  for (const { namespace, watchers } of listings) {
    for (const w of watchers) {
      if (w.id === DASHBOARD_WATCHER_ID) {
        dashboards++
        continue
      }
      rows.push({
        key: `${namespace}#${w.stream}`,
        proxy: w.id ?? w.remote,
        remote: w.id === null ? null : w.remote,
        namespace,
        kind: w.kind,
        path: w.path,
        version: w.version,
        current: w.current,
        sentAt: w.sentAt,
        admin: w.admin,
      })
    }
  }
  rows.sort(
    (a, b) =>
      cmp(a.proxy, b.proxy) ||
      cmp(a.namespace, b.namespace) ||
      cmp(a.kind, b.kind) ||
      cmp(a.path, b.path) ||
      cmp(a.key, b.key),
  )
  return {
    rows,
    proxies: new Set(rows.map((r) => r.proxy)).size,
    current: rows.filter((r) => r.current).length,
    dashboards,
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
