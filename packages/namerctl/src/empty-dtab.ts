// A dtab write with no dentries: an empty file, a file of comments, `printf '' | ... -`. namerd
// takes it (and Linkerd's namerd did), and every router watching the namespace loses all its
// routes at once, so an empty stdin in a pipeline would exit 0 having removed everything. It is
// refused unless --allow-empty says the empty dtab is meant (it remains possible: a namespace
// kept with no routes).
import { CliError } from './errors.js'
import { prettyDtab } from './pretty.js'
import type { DentryJson } from './schemas.js'

export const ALLOW_EMPTY_HELP = 'write a dtab with no dentries (without: refused, exit 1)'

/** Throws unless `dtab` has dentries or `allowEmpty`; `current` is what an update would remove. */
export function refuseEmpty(
  ns: string,
  source: string,
  dtab: readonly DentryJson[],
  current: readonly DentryJson[] | null,
  allowEmpty: boolean | undefined,
): void {
  if (dtab.length > 0 || allowEmpty === true) return
  const from = source === '-' ? 'standard input' : source
  const details: string[] = []
  if (current !== null && current.length > 0) {
    details.push(
      `It would remove every dentry of ${ns}, and routers watching ${ns} would lose these routes:`,
      ...prettyDtab(current)
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    )
  }
  details.push(
    `Check the input. To write an empty dtab on purpose, run the same command with --allow-empty.`,
  )
  throw new CliError('input', `the dtab from ${from} has no dentries; nothing written`, details)
}
