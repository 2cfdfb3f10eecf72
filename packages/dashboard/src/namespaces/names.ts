// What the namespaces page says in words: whether a name can be a namespace (before namerd is
// asked, so the form can say what to fix as one types) and how many proxies have the current
// version. Pure: tested under node.

/**
 * The rule of namerd's memory, file and etcd stores (@switchyard/store's NAMESPACE_RULE, which
 * the page cannot import: it is node code). A Kubernetes store is narrower; namerd's answer
 * then says so, and the form shows it.
 */
export const NAMESPACE_RULE =
  "1 to 253 characters, each an ASCII letter, a digit, '-', '_' or '.', and is not '.' or '..'"

const PATTERN = /^[A-Za-z0-9._-]{1,253}$/

/** Why `name` cannot be a namespace, or null when it can. */
export function namespaceProblem(name: string): string | null {
  if (name === '') return 'Give the namespace a name.'
  if (name.length > 253) return `The name is ${name.length} characters long; at most 253.`
  if (name === '.' || name === '..') return `"${name}" cannot be a namespace name.`
  if (!PATTERN.test(name)) {
    const bad = [...name].find((c) => !/^[A-Za-z0-9._-]$/.test(c)) ?? ''
    const shown = bad.trim() === '' ? `a space or control character` : `"${bad}"`
    return `The name holds ${shown}; a namespace is ${NAMESPACE_RULE}.`
  }
  return null
}

/**
 * `2 of 3 current`: of the watch streams on the namespace, those at its current version (sent,
 * and confirmed by the proxies namerd can ask). None at all is said in words: `nobody watches`
 * is worth noticing, unlike `0 of 0 current` which looked like all is well.
 */
export function proxiesText(watchers: number, current: number): string {
  if (watchers === 0) return 'nobody watches'
  return `${Math.min(current, watchers)} of ${watchers} current`
}

/** The namespaces whose name contains `filter` (any case; blanks around it ignored). */
export function filterNamespaces<T extends { namespace: string }>(
  list: readonly T[],
  filter: string,
): readonly T[] {
  const f = filter.trim().toLowerCase()
  return f === '' ? list : list.filter((n) => n.namespace.toLowerCase().includes(f))
}

/** Some proxy is behind (a change has not reached it yet, or it is stuck). */
export function proxiesBehind(watchers: number, current: number): boolean {
  return current < watchers
}
