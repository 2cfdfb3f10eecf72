// `namerctl rollout pause <ns> <id|prefix> [--reason]`: stop a rollout where it is: the weight stays, analysis stops.
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { actionOptions, queueAction } from './actions.js'

export function registerPause(group: Command, ctx: Context): void {
  actionOptions(
    group
      .command('pause')
      .description('stop a rollout where it is: the weight stays, analysis stops')
      .argument('<ns>', 'the namespace')
      .argument('<id|prefix>', 'a rollout id, or the prefix it rolls out'),
  )
    .addHelpText(
      'after',
      [
        '',
        'The weight of the current step stays and nothing is judged until resume.',
        'namerctl waits (up to 10 s; --no-wait: not at all) until the leader has taken the request',
        'and prints what it did. Exit 1 when refused or ignored (the rollout ended first, or was',
        'already in that state), quoting why.',
        examples(
          'namerctl rollout pause internal /host/world --reason "checking the dashboards"',
          'namerctl rollout pause internal world-20261205t044812-7f3a',
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
          'pause',
          {
            ...(opts.reason === undefined ? {} : { why: opts.reason }),
          },
          opts,
        )
      },
    )
}
