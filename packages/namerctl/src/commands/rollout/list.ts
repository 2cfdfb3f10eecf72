// `namerctl rollout list [ns] [--all]`: the active rollouts (of one namespace, or all), or with
// --all the ended ones too, newest last within a namespace.
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { formatOf, outputOption, print } from '../../output.js'
import { RolloutApi } from './api.js'
import { summaryRows } from './render.js'

export function registerList(group: Command, ctx: Context): void {
  group
    .command('list')
    .description('list active rollouts (with --all, ended ones too)')
    .argument('[ns]', 'only this namespace')
    .option('--all', 'ended rollouts too (succeeded, rolled back, aborted, stopped)')
    .option('--json', 'output in JSON: {"rollouts": [...]} (the same as -o json)')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'namerctl rollout list',
        'namerctl rollout list internal --all',
        "namerctl rollout list -o json | jq -r '.rollouts[].id'",
      ),
    )
    .action(async (ns: string | undefined, opts: { all?: boolean }, cmd: Command) => {
      const api = new RolloutApi(ctx.connect(cmd))
      const rollouts = await api.list({
        ...(ns === undefined ? {} : { namespace: ns }),
        ...(opts.all === true ? {} : { active: true }),
      })
      print(ctx.io, formatOf(cmd.opts()), { rollouts }, () =>
        rollouts.length === 0
          ? `No ${opts.all === true ? '' : 'active '}rollouts${ns === undefined ? '' : ` in ${ns}`}.${opts.all === true ? '' : ' (--all shows ended ones)'}\n`
          : summaryRows(rollouts, ctx.out),
      )
    })
}
