// `--version` on dtab update and delete: the If-Match of a compare-and-swap. Sent as typed, a
// `6` or a `v6` is no ETag namerd ever gave, so namerd answers 412 and the message blames a
// writer that does not exist. So the flag is read the way `rollback --to` reads its argument:
// `v6` (any case) is looked up in the namespace's history, an ETag is taken as it is, and
// anything else is a usage error naming both forms, before anything is sent.
import type { NamerdClient } from './client.js'
import { CliError, HttpError, UsageError } from './errors.js'
import { requireNamespace } from './missing-namespace.js'
import { bareEtag, isEtag, isShortVersion, parseVersionArg, showVersion } from './short-version.js'

/** Fails (exit 2) on text that is neither `vN` nor an ETag; no network. */
export function checkVersionForm(text: string, flag = '--version'): void {
  if (isShortVersion(text) || isEtag(text)) return
  throw new UsageError(`${flag} ${JSON.stringify(text)} is not a version`, [
    'give the short form v<N> (e.g. v6) or the ETag (e.g. AAAAAAAAAAY=), as `namerctl history <ns>` shows them: v6 (AAAAAAAAAAY=)',
  ])
}

/** The ETag a `--version` flag means for `ns`. */
export async function resolveVersionFlag(
  client: NamerdClient,
  ns: string,
  text: string,
  flag = '--version',
): Promise<string> {
  checkVersionForm(text, flag)
  if (!isShortVersion(text)) return bareEtag(text)
  const history = await client.history(ns)
  // No history may be no namespace: a typo in the name, not a version nobody can tell.
  if (history.length === 0) await requireNamespace(client, ns)
  const etag = parseVersionArg(text, history)
  const known = history.some((e) => e.version === etag || e.previous === etag)
  if (!known) {
    const now = history[0]
    throw new CliError('not_found', `${ns} has no version ${text.trim()}; nothing was written`, [
      now === undefined
        ? `${ns} has no history`
        : now.op === 'delete'
          ? `${ns} was deleted at ${showVersion(now.version)}`
          : `${ns} is at ${showVersion(now.version)}`,
      `see its versions with: namerctl history ${ns}`,
    ])
  }
  return etag
}

/** Where `ns` is now, and whether `version` is one it ever had; each part null if unknown. */
interface VersionStanding {
  /** `internal is at v3 (...)`, or '' when namerd could not say. */
  readonly where: string
  readonly known: boolean
}

async function standing(
  client: NamerdClient,
  ns: string,
  version: string,
): Promise<VersionStanding> {
  let current: string | null = null
  try {
    current = showVersion((await client.get(ns)).version)
  } catch {
    // The first line stands without where it is now.
  }
  let known = true
  try {
    known = (await client.history(ns)).some((e) => e.version === version || e.previous === version)
  } catch {
    // Without the history, namerd's 412 is all there is to go by.
  }
  return { where: current === null ? '' : `${ns} is at ${current}`, known }
}

function unknownVersion(ns: string, version: string, where: string, verb: string): CliError {
  return new CliError(
    'not_found',
    `${ns} has no version ${version} in its history; nothing ${verb}`,
    [...(where === '' ? [] : [where]), `see its versions with: namerctl history ${ns}`],
  )
}

/**
 * A 412 for a write made with `--version`. If the version is one the namespace had, it has moved
 * on since: kept as namerd's 412 (scripts match `unexpected response: 412 Precondition Failed`),
 * with both versions shown short. If it never had that version (an ETag-shaped typo), it is no
 * conflict with anyone, and is not reported as one.
 */
export async function staleVersion(
  err: HttpError,
  client: NamerdClient,
  ns: string,
  version: string,
): Promise<CliError> {
  const { where, known } = await standing(client, ns, version)
  if (!known) return unknownVersion(ns, version, where, 'was written')
  return new HttpError(err.status, err.statusText, err.apiCode, err.apiMessage, [
    `${ns} is no longer at version ${showVersion(version)} (--version)${where === '' ? '' : `; ${where.replace(`${ns} `, 'it ')}`}. Nothing was written.`,
    `Someone changed it since that version: look at \`namerctl history ${ns}\`, then retry with the current version.`,
  ])
}

/**
 * What a dry run says of a write based on `version` when `ns` is at `current`: the refusal the
 * real write would meet (judged as staleVersion judges namerd's 412), so it exits 1 too.
 */
export async function dryRunRefusal(
  client: NamerdClient,
  ns: string,
  version: string,
  current: string,
): Promise<CliError> {
  const { where, known } = await standing(client, ns, version)
  if (!known) return unknownVersion(ns, version, where, 'would be written')
  return new CliError(
    'conflict',
    `the update would fail with 412: it is based on version ${showVersion(version)}, but ${ns} is at ${showVersion(current)}`,
    [
      'Dry run: nothing written.',
      `Someone changed it since that version: look at \`namerctl history ${ns}\`, then base the update on the current version.`,
    ],
  )
}
