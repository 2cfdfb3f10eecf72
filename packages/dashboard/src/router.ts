// Where the page is: the hash (`#/ns/default/dtab`), so namerd serves one page for every view
// and a view's address can be bookmarked or shared. Parsing never throws: an unknown hash is
// the namespaces list, with a note.
import { useEffect, useState } from 'preact/hooks'

/** The views of one namespace, in the order of its tabs. */
export const NAMESPACE_TABS = [
  'dtab',
  'delegate',
  'traffic',
  'history',
  'rollouts',
  'proxies',
] as const
export type NamespaceTab = (typeof NAMESPACE_TABS)[number]

export type Route =
  | { readonly view: 'namespaces' }
  | { readonly view: 'proxies' }
  | { readonly view: 'rollouts' }
  | {
      readonly view: 'namespace'
      readonly ns: string
      readonly tab: NamespaceTab
      readonly query: URLSearchParams
    }
  | { readonly view: 'rollout'; readonly ns: string; readonly id: string }
  | { readonly view: 'unknown'; readonly hash: string }

const isTab = (s: string): s is NamespaceTab => (NAMESPACE_TABS as readonly string[]).includes(s)

function decode(part: string): string | null {
  try {
    return decodeURIComponent(part)
  } catch {
    return null
  }
}

export function parseHash(hash: string): Route {
  const [pathPart = '', queryPart = ''] = hash.replace(/^#/, '').split('?', 2)
  const parts = pathPart
    .split('/')
    .filter((p) => p !== '')
    .map(decode)
  if (parts.some((p) => p === null)) return { view: 'unknown', hash }
  const [first, second, third, ...rest] = parts as string[]
  if (first === undefined || (first === 'namespaces' && second === undefined))
    return { view: 'namespaces' }
  if (first === 'proxies' && second === undefined) return { view: 'proxies' }
  if (first === 'rollouts' && second === undefined) return { view: 'rollouts' }
  if (first === 'rollouts' && second !== undefined && third !== undefined && rest.length === 0) {
    return { view: 'rollout', ns: second, id: third }
  }
  if (first === 'ns' && second !== undefined && rest.length === 0) {
    const tab = third ?? 'dtab'
    if (isTab(tab))
      return { view: 'namespace', ns: second, tab, query: new URLSearchParams(queryPart) }
  }
  return { view: 'unknown', hash }
}

/** The hash of a view; `query` only for a namespace's tab (the delegator's path and dtab). */
export function href(
  route: Exclude<Route, { view: 'unknown' }>,
  query?: Record<string, string>,
): string {
  const q = query === undefined ? '' : `?${new URLSearchParams(query).toString()}`
  switch (route.view) {
    case 'namespaces':
      return '#/namespaces'
    case 'proxies':
      return '#/proxies'
    case 'rollouts':
      return '#/rollouts'
    case 'rollout':
      return `#/rollouts/${encodeURIComponent(route.ns)}/${encodeURIComponent(route.id)}`
    case 'namespace':
      return `#/ns/${encodeURIComponent(route.ns)}/${route.tab}${q}`
  }
}

/** The current route, following the hash. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash))
  useEffect(() => {
    const follow = () => setRoute(parseHash(window.location.hash))
    window.addEventListener('hashchange', follow)
    return () => window.removeEventListener('hashchange', follow)
  }, [])
  return route
}
