// `--why TEXT` (or NAMERCTL_WHY) on the commands that write a dtab: the reason namerd records in
// the history entry's Why column beside who (header l5d-why, namerd's why-header.ts), as the
// dashboard and the rollouts do. Checked here as namerd checks it (one printable line of at most
// 512 characters), so a bad reason is a usage error before anything is sent. Not a .namerctl.yaml
// key: a reason belongs to one change, not to a directory; a pipeline sets NAMERCTL_WHY per run.
import { Option } from 'commander'
import { CliError } from './errors.js'

export const WHY_HEADER = 'l5d-why'
export const WHY_ENV = 'NAMERCTL_WHY'
/** namerd keeps at most this many characters (code points). */
export const WHY_MAX_CHARS = 512

const UNPRINTABLE = /[\p{Cc}\u2028\u2029]/u

/** The `--why` option every dtab-writing command takes. */
export function whyOption(): Option {
  return new Option(
    '--why <text>',
    `why this change: recorded in the history (namerctl history) as header ${WHY_HEADER} (default $${WHY_ENV})`,
  )
}

/** The reason to send (trimmed), undefined when none or blank; a usage error naming the problem. */
export function checkWhy(text: string | undefined, from: string): string | undefined {
  const why = text?.trim()
  if (why === undefined || why === '') return undefined
  const bad = UNPRINTABLE.exec(why)
  if (bad !== null) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
    throw new CliError(
      'usage',
      `${from} has a control character (U+${code}): a reason is one line of printable text`,
    )
  }
  const length = [...why].length
  if (length > WHY_MAX_CHARS)
    throw new CliError(
      'usage',
      `${from} is ${length} characters long; namerd keeps at most ${WHY_MAX_CHARS}: shorten it`,
    )
  return why
}

/** A header value carries bytes: the reason's UTF-8 bytes, one char per byte (namerd reads UTF-8). */
export function whyHeaderValue(why: string): string {
  return String.fromCharCode(...new TextEncoder().encode(why))
}
