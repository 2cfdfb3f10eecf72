// `namerctl rollout resume <ns> <id|prefix> [--reason]`: carry on a paused rollout (the current step is measured again from now).
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { queueAction } from './actions.js'

export function registerResume(group: Command, ctx: Context): void {
  group
    .command('resume')
    .description('carry on a paused rollout (the current step is measured again from now)')
    .argument('<ns>', 'the namespace')
    .argument('<id|prefix>', 'a rollout id, or the prefix it rolls out')
    .option('--reason <text>', 'why, recorded with the request')
    .option('--json', 'output in JSON: the rollout with the request queued')
    .addHelpText(
      'after',
      [
        '',
        "The current step's window starts again from now.",
        'The request is queued; the leader takes it at its next round. Refused (exit 1) once the',
        'rollout has ended.',
        examples(
          'namerctl rollout resume internal /host/world --reason "checking the dashboards"',
          'namerctl rollout resume internal world-20261205t044812-7f3a',
        ),
      ].join('\n'),
    )
    .action(async (ns: string, which: string, opts: { reason?: string }, cmd: Command) => {
      await queueAction(ctx, cmd, ns, which, 'resume', {
        ...(opts.reason === undefined ? {} : { why: opts.reason }),
      })
    })
}
