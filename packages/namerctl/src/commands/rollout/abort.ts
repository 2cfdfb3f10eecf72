// `namerctl rollout abort <ns> <id|prefix> [--reason]`: end a rollout: the dtab goes back to how it was before it.
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { queueAction } from './actions.js'

export function registerAbort(group: Command, ctx: Context): void {
  group
    .command('abort')
    .description('end a rollout: the dtab goes back to how it was before it')
    .argument('<ns>', 'the namespace')
    .argument('<id|prefix>', 'a rollout id, or the prefix it rolls out')
    .option('--reason <text>', 'why, recorded with the request')
    .option('--json', 'output in JSON: the rollout with the request queued')
    .addHelpText(
      'after',
      [
        '',
        'namerd restores the dtab from before (exactly, or the dentry alone if others changed since), and the rollout ends aborted.',
        'The request is queued; the leader takes it at its next round. Refused (exit 1) once the',
        'rollout has ended.',
        examples(
          'namerctl rollout abort internal /host/world --reason "checking the dashboards"',
          'namerctl rollout abort internal world-20261205t044812-7f3a',
        ),
      ].join('\n'),
    )
    .action(async (ns: string, which: string, opts: { reason?: string }, cmd: Command) => {
      await queueAction(ctx, cmd, ns, which, 'abort', {
        ...(opts.reason === undefined ? {} : { why: opts.reason }),
      })
    })
}
