// `namerctl rollout pause <ns> <id|prefix> [--reason]`: stop a rollout where it is: the weight stays, analysis stops.
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { queueAction } from './actions.js'

export function registerPause(group: Command, ctx: Context): void {
  group
    .command('pause')
    .description('stop a rollout where it is: the weight stays, analysis stops')
    .argument('<ns>', 'the namespace')
    .argument('<id|prefix>', 'a rollout id, or the prefix it rolls out')
    .option('--reason <text>', 'why, recorded with the request')
    .option('--json', 'output in JSON: the rollout with the request queued')
    .addHelpText(
      'after',
      [
        '',
        'The weight of the current step stays and nothing is judged until resume.',
        'The request is queued; the leader takes it at its next round. Refused (exit 1) once the',
        'rollout has ended.',
        examples(
          'namerctl rollout pause internal /host/world --reason "checking the dashboards"',
          'namerctl rollout pause internal world-20261205t044812-7f3a',
        ),
      ].join('\n'),
    )
    .action(async (ns: string, which: string, opts: { reason?: string }, cmd: Command) => {
      await queueAction(ctx, cmd, ns, which, 'pause', {
        ...(opts.reason === undefined ? {} : { why: opts.reason }),
      })
    })
}
