// What namerd's GET / lists: the paths this port answers, for someone who opens it in a browser
// (as they would Linkerd's admin page) or curls it. The page itself is wire's indexPage, which
// the proxy's admin port uses too.
import type { IndexEntry } from '@switchyard/wire'

export const NAMERD_INDEX: readonly IndexEntry[] = [
  { paths: ['/admin/ping'], what: 'liveness: "pong"' },
  {
    paths: ['/ready', '/admin/ready'],
    what: 'readiness: 200 "ready" (or ready, stale/degraded, with why); 503 with the reason',
  },
  {
    paths: ['/metrics', '/admin/metrics/prometheus'],
    what: 'metrics in the Prometheus text format',
  },
  { paths: ['/api/1/dtabs'], what: 'the dtab namespaces (JSON)' },
  {
    paths: ['/api/1/dtabs/<ns>'],
    what: "a namespace's dtab, its version in the ETag; ?watch=1 streams changes",
  },
  { paths: ['/api/1/dtabs/<ns>/history'], what: 'every version written, with who and when' },
  { paths: ['/api/1/dtabs/<ns>/watchers'], what: 'who watches the namespace, at which version' },
  {
    paths: ['/api/1/proxy-status/<ns>'],
    what: "whether each proxy runs the current version (read from the proxy's admin)",
  },
  { paths: ['/api/1/proxy-status'], what: 'the same for every namespace a proxy watches, at once' },
  {
    paths: ['/api/1/delegate/<ns>?path=/svc/<name>'],
    what: 'how a name delegates through the dtab, step by step',
  },
  { paths: ['/api/1/bind/<ns>?path=/svc/<name>'], what: 'the name bound, as a tree' },
  { paths: ['/api/1/resolve/<ns>?path=/svc/<name>'], what: 'the addresses a name resolves to' },
  { paths: ['/api/1/whoami'], what: "this caller's scope (the dashboard's first question)" },
  {
    paths: ['/api/1/overview'],
    what: 'every namespace: version, last change, proxies current, active rollouts',
  },
  {
    paths: ['/api/1/traffic/<ns>?path=/svc/<name>'],
    what: "the measured split across destinations beside the dtab's weights",
  },
]

/**
 * The index with the dashboard first when namerd serves it (audit16b L5: at another path, e.g.
 * /dashboard/, nothing at namerd's root led to it). `dashboardPath` null: off.
 */
export function namerdIndex(dashboardPath: string | null): readonly IndexEntry[] {
  if (dashboardPath === null) return NAMERD_INDEX
  return [
    { paths: [dashboardPath], what: "the dashboard: namerd's page for a browser" },
    ...NAMERD_INDEX,
  ]
}
