// `namerctl rollout abort <ns> <id|prefix> [--reason]`: end a rollout; the dtab goes back to how
// it was before it.
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { actionOptions, queueAction } from './actions.js'

export function registerAbort(group: Command, ctx: Context): void {
  actionOptions(
    group
      .command('abort')
      .description('end a rollout: the dtab goes back to how it was before it')
      .argument('<ns>', 'the namespace')
      .argument('<id|prefix>', 'a rollout id, or the prefix it rolls out'),
  )
    .addHelpText(
      'after',
      [
        '',
        'namerd restores the dtab from before the rollout (exactly, or the dentry alone if others',
        'changed the dtab since), and the rollout ends aborted. Too late once it has ended: an',
        'abort that reaches the leader after the last step passed is reported (exit 1), not lost.',
        'namerctl waits (up to 10 s; --no-wait: not at all) until the leader has taken the request',
        'and prints what it did. Exit 1 when refused or ignored (the rollout ended first, or was',
        'already in that state), quoting why.',
        examples(
          'namerctl rollout abort internal /host/world --reason "5xx in the logs of world-v2"',
          'namerctl rollout abort internal world-20261205t044812-7f3a',
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
          'abort',
          {
            ...(opts.reason === undefined ? {} : { why: opts.reason }),
          },
          opts,
        )
      },
    )
}
