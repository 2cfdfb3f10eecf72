// `namerctl history <ns>`: who changed the dtab, when, and what each change did, newest first.
// Each version is shown short and as namerd's ETag (`v2 (AAAAAAAAAAI=)`); -o json is namerd's.
import { Dtab } from '@switchyard/dtab'
import { type Command, InvalidArgumentError } from 'commander'
import { type Context, examples } from '../context.js'
import { diffDtabs, renderChanges } from '../diff.js'
import { requireNamespace } from '../missing-namespace.js'
import { formatOf, outputOption, print, table } from '../output.js'
import type { DentryJson, HistoryEntry } from '../schemas.js'
import { showVersion } from '../short-version.js'

export function registerHistory(program: Command, ctx: Context): void {
  program
    .command('history')
    .description("list a namespace's changes, newest first, with what each one changed")
    .argument('<ns>', 'the namespace')
    .option('--limit <n>', 'show at most n changes', positiveInt)
    .option('--json', 'output in JSON (the same as -o json)')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'namerctl history internal',
        'namerctl history internal --limit 5',
        "namerctl history internal -o json | jq -r '.[1].version'   # the version before the current",
        'namerctl rollback internal --to v1               # or the ETag: --to AAAAAAAAAAE=',
      ),
    )
    .action(async (ns: string, opts: { limit?: number }, cmd: Command) => {
      const client = ctx.connect(cmd)
      // One entry more than shown, so the oldest one shown is diffed against the dtab it
      // replaced, not printed whole as if it were all new.
      const fetched = await client.history(
        ns,
        opts.limit === undefined ? undefined : opts.limit + 1,
      )
      const entries = opts.limit === undefined ? fetched : fetched.slice(0, opts.limit)
      // No history and no namespace is a typo, not a namespace nobody has changed.
      if (entries.length === 0) await requireNamespace(client, ns)
      print(ctx.io, formatOf(cmd.opts()), entries, () => renderHistory(ns, entries, fetched, ctx))
    })
}

/** `entries` are printed; `fetched` may hold one more, the predecessor of the last printed. */
function renderHistory(
  ns: string,
  entries: readonly HistoryEntry[],
  fetched: readonly HistoryEntry[],
  ctx: Context,
): string {
  if (entries.length === 0) return `No history for ${ns}.\n`
  const s = ctx.out
  let out = ''
  entries.forEach((e, i) => {
    const older = fetched[i + 1]
    const row = table([
      [
        s.yellow(showVersion(e.version)),
        e.op,
        e.time,
        e.who ?? '-',
        i === 0 && e.op !== 'delete' ? s.green('(current)') : '',
      ],
    ])
    out += row
    const before = older === undefined || older.version !== e.previous ? null : dentries(older.dtab)
    const after = dentries(e.dtab)
    if (e.op === 'delete') {
      out += s.red('    (deleted)\n')
    } else if (before === null && e.previous !== null) {
      // The change before this one is no longer in namerd's history: show this version's
      // dtab, said as such, or it reads as a write that changed nothing.
      out += s.dim("    (earlier versions not in the history; this version's dtab:)\n")
      out +=
        after.length === 0
          ? s.dim('      (empty dtab)\n')
          : after.map((d) => s.dim(`      ${d.prefix} => ${d.dst}\n`)).join('')
    } else if (e.previous === null && after.length === 0) {
      out += s.dim('    (empty dtab)\n')
    } else {
      out += renderChanges(diffDtabs(before ?? [], after), s) || s.dim('    (no change)\n')
    }
  })
  return out
}

function dentries(text: string | null): DentryJson[] {
  if (text === null) return []
  try {
    return Dtab.toJson(Dtab.read(text))
  } catch {
    return [{ prefix: '(unreadable)', dst: text }]
  }
}

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1')
  return n
}
