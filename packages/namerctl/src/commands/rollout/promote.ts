// `namerctl rollout promote <ns> <id|prefix> [--full]`: open a gate, or end the current step as
// passed and move on; --full writes the plain new tree and ends the rollout succeeded.
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { actionOptions, queueAction } from './actions.js'

export function registerPromote(group: Command, ctx: Context): void {
  actionOptions(
    group
      .command('promote')
      .description(
        'open a gate or skip the current step; --full: all traffic to the new version now',
      )
      .argument('<ns>', 'the namespace')
      .argument('<id|prefix>', 'a rollout id, or the prefix it rolls out')
      .option('--full', 'write the plain new tree and end the rollout succeeded'),
  )
    .addHelpText(
      'after',
      [
        '',
        'At a gate (--gate-before), promote opens it; in a step, the step ends "skipped" and the',
        'next begins. Refused (exit 1) while pending or in the smoke test, and once ended.',
        'namerctl waits (up to 10 s; --no-wait: not at all) until the leader has taken the request',
        'and prints what it did; exit 1, quoting why, when the leader ignored it.',
        examples(
          'namerctl rollout promote internal /host/world',
          'namerctl rollout promote internal /host/world --full --reason "hotfix, verified by hand"',
        ),
      ].join('\n'),
    )
    .action(
      async (
        ns: string,
        which: string,
        opts: { full?: boolean; reason?: string; wait?: boolean },
        cmd: Command,
      ) => {
        await queueAction(
          ctx,
          cmd,
          ns,
          which,
          'promote',
          {
            ...(opts.reason === undefined ? {} : { why: opts.reason }),
            ...(opts.full === true ? { full: true } : {}),
          },
          opts,
        )
      },
    )
}
