// Namespace names. They become file names (file store) and key suffixes (etcd), so the rule is
// strict: nothing that can climb out of a directory, add a path level or need escaping.
import { InvalidNamespaceError } from './store.js'

export const NAMESPACE_MAX_LENGTH = 253

/** The rule, as error messages state it. */
export const NAMESPACE_RULE =
  "a namespace is 1 to 253 characters, each an ASCII letter, a digit, '-', '_' or '.', and is not '.' or '..'"

const PATTERN = /^[A-Za-z0-9._-]{1,253}$/

export function isValidNamespace(namespace: string): boolean {
  return PATTERN.test(namespace) && namespace !== '.' && namespace !== '..'
}

/** Returns the namespace, or throws InvalidNamespaceError stating the rule. */
export function checkNamespace(namespace: string): string {
  if (typeof namespace !== 'string' || !isValidNamespace(namespace)) {
    throw new InvalidNamespaceError(String(namespace))
  }
  return namespace
}
