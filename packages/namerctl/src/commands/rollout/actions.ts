// What pause, resume, promote and abort share: find the rollout (by id, prefix, or the one
// active), queue the request with namerd, and say that it is queued: the leader acts on it at
// its next round, and `status` or `watch` shows when it did.
import type { RolloutAction } from '@switchyard/wire'
import type { Command } from 'commander'
import type { Context } from '../../context.js'
import { formatOf } from '../../output.js'
import { RolloutApi } from './api.js'
import { findRollout } from './target.js'

export async function queueAction(
  ctx: Context,
  cmd: Command,
  ns: string,
  which: string,
  action: Exclude<RolloutAction, 'promote-full'>,
  body: { why?: string; full?: boolean },
): Promise<void> {
  const api = new RolloutApi(ctx.connect(cmd))
  const { value: target } = await findRollout(api, ns, which, { activeOnly: true })
  const queued = await api.act(ns, target.id, action, body)
  if (formatOf(cmd.opts()) === 'json') {
    ctx.io.out(`${JSON.stringify(queued)}\n`)
    return
  }
  const what = action === 'promote' && body.full === true ? 'promote --full' : action
  ctx.io.out(
    `Queued ${what} for rollout ${queued.id} (${queued.prefix} in ${ns}, now ${queued.phase}); namerd's leader acts on it next round: namerctl rollout watch ${ns} ${queued.id}\n`,
  )
}
