// Which services the traffic view asks about: namerd's default (the dtab's prefixes under
// `/svc/`) unless the page's address names paths (`#/ns/x/traffic?path=/svc/a&path=/svc/b`),
// so a view of chosen services can be bookmarked. A path typed into the form is checked with the
// same parser namerd uses before it goes anywhere. Pure: tested under node.
import { Path } from '@switchyard/dtab'

/** namerd takes at most this many `path` parameters in one traffic request. */
export const MAX_PATHS = 20

export type PathCheck =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly message: string }

/** A path as typed: trimmed, parsed as a dtab path (`/svc/world`); the message says what to fix. */
export function checkPath(typed: string): PathCheck {
  const text = typed.trim()
  if (text === '') return { ok: false, message: 'Give a service path, e.g. /svc/world' }
  if (text.includes('*')) {
    return {
      ok: false,
      message: `${text} has a wildcard: traffic is shown per service, so give each one whole, e.g. /svc/world`,
    }
  }
  try {
    Path.read(text)
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    return { ok: false, message: `${text} is not a path: ${why}` }
  }
  if (text === '/') return { ok: false, message: 'Give a service path below /, e.g. /svc/world' }
  return { ok: true, path: text }
}

/** The paths the address names: each at most once, in order, only those that parse, at most MAX_PATHS. */
export function pathsOf(query: URLSearchParams): string[] {
  const out: string[] = []
  for (const p of query.getAll('path')) {
    const c = checkPath(p)
    if (c.ok && !out.includes(c.path) && out.length < MAX_PATHS) out.push(c.path)
  }
  return out
}

/**
 * Why the address's paths that pathsOf leaves out were left out, one sentence each (a path that
 * does not parse, a wildcard, one past MAX_PATHS), so nothing in the address is dropped silently.
 */
export function refusedPaths(query: URLSearchParams): string[] {
  const out: string[] = []
  const kept: string[] = []
  for (const p of query.getAll('path')) {
    const c = checkPath(p)
    if (!c.ok) out.push(c.message)
    else if (kept.includes(c.path)) continue
    else if (kept.length >= MAX_PATHS) out.push(`${c.path}: at most ${MAX_PATHS} services at once`)
    else kept.push(c.path)
  }
  return out
}

/**
 * The paths to show after adding `path` to those shown now (the defaults namerd chose, or the
 * address's): appended unless already there. null when there would be more than MAX_PATHS.
 */
export function withPath(shown: readonly string[], path: string): string[] | null {
  if (shown.includes(path)) return [...shown]
  if (shown.length >= MAX_PATHS) return null
  return [...shown, path]
}

/** The paths without one (a service the user stops showing). */
export function withoutPath(shown: readonly string[], path: string): string[] {
  return shown.filter((p) => p !== path)
}

/** The query of the view's address for these paths (`path=%2Fsvc%2Fa&path=...`); empty: the defaults. */
export function pathsQuery(paths: readonly string[]): string {
  const q = new URLSearchParams()
  for (const p of paths) q.append('path', p)
  return q.toString()
}

/** namerd's traffic endpoint for the namespace and paths (none: namerd's defaults). */
export function trafficUrl(ns: string, paths: readonly string[]): string {
  const q = pathsQuery(paths)
  return `/api/1/traffic/${encodeURIComponent(ns)}${q === '' ? '' : `?${q}`}`
}
