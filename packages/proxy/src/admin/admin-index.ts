// GET /: what the admin port answers, so someone who opens it in a browser (as they would
// Linkerd's admin dashboard on 9990) or curls it finds the health paths, the metrics and the
// route debugger instead of a 404. HTML for a browser (its Accept has text/html), plain text
// otherwise. Until a dashboard replaces it. (namerd's GET / is the same, with its own list.)
interface Entry {
  /** Paths as a reader writes them; `<name>` marks a part to fill in. */
  readonly paths: readonly string[]
  readonly what: string
}

export const PROXY_ADMIN_INDEX: readonly Entry[] = [
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
    paths: ['/admin/routers.json'],
    what: "each router's servers, dtab, version and interpreter state",
  },
  {
    paths: ['/delegator.json?path=/svc/<name>'],
    what: "how a name delegates through a router's dtab (&namespace=<router label>, &dtab=<extra dentries>)",
  },
]

const html = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

/** A path with nothing to fill in is a link; others are shown as they are. */
const link = (path: string) =>
  path.includes('<') ? `<code>${html(path)}</code>` : `<a href="${html(path)}">${html(path)}</a>`

export function indexText(title: string, entries: readonly Entry[]): string {
  const width = Math.max(...entries.map((e) => e.paths.join(', ').length))
  const rows = entries.map((e) => `  ${e.paths.join(', ').padEnd(width)}  ${e.what}`)
  return `${title}\n\n${rows.join('\n')}\n`
}

export function indexHtml(title: string, entries: readonly Entry[]): string {
  const rows = entries
    .map((e) => `<tr><td>${e.paths.map(link).join('<br>')}</td><td>${html(e.what)}</td></tr>`)
    .join('\n')
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${html(title)}</title></head>
<body><h1>${html(title)}</h1>
<table>
${rows}
</table></body></html>
`
}

/** The page for a request's Accept header: HTML for a browser, plain text otherwise. */
export function indexPage(
  title: string,
  entries: readonly Entry[],
  accept: string | undefined,
): { readonly type: string; readonly body: string } {
  return accept?.includes('text/html')
    ? { type: 'text/html; charset=utf-8', body: indexHtml(title, entries) }
    : { type: 'text/plain; charset=utf-8', body: indexText(title, entries) }
}
