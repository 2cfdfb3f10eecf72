// `namerctl rollout ...`: rollouts that namerd drives (docs/design/rollouts.md §6): start one,
// follow it, and pause, resume, promote or abort it. One file per verb in rollout/.
import type { Command } from 'commander'
import { type Context, examples } from '../context.js'
import { registerAbort } from './rollout/abort.js'
import { registerList } from './rollout/list.js'
import { registerPause } from './rollout/pause.js'
import { registerPromote } from './rollout/promote.js'
import { registerResume } from './rollout/resume.js'
import { registerStart } from './rollout/start.js'
import { registerStatus } from './rollout/status.js'
import { registerWatch } from './rollout/watch.js'

export function registerRollout(program: Command, ctx: Context): void {
  const group = program
    .command('rollout')
    .description('staged rollouts of a dentry that namerd measures and rolls back on its own')
    .addHelpText(
      'after',
      [
        '',
        'namerd moves the dentry in steps, measures the new version at each from the proxies (or',
        'Prometheus) and puts the dtab back exactly as it was when a step fails. `start --wait`',
        'and `watch` exit 0 when it succeeded, 1 when it did not, 3 when the verdict is unknown.',
        examples(
          'namerctl rollout start internal /host/world --to /srv/world-v2 --dry-run',
          'namerctl rollout start internal /host/world --to /srv/world-v2 --wait',
          'namerctl rollout list',
          'namerctl rollout watch internal /host/world',
          'namerctl rollout abort internal /host/world --reason "errors in the logs"',
        ),
      ].join('\n'),
    )
  registerStart(group, ctx)
  registerStatus(group, ctx)
  registerList(group, ctx)
  registerWatch(group, ctx)
  registerPause(group, ctx)
  registerResume(group, ctx)
  registerPromote(group, ctx)
  registerAbort(group, ctx)
}
