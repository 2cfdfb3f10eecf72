// `namerctl history <ns>`: who changed the dtab, when, and what each change did, newest first.
// Each version is shown short and as namerd's ETag (`v2 (AAAAAAAAAAI=)`); -o json is namerd's.
// A write's why (a rollout's step and verdict) is shown under it, and the rollouts' other events
// (pause, gate, verdict) between the changes, unless --no-rollouts.
import { Dtab } from '@switchyard/dtab'
import { RolloutHistoryEntry } from '@switchyard/wire'
import { type Command, InvalidArgumentError } from 'commander'
import { z } from 'zod'
import { JSON_TYPE, type NamerdClient } from '../client.js'
import { type Context, examples } from '../context.js'
import { diffDtabs, renderChanges } from '../diff.js'
import { CliError } from '../errors.js'
import { requireNamespace } from '../missing-namespace.js'
import { formatOf, outputOption, print, table } from '../output.js'
import { type DentryJson, HistoryEntry } from '../schemas.js'
import { showVersion } from '../short-version.js'

export function registerHistory(program: Command, ctx: Context): void {
  program
    .command('history')
    .description("list a namespace's changes, newest first, with what each one changed")
    .argument('<ns>', 'the namespace')
    .option('--limit <n>', 'show at most n changes', positiveInt)
    .option(
      '--rollouts',
      "rollouts' events too (pause, gate, verdict...): the default for text; -o json adds them only with this flag",
    )
    .option('--no-rollouts', "only the dtab's changes")
    .option('--json', 'output in JSON (the same as -o json)')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'namerctl history internal',
        'namerctl history internal --limit 5',
        "namerctl history internal -o json | jq -r '.[1].version'   # the version before the current",
        'namerctl rollback internal --to v1               # or the ETag: --to AAAAAAAAAAE=',
        'namerctl history internal --rollouts -o json | jq -c \'.[] | select(.op == "rollout")\'',
      ),
    )
    .action(async (ns: string, opts: { limit?: number; rollouts?: boolean }, cmd: Command) => {
      const client = ctx.connect(cmd)
      const format = formatOf(cmd.opts())
      // Rollout events in text unless --no-rollouts; in JSON and YAML only with --rollouts, so
      // scripts that read the list of versions keep reading the list they always did.
      const withRollouts = opts.rollouts ?? format === 'text'
      // One entry more than shown, so the oldest one shown is diffed against the dtab it
      // replaced, not printed whole as if it were all new.
      const asked = opts.limit === undefined ? undefined : opts.limit + 1
      const merged: MergedEntry[] = withRollouts
        ? await historyWithRollouts(client, ns, asked)
        : await client.history(ns, asked)
      const fetched = merged.filter(isDtabEntry)
      const entries = opts.limit === undefined ? fetched : fetched.slice(0, opts.limit)
      // No history and no namespace is a typo, not a namespace nobody has changed.
      if (entries.length === 0) await requireNamespace(client, ns)
      // Rollout events older than the oldest change shown belong to the changes not shown.
      const oldest = entries.at(-1)?.time
      const shown = merged.filter((e) =>
        isDtabEntry(e) ? entries.includes(e) : oldest === undefined || e.time >= oldest,
      )
      print(ctx.io, format, withRollouts ? shown : entries, () =>
        renderHistory(ns, shown, entries, fetched, ctx),
      )
    })
}

/** A history entry: a dtab change, or (with include=rollouts) a rollout's event. */
type MergedEntry = HistoryEntry | RolloutHistoryEntry
const MergedHistory = z.array(z.union([HistoryEntry, RolloutHistoryEntry]))

function isDtabEntry(e: MergedEntry): e is HistoryEntry {
  return e.op !== 'rollout'
}

/**
 * The history with rollout events merged in, newest first. A namerd from before rollouts
 * ignores the parameter and answers the dtab history alone, which reads the same.
 */
async function historyWithRollouts(
  client: NamerdClient,
  ns: string,
  limit: number | undefined,
): Promise<MergedEntry[]> {
  const res = await client.request('GET', `/api/1/dtabs/${ns}/history`, {
    accept: JSON_TYPE,
    query: { limit: limit === undefined ? undefined : String(limit), include: 'rollouts' },
  })
  const text = await res.text()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new CliError(
      'invalid_response',
      `namerd sent the history of ${ns} as something other than JSON`,
      [text.slice(0, 200)],
    )
  }
  const parsed = MergedHistory.safeParse(value)
  if (!parsed.success) {
    throw new CliError(
      'invalid_response',
      `namerd sent the history of ${ns} in an unexpected shape`,
      [
        ...parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`),
      ],
    )
  }
  return parsed.data
}

/**
 * `shown` is the merged list printed (dtab changes and rollout events, newest first); `entries`
 * the dtab changes among them; `fetched` may hold one more, the predecessor of the last printed.
 */
function renderHistory(
  ns: string,
  shown: readonly MergedEntry[],
  entries: readonly HistoryEntry[],
  fetched: readonly HistoryEntry[],
  ctx: Context,
): string {
  if (entries.length === 0) return `No history for ${ns}.\n`
  const s = ctx.out
  let out = ''
  for (const item of shown) {
    if (!isDtabEntry(item)) {
      const e = item.event
      const at =
        e.step === null ? '' : `step ${e.step + 1}${e.weight === null ? '' : ` (${e.weight}%)`}`
      // A rollout's first event is its start (who, and the --reason), not a transition. Into a
      // step the step is the destination (`step -> step 3 (100%)`); otherwise it is where the
      // rollout was (`step -> gate, at step 3 (100%)`).
      const what =
        e.seq === 1 && e.from === 'pending' && e.to === 'pending'
          ? 'started'
          : e.to === 'step' && at !== ''
            ? `${e.from} -> ${at}`
            : `${e.from} -> ${e.to}${at === '' ? '' : `, at ${at}`}`
      out += s.cyan(`  rollout ${item.rollout}: ${what}`)
      out += ` ${item.time} ${e.who}: ${e.why}\n`
      continue
    }
    const i = entries.indexOf(item)
    const e = item
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
    if (e.why !== undefined && e.why !== null) out += s.dim(`    why: ${e.why}\n`)
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
  }
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
