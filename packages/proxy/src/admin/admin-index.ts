// What the proxy's admin GET / lists: its health paths, metrics and route debugger, for someone
// who opens it in a browser (as they would Linkerd's admin dashboard on 9990) or curls it. The
// page itself is wire's indexPage, which namerd uses too.
import type { IndexEntry } from '@switchyard/wire'

export const PROXY_ADMIN_INDEX: readonly IndexEntry[] = [
  { paths: ['/admin/ping'], what: 'liveness: "pong"' },
  {
    paths: ['/admin/ready', '/ready'],
    what: 'readiness: 200 "ready" once every router has a dtab; 503 naming each one waiting, and why',
  },
  {
    paths: ['/admin/metrics/prometheus', '/metrics'],
    what: 'metrics in the Prometheus text format',
  },
  {
    paths: ['/admin/metrics.json'],
    what: "metrics in Linkerd's JSON form; ?q=rt/ for a subtree, ?pretty=true",
  },
  {
    paths: ['/admin/metrics/snapshot.json'],
    what: "raw counters and latency buckets per concrete client, for namerd's rollouts; ?client=<id> (repeatable) for some",
  },
  {
    paths: ['/admin/routers.json'],
    what: "each router's servers, dtab, version and interpreter state",
  },
  {
    paths: ['/delegator.json?path=/svc/<name>'],
    what: "how a name delegates through a router's dtab (&namespace=<router label>, &dtab=<extra dentries>)",
  },
]
