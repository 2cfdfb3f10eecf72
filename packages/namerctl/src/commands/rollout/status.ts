// `namerctl rollout status <ns> [<id>|<prefix>]`: one rollout as it stands: the plan with the
// current step marked, the weights, each version's numbers in the current window, the last
// events. Without an id or prefix, the namespace's one active rollout (an ended one only by id).
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { formatOf, outputOption, print } from '../../output.js'
import { RolloutApi } from './api.js'
import { renderRollout } from './render.js'
import { findRollout } from './target.js'

export function registerStatus(group: Command, ctx: Context): void {
  group
    .command('status')
    .description('show a rollout: its steps, weights, numbers and last events')
    .argument('<ns>', 'the namespace')
    .argument('[id|prefix]', 'a rollout id, or the prefix it rolls out (default: the active one)')
    .option('--json', 'output in JSON: the whole rollout (the same as -o json)')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'namerctl rollout status internal                  # the active rollout',
        'namerctl rollout status internal /host/world      # the rollout of that dentry',
        'namerctl rollout status internal world-20261205t044812-7f3a',
        "namerctl rollout status internal -o json | jq -r '.phase'",
      ),
    )
    .action(async (ns: string, which: string | undefined, _opts: unknown, cmd: Command) => {
      const api = new RolloutApi(ctx.connect(cmd))
      const { value } = await findRollout(api, ns, which)
      print(ctx.io, formatOf(cmd.opts()), value, () => renderRollout(value, ctx.out))
    })
}
