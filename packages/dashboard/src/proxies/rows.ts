// The proxies table's rows from namerd's watcher listings: one row per watch stream (a proxy
// watches a dtab, and names bound through it), the page's own streams set apart (they name
// themselves `dashboard`), sorted so one proxy's streams sit together. A row is current only if
// namerd sent it the current version AND its proxy did not contradict that: namerd reads each
// proxy's admin (GET /api/1/proxy-status/<ns>) for the version it RUNS, so a hung proxy whose
// watch stays open is not called current (audit H1). Pure: tested under node.
import type { ProxyConfirmation, Watcher } from '@switchyard/wire'

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
  /** Sent the current version, and its proxy did not contradict it. */
  readonly current: boolean
  /** What the proxy's admin says (see Confirm); null when namerd did not send the current version. */
  readonly confirm: Confirm | null
  readonly sentAt: string | null
  /** When the watch stream opened. */
  readonly since: string
  /** Updates namerd dropped for it (it read too slowly) and bytes waiting to be written to it. */
  readonly dropped: number
  readonly bufferedBytes: number
  readonly admin: string | null
}

/**
 * For a row namerd sent the current version: `confirmed`, the proxy says it routes on it;
 * `contradicted`, it says it runs an older one, or its admin did not answer (why says which);
 * `unconfirmed`, nothing to confirm with (no admin address, no router naming the namespace, not
 * read yet): the sent version stands.
 */
export interface Confirm {
  readonly state: 'confirmed' | 'contradicted' | 'unconfirmed'
  readonly why: string | null
}

/** The row's confirmation from its proxy's status (null when namerd did not send the current). */
export function confirmOf(
  w: Pick<Watcher, 'current' | 'admin'>,
  status: ProxyConfirmation | undefined,
): Confirm | null {
  if (!w.current) return null
  if (w.admin === null)
    return { state: 'unconfirmed', why: 'it named no admin address, so it cannot be asked' }
  if (status === undefined) return { state: 'unconfirmed', why: 'its admin was not read yet' }
  if (status.state === 'confirmed') return { state: 'confirmed', why: null }
  // Behind, or an admin that did not answer (it may be hung), contradicts the sent version;
  // unknown (e.g. no router on the namespace) leaves it standing.
  if (status.state === 'behind' || status.state === 'unanswered')
    return { state: 'contradicted', why: status.why }
  return { state: 'unconfirmed', why: status.why }
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
  listings: readonly {
    namespace: string
    watchers: readonly Watcher[]
    /** namerd's /api/1/proxy-status/<ns> proxies; absent: not read (an older namerd). */
    proxies?: readonly ProxyConfirmation[]
  }[],
): ProxyRows {
  const rows: ProxyRow[] = []
  let dashboards = 0
  for (const { namespace, watchers, proxies } of listings) {
    const byAdmin = new Map((proxies ?? []).map((p) => [p.admin, p]))
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
        ...currentOf(w, proxies === undefined ? undefined : byAdmin),
        sentAt: w.sentAt,
        since: w.since,
        dropped: w.dropped,
        bufferedBytes: w.bufferedBytes,
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

function currentOf(
  w: Watcher,
  byAdmin: ReadonlyMap<string, ProxyConfirmation> | undefined,
): { current: boolean; confirm: Confirm | null } {
  if (byAdmin === undefined) return { current: w.current, confirm: null }
  const confirm = confirmOf(w, w.admin === null ? undefined : byAdmin.get(w.admin))
  return { current: w.current && confirm?.state !== 'contradicted', confirm }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The rows whose proxy, remote, namespace, watched path or admin contains `filter` (any case). */
export function filterRows(rows: readonly ProxyRow[], filter: string): readonly ProxyRow[] {
  const f = filter.trim().toLowerCase()
  if (f === '') return rows
  return rows.filter((r) =>
    [r.proxy, r.remote ?? '', r.namespace, r.path, r.admin ?? ''].some((v) =>
      v.toLowerCase().includes(f),
    ),
  )
}

/** The sentence above the table, and whether it is good news (`ok`) or worth a look (`warn`). */
export function proxySummary(data: ProxyRows): { text: string; tone: 'ok' | 'warn' } {
  const n = data.rows.length
  const streams = `${n} watch stream${n === 1 ? '' : 's'} from ${data.proxies} prox${data.proxies === 1 ? 'y' : 'ies'}`
  const confirmed = data.rows.filter((r) => r.confirm?.state === 'confirmed').length
  const contradicted = data.rows.filter((r) => r.confirm?.state === 'contradicted').length
  const notSent = data.rows.filter((r) => r.confirm === null).length
  if (contradicted === 0 && notSent === 0) {
    const by =
      confirmed === n
        ? ', each confirmed by its proxy'
        : confirmed === 0
          ? ' as namerd sent it (no proxy confirmed it: see Current)'
          : ` (${confirmed} confirmed by their proxies, the others as sent)`
    return { text: `${streams}: all at the current version${by}.`, tone: 'ok' }
  }
  const parts: string[] = []
  if (contradicted > 0)
    parts.push(
      `${contradicted} sent it but not confirmed by the proxy (hung, unreachable or still switching)`,
    )
  if (notSent > 0) parts.push(`${notSent} not sent it yet`)
  return {
    text: `${streams}: ${contradicted + notSent} not at the current version: ${parts.join('; ')}.`,
    tone: 'warn',
  }
}

/** Updates dropped and bytes waiting for a stream: a slow or stuck reader, in words. */
export function streamHealth(row: Pick<ProxyRow, 'dropped' | 'bufferedBytes'>): {
  text: string
  ok: boolean
} {
  const parts: string[] = []
  if (row.dropped > 0) parts.push(`${row.dropped} update${row.dropped === 1 ? '' : 's'} dropped`)
  if (row.bufferedBytes > 0) parts.push(`${bytes(row.bufferedBytes)} waiting to be sent`)
  return parts.length === 0
    ? { text: 'no drops, nothing waiting', ok: true }
    : { text: parts.join(', '), ok: false }
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}
