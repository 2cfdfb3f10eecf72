// Namespace names. They become file names (file store) and key suffixes (etcd), so the rule is
// strict: nothing that can climb out of a directory, add a path level or need escaping. A
// backend may narrow it (Kubernetes object names are lowercase DNS subdomains): the rule is a
// property of the store (`store.namespaceRule`), and its errors state the rule that applies.
import { InvalidNamespaceError } from './store.js'

/** Which namespace names a store accepts, and how its errors state the rule. */
export interface NamespaceRule {
  /** The rule as error messages state it. */
  readonly text: string
  test(namespace: string): boolean
}

export const NAMESPACE_MAX_LENGTH = 253

/** The rule, as error messages state it. */
export const NAMESPACE_RULE =
  "a namespace is 1 to 253 characters, each an ASCII letter, a digit, '-', '_' or '.', and is not '.' or '..'"

const PATTERN = /^[A-Za-z0-9._-]{1,253}$/

export function isValidNamespace(namespace: string): boolean {
  return PATTERN.test(namespace) && namespace !== '.' && namespace !== '..'
}

/** The rule of the memory, file and etcd stores (and of namerd's API). */
export const DEFAULT_NAMESPACE_RULE: NamespaceRule = {
  text: NAMESPACE_RULE,
  test: isValidNamespace,
}

/** Returns the namespace, or throws InvalidNamespaceError stating the rule. */
export function checkNamespace(
  namespace: string,
  rule: NamespaceRule = DEFAULT_NAMESPACE_RULE,
): string {
  if (typeof namespace !== 'string' || !rule.test(namespace)) {
    throw new InvalidNamespaceError(String(namespace), rule.text)
  }
  return namespace
}

/** The rule a store applies: its own, or the default. */
export function namespaceRuleOf(store: { readonly namespaceRule?: NamespaceRule }): NamespaceRule {
  return store.namespaceRule ?? DEFAULT_NAMESPACE_RULE
}
