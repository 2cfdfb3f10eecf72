// The error for a namespace that does not exist, where namerd's answer would not say so: its
// watchers route answers 200 with a null version, and delegate answers 200 with a tree over an
// empty dtab, so a typo in the namespace looked like a namespace with no routes.
import type { NamerdClient } from './client.js'
import { CliError, HttpError } from './errors.js'

/** How many existing namespaces the error lists; a long list helps nobody. */
const SHOWN = 10

/** `namespace "x" does not exist`, with the namespaces that do (if namerd lists them). */
export async function missingNamespace(client: NamerdClient, ns: string): Promise<CliError> {
  let existing: string[] | null = null
  try {
    existing = (await client.list()).sort()
  } catch {
    // The list is a hint; the error stands without it.
  }
  const details: string[] = []
  if (existing !== null && existing.length > 0) {
    const shown = existing.slice(0, SHOWN).join(', ')
    const more = existing.length > SHOWN ? ` and ${existing.length - SHOWN} more` : ''
    details.push(`namespaces that exist: ${shown}${more}`)
  } else if (existing !== null) {
    details.push('namerd has no namespaces yet')
  }
  details.push('see them with: namerctl dtab list')
  return new CliError('not_found', `namespace ${JSON.stringify(ns)} does not exist`, details)
}

/** Fails with `missingNamespace` unless `ns` exists. */
export async function requireNamespace(client: NamerdClient, ns: string): Promise<void> {
  try {
    await client.get(ns)
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) throw await missingNamespace(client, ns)
    throw err
  }
}
