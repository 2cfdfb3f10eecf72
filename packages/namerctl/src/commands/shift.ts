// `namerctl shift <ns> <prefix> <dst>=<weight>...`: the traffic shift of a blue-green rollout as
// one command. It rewrites exactly one dentry and leaves the rest of the dtab as it is, as a
// compare-and-swap that re-reads and re-applies when another writer got there first, so two
// shifts of different dentries at the same moment both land.
import { type Command, InvalidArgumentError } from 'commander'
import { readModifyWrite } from '../cas.js'
import { type Context, examples } from '../context.js'
import { diffDtabs, renderDiff } from '../diff.js'
import { applyShift, parseDestinations, readPrefix, type ShiftResult, unionOf } from '../shift.js'

export const DEFAULT_ATTEMPTS = 5

export function registerShift(program: Command, ctx: Context): void {
  program
    .command('shift')
    .description('send the traffic of one dentry to weighted destinations (compare-and-swap)')
    .argument('<ns>', 'the namespace')
    .argument('<prefix>', 'the prefix of the dentry to rewrite, e.g. /host/world')
    .argument('<dst=weight...>', 'destinations and their relative weights, e.g. /tmp/world-v2=10')
    .option('--dry-run', 'show the diff, but write nothing')
    .option(
      '--attempts <n>',
      `how many times to re-read and re-apply when another writer gets in between (default ${DEFAULT_ATTEMPTS})`,
      positiveInt,
    )
    .addHelpText(
      'after',
      [
        '',
        'The dentry whose prefix is exactly <prefix> gets the new destinations (of several, the',
        'last, which wins lookups); if there is none, one is appended. Weights are relative and',
        'kept as given: /a=10 /b=90 writes "10.00*/a & 90.00*/b". One destination, or a weight of',
        '100 alone, writes a plain path; a weight of 0 drops that destination.',
        examples(
          'namerctl shift internal /host/world /tmp/world-v2=10 /tmp/world-v1=90   # 10% to v2',
          'namerctl shift internal /host/world /tmp/world-v2=100                    # all to v2',
          'namerctl shift internal /host/world /srv/world-v2                        # the same, plain',
          'namerctl shift internal /host/world /tmp/world-v2=50 /tmp/world-v1=50 --dry-run',
        ),
      ].join('\n'),
    )
    .action(
      async (
        ns: string,
        prefixText: string,
        dstArgs: string[],
        opts: { dryRun?: boolean; attempts?: number },
        cmd: Command,
      ) => {
        const prefix = readPrefix(prefixText)
        const dst = unionOf(parseDestinations(dstArgs))
        const client = ctx.connect(cmd)
        const write = opts.dryRun !== true
        const outcome = await readModifyWrite<ShiftResult | null>(
          client,
          ns,
          (current) => {
            const result = applyShift(current.dtab, prefix, dst)
            return result.before === dst
              ? { dtab: null, result: null }
              : { dtab: result.dtab, result }
          },
          {
            attempts: opts.attempts ?? DEFAULT_ATTEMPTS,
            write,
            onRetry: (attempt, of) =>
              ctx.io.err(
                `${ns} changed between our read and our write (412); re-reading and re-applying (attempt ${attempt} of ${of})\n`,
              ),
          },
        )
        const { base, result } = outcome
        if (result === null) {
          ctx.io.out(
            `No change: ${prefix} in ${ns} already goes to ${dst} (version ${base.version}).\n`,
          )
          return
        }
        if (result.appended)
          ctx.io.out(`No dentry with prefix ${prefix} in ${ns}; appending one.\n`)
        const after = write ? `${ns} ${outcome.written || '(new)'}` : `${ns} (after shift)`
        ctx.io.out(
          renderDiff(
            diffDtabs(base.dtab, result.dtab),
            { before: `${ns} ${base.version}`, after },
            ctx.out,
          ),
        )
        if (!write) {
          ctx.io.out('Dry run: nothing written.\n')
          return
        }
        ctx.io.out(
          `Shifted ${prefix} in ${ns}: ${result.before ?? '(new dentry)'} -> ${dst} (version ${base.version} -> ${outcome.written || '?'})\n`,
        )
      },
    )
}

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1')
  return n
}
