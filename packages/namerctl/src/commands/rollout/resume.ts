// `namerctl rollout resume <ns> <id|prefix> [--reason]`: carry on a paused rollout (the current step is measured again from now).
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { actionOptions, queueAction } from './actions.js'

export function registerResume(group: Command, ctx: Context): void {
  actionOptions(
    group
      .command('resume')
      .description('carry on a paused rollout (the current step is measured again from now)')
      .argument('<ns>', 'the namespace')
      .argument('<id|prefix>', 'a rollout id, or the prefix it rolls out'),
  )
    .addHelpText(
      'after',
      [
        '',
        "The current step's window starts again from now.",
        'namerctl waits (up to 10 s; --no-wait: not at all) until the leader has taken the request',
        'and prints what it did. Exit 1 when refused or ignored (the rollout ended first, or was',
        'already in that state), quoting why.',
        examples(
          'namerctl rollout resume internal /host/world --reason "checking the dashboards"',
          'namerctl rollout resume internal world-20261205t044812-7f3a',
        ),
      ].join('\n'),
    )
    .action(
      async (
        ns: string,
        which: string,
        opts: { reason?: string; wait?: boolean },
        cmd: Command,
      ) => {
        await queueAction(
          ctx,
          cmd,
          ns,
          which,
          'resume',
          {
            ...(opts.reason === undefined ? {} : { why: opts.reason }),
          },
          opts,
        )
      },
    )
}
