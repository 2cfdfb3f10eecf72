// The page at GET / of an admin port: what the port answers, so someone who opens it in a
// browser (as they would Linkerd's admin page) or curls it finds the health paths instead of a
// 404. namerd and the proxy each list their own paths and write them alike: HTML for a browser
// (its Accept has text/html), plain text otherwise. Until a dashboard replaces namerd's.

/** One row: the paths (a reader's form; `<ns>` marks a part to fill in) and what they answer. */
export interface IndexEntry {
  readonly paths: readonly string[]
  readonly what: string
}

const html = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

/** A path with nothing to fill in is a link; others are shown as they are. */
const link = (path: string) =>
  path.includes('<') ? `<code>${html(path)}</code>` : `<a href="${html(path)}">${html(path)}</a>`

export function indexText(title: string, entries: readonly IndexEntry[]): string {
  const width = Math.max(...entries.map((e) => e.paths.join(', ').length))
  const rows = entries.map((e) => `  ${e.paths.join(', ').padEnd(width)}  ${e.what}`)
  return `${title}\n\n${rows.join('\n')}\n`
}

export function indexHtml(title: string, entries: readonly IndexEntry[]): string {
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
  entries: readonly IndexEntry[],
  accept: string | undefined,
): { readonly type: string; readonly body: string } {
  return accept?.includes('text/html')
    ? { type: 'text/html; charset=utf-8', body: indexHtml(title, entries) }
    : { type: 'text/plain; charset=utf-8', body: indexText(title, entries) }
}
