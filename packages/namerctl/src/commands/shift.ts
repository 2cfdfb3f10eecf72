// `namerctl shift <ns> <prefix> <dst>=<weight>...`: the traffic shift of a blue-green rollout as
// one command. It rewrites exactly one dentry and leaves the rest of the dtab as it is, as a
// compare-and-swap that re-reads and re-applies when another writer got there first, so two
// shifts of different dentries at the same moment both land. A prefix with no dentry and a
// destination that does not resolve are refused: either would exit 0 and move no traffic.
import { type Command, InvalidArgumentError } from 'commander'
import { readModifyWrite } from '../cas.js'
import { type Context, examples } from '../context.js'
import {
  CHECK_HELP,
  forcedWarning,
  isRefused,
  refusal,
  renderResolution,
} from '../destination-guard.js'
import { diffDtabs, renderDiff } from '../diff.js'
import { CliError, HttpError } from '../errors.js'
import { prettyDtab } from '../pretty.js'
import { checkChange, type Resolution } from '../resolution.js'
import type { DentryJson } from '../schemas.js'
import {
  applyShift,
  nearestDentry,
  parseDestinations,
  readPrefix,
  type ShiftResult,
  unionOf,
} from '../shift.js'
import { showVersion } from '../short-version.js'
import { whyOption } from '../why.js'
import { RolloutApi, RolloutApiError } from './rollout/api.js'

interface Shifted extends ShiftResult {
  readonly resolution: Resolution
}

export const DEFAULT_ATTEMPTS = 5

export function registerShift(program: Command, ctx: Context): void {
  program
    .command('shift')
    .description('send the traffic of one dentry to weighted destinations (compare-and-swap)')
    .argument('<ns>', 'the namespace')
    .argument('<prefix>', 'the prefix of the dentry to rewrite, e.g. /host/world')
    .argument('<dst=weight...>', 'destinations and their relative weights, e.g. /tmp/world-v2=10')
    .option('--dry-run', 'show the diff and check the destinations, but write nothing')
    .addOption(whyOption())
    .option('--create', 'append a dentry for <prefix> if none has it (without: refused, exit 1)')
    .option(
      '--force',
      'write even if a destination does not resolve, or a rollout is active on <prefix>',
    )
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
        'last, which wins lookups). If there is none, nothing is written (exit 1) and the nearest',
        'prefix is shown; --create appends one. Weights are relative and kept as given:',
        '/a=10 /b=90 writes "10.00*/a & 90.00*/b". One destination, or a weight of 100 alone,',
        'writes a plain path; a weight of 0 drops that destination.',
        '',
        ...CHECK_HELP,
        'On success each destination is printed with what it resolves to, e.g.',
        '/tmp/world-v2 => /#/io.l5d.fs/world-v2 (2 endpoints).',
        '',
        'A prefix that a rollout is moving (namerctl rollout list) is refused (exit 1): the write',
        'would stop the rollout where it is. Abort it first (or pause it to hold its weight while',
        'you look), or give --force.',
        examples(
          'namerctl shift internal /host/world /tmp/world-v2=10 /tmp/world-v1=90   # 10% to v2',
          'namerctl shift internal /host/world /tmp/world-v2=100                    # all to v2',
          'namerctl shift internal /host/world /srv/world-v2                        # the same, plain',
          'namerctl shift internal /host/world /tmp/world-v2=50 /tmp/world-v1=50 --dry-run',
          'namerctl shift internal /host/hello /tmp/hello-v1 --create              # a new dentry',
          'namerctl shift internal /host/world /tmp/world-v3 --force               # even unresolved',
        ),
      ].join('\n'),
    )
    .action(
      async (
        ns: string,
        prefixText: string,
        dstArgs: string[],
        opts: { dryRun?: boolean; attempts?: number; create?: boolean; force?: boolean },
        cmd: Command,
      ) => {
        const prefix = readPrefix(prefixText)
        const dst = unionOf(parseDestinations(dstArgs))
        const client = ctx.connect(cmd)
        const write = opts.dryRun !== true
        if (opts.force !== true) {
          const rollout = await activeRollout(new RolloutApi(client), ns, prefix)
          if (rollout !== null) {
            const err = rolloutActive(ns, prefix, rollout)
            if (write) throw err
            ctx.io.err(`warning: ${err.message}\n`)
          }
        }
        const outcome = await readModifyWrite<Shifted | null>(
          client,
          ns,
          async (current) => {
            const result = applyShift(current.dtab, prefix, dst)
            if (result.appended && opts.create !== true) throw noDentry(ns, prefix, current.dtab)
            if (result.before === dst) return { dtab: null, result: null }
            const resolution = await checkChange(client, current.dtab, result.dtab)
            if (isRefused(resolution) && opts.force !== true) {
              throw refusal(ns, resolution, ctx.err, { dryRun: !write })
            }
            return { dtab: result.dtab, result: { ...result, resolution } }
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
            `No change: ${prefix} in ${ns} already goes to ${dst} (version ${showVersion(base.version)}).\n`,
          )
          return
        }
        if (result.appended)
          ctx.io.out(`No dentry with prefix ${prefix} in ${ns}; appending one (--create).\n`)
        if (isRefused(result.resolution)) ctx.io.err(forcedWarning(ns, result.resolution, ctx.err))
        const after = write
          ? `${ns} ${outcome.written ? showVersion(outcome.written) : '(new)'}`
          : `${ns} (after shift)`
        ctx.io.out(
          renderDiff(
            diffDtabs(base.dtab, result.dtab),
            { before: `${ns} ${showVersion(base.version)}`, after },
            ctx.out,
          ),
        )
        ctx.io.out(renderResolution(result.resolution))
        if (!write) {
          ctx.io.out('Dry run: nothing written.\n')
          return
        }
        ctx.io.out(
          `Shifted ${prefix} in ${ns}: ${result.before ?? '(new dentry)'} -> ${dst} (version ${showVersion(base.version)} -> ${outcome.written ? showVersion(outcome.written) : '?'})\n`,
        )
      },
    )
}

/** The refusal of a shift whose prefix no dentry has: the likely typo, and the way on. */
function noDentry(ns: string, prefix: string, dtab: readonly DentryJson[]): CliError {
  const near = nearestDentry(dtab, prefix)
  const details: string[] = []
  if (near === null) {
    details.push(`${ns} has no dentries.`)
  } else {
    details.push(
      `The nearest is ${near.dentry.prefix} (did you mean it?)`,
      `The dentries of ${ns}:`,
    )
    details.push(
      ...prettyDtab(dtab)
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    )
  }
  details.push(`To add a dentry for ${prefix} on purpose, run the same command with --create.`)
  return new CliError(
    'not_found',
    `no dentry in ${ns} has the prefix ${prefix}; nothing was written`,
    details,
  )
}

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1')
  return n
}

/**
 * The rollout moving `prefix`, if any. A namerd without rollouts (404 or 503 on the route, an old
 * release) has none; anything else (namerd unreachable) fails here as the shift would.
 */
async function activeRollout(
  api: RolloutApi,
  ns: string,
  prefix: string,
): Promise<{ id: string; phase: string } | null> {
  try {
    return await api.active(ns, prefix)
  } catch (err) {
    if (err instanceof RolloutApiError && (err.status === 404 || err.status === 503)) return null
    if (err instanceof HttpError && (err.status === 404 || err.status === 503)) return null
    if (err instanceof CliError && err.code === 'not_found') return null
    throw err
  }
}

function rolloutActive(ns: string, prefix: string, r: { id: string; phase: string }): CliError {
  return new CliError(
    'conflict',
    `rollout ${r.id} is moving ${prefix} in ${ns} (${r.phase}); a shift now would stop it where it is`,
    [
      `hold its weight while you look: namerctl rollout pause ${ns} ${r.id}`,
      `end it, restoring the dtab from before: namerctl rollout abort ${ns} ${r.id}`,
      'or shift anyway (the rollout then stops, leaving the dtab as you write it): add --force',
    ],
  )
}
