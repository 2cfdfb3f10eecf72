// GET /: what this port answers, so someone who opens it in a browser (as they would Linkerd's
// admin page) or curls it finds the health paths and the API instead of a 404. HTML for a
// browser (its Accept has text/html), plain text otherwise. Until a dashboard replaces it.
interface Entry {
  /** Paths as a reader writes them; `<ns>` marks a part to fill in. */
  readonly paths: readonly string[]
  readonly what: string
}

export const NAMERD_INDEX: readonly Entry[] = [
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
    paths: ['/api/1/delegate/<ns>?path=/svc/<name>'],
    what: 'how a name delegates through the dtab, step by step',
  },
  { paths: ['/api/1/bind/<ns>?path=/svc/<name>'], what: 'the name bound, as a tree' },
  { paths: ['/api/1/resolve/<ns>?path=/svc/<name>'], what: 'the addresses a name resolves to' },
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
