// Typed errors. Each carries a stable code and the exit status it maps to: 2 for a command
// line that cannot be understood, 3 for a rollout's verdict that could not be learnt (namerd
// unreachable past --timeout), 1 for everything else. `message` is the first line printed
// (after `Error: `) and, for namerd's statuses, namerctl's exact text, so scripts that match
// it keep working; `details` are the lines that say what happened and what to do next.

export type CliErrorCode =
  | 'usage'
  | 'config'
  | 'input'
  | 'invalid_dtab'
  | 'not_found'
  | 'http'
  | 'network'
  | 'invalid_response'
  | 'conflict'
  | 'editor'
  | 'not_ready'
  | 'unresolved'
  | 'declined'
  /** A rollout ended without succeeding (rolled back, aborted, stopped): exit 1, the verdict. */
  | 'rolled_back'
  /** namerd stayed unreachable past --timeout while waiting for a verdict: exit 3. */
  | 'verdict_unknown'

export class CliError extends Error {
  override readonly name: string = 'CliError'
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message)
  }

  get exitCode(): 1 | 2 | 3 {
    if (this.code === 'usage') return 2
    return this.code === 'verdict_unknown' ? 3 : 1
  }
}

/** A command line that cannot be understood: exit status 2. */
export class UsageError extends CliError {
  override readonly name = 'UsageError'
  constructor(message: string, details: readonly string[] = []) {
    super('usage', message, details)
  }
}

/** namerd answered with a status the command did not expect. */
export class HttpError extends CliError {
  override readonly name = 'HttpError'
  constructor(
    readonly status: number,
    readonly statusText: string,
    /** namerd's error code (`version_mismatch`, ...) when its body had one. */
    readonly apiCode: string | null,
    /** namerd's message, or its text body. */
    readonly apiMessage: string | null,
    details: readonly string[] = [],
  ) {
    super(
      status === 404 ? 'not_found' : 'http',
      // namerctl's texts (namerd-wire.md §2.2), byte for byte.
      status === 404
        ? 'resource was not found by ID or name'
        : `unexpected response: ${status} ${statusText}`,
      details,
    )
  }
}

/** The text a person sees: `Error: <message>` and the details, indented. */
export function renderError(err: CliError): string {
  const lines = [`Error: ${err.message}`]
  for (const d of err.details) lines.push(...d.split('\n').map((l) => (l === '' ? '' : `  ${l}`)))
  return `${lines.join('\n')}\n`
}
