// What pause, resume, promote and abort share: find the rollout (by id, prefix, or the one
// active), queue the request with namerd, then wait (a few seconds, unless --no-wait) until
// namerd's leader has taken it, and say what it did: a request the leader ignored (already
// paused, too late because the rollout ended first) is exit 1 with the leader's why, never a
// "queued" that nothing ever honours.
import { isTerminal, type Rollout, type RolloutAction, type RolloutEvent } from '@switchyard/wire'
import type { Command } from 'commander'
import type { Context } from '../../context.js'
import { CliError } from '../../errors.js'
import { formatOf } from '../../output.js'
import { RolloutApi as Api, type RolloutApi } from './api.js'
import { eventLine, phasePhrase } from './render.js'
import { findRollout } from './target.js'

/** How long a request is waited for by default: a few of the leader's rounds (500 ms each). */
export const ACTION_WAIT_MS = 10_000
const POLL_MS = 200

export interface ActionFlags {
  readonly reason?: string
  /** commander's --no-wait: false. */
  readonly wait?: boolean
}

/** The options every action takes: --reason, --no-wait, --json. */
export function actionOptions(cmd: Command): Command {
  return cmd
    .option('--reason <text>', 'why, recorded with the request')
    .option(
      '--no-wait',
      `only queue the request; do not wait (up to ${ACTION_WAIT_MS / 1000} s) for the leader to take it`,
    )
    .option('--json', 'output in JSON: the rollout once the request was taken (or queued)')
}

export async function queueAction(
  ctx: Context,
  cmd: Command,
  ns: string,
  which: string,
  action: Exclude<RolloutAction, 'promote-full'>,
  body: { why?: string; full?: boolean },
  flags: ActionFlags,
): Promise<void> {
  const api = new Api(ctx.connect(cmd))
  const { value: target } = await findRollout(api, ns, which)
  const queued = await api.act(ns, target.id, action, body)
  const json = formatOf(cmd.opts()) === 'json'
  const what = action === 'promote' && body.full === true ? 'promote --full' : action
  const mine = queued.requests.at(-1)
  if (flags.wait === false || mine === undefined) {
    if (json) ctx.io.out(`${JSON.stringify(queued)}\n`)
    else {
      ctx.io.out(
        `Queued ${what} for rollout ${queued.id} (${queued.prefix} in ${ns}, now ${queued.phase}); namerd's leader acts on it next round: namerctl rollout watch ${ns} ${queued.id}\n`,
      )
    }
    return
  }
  const after = queued.events.at(-1)?.seq ?? 0
  const taken = await takenBy(api, ns, queued.id, mine.at, mine.action)
  if (taken === null) {
    if (json) ctx.io.out(`${JSON.stringify(queued)}\n`)
    ctx.io.err(
      `${what} for rollout ${queued.id} is still queued after ${ACTION_WAIT_MS / 1000} s: no leader has taken it yet (is namerd's controller running? namerctl rollout status ${ns} ${queued.id})\n`,
    )
    return
  }
  if (json) ctx.io.out(`${JSON.stringify(taken)}\n`)
  const events = taken.events.filter((e) => e.seq > after && e.who === mine.who)
  const ignored = events.find((e) => / ignored: /.test(e.why))
  if (ignored !== undefined) {
    throw new CliError('conflict', `${what} was not done: ${ignored.why}`, [
      `rollout ${taken.id} is ${taken.phase}: namerctl rollout status ${ns} ${taken.id}`,
    ])
  }
  const done = events.find((e) => recordsAction(e, action))
  if (done === undefined) {
    // Taken off the queue with nothing recorded: the rollout ended (or moved on) first.
    throw new CliError(
      'conflict',
      `${what} was not done: rollout ${taken.id} ${isTerminal(taken.phase) ? `ended ${taken.phase} before namerd's leader took the request` : `is ${taken.phase} and the leader did nothing with it`}${taken.outcome === null ? '' : ` (${taken.outcome})`}`,
      [`see what happened: namerctl rollout status ${ns} ${taken.id}`],
    )
  }
  if (!json) {
    for (const e of events) ctx.io.out(`${eventLine(taken, e, ctx.out)}\n`)
    ctx.io.out(`Rollout ${taken.id} ${phasePhrase(taken)}\n`)
  }
}

/** Whether an event is the leader's record of `action` (machine.ts's whys). */
function recordsAction(e: RolloutEvent, action: RolloutAction): boolean {
  switch (action) {
    case 'abort':
      return e.why.startsWith('aborted ')
    case 'pause':
      return e.why.startsWith('paused ')
    case 'resume':
      return e.why.startsWith('resumed ')
    default:
      return /promote|opened/.test(e.why)
  }
}

/**
 * The rollout once the request queued at `at` has left its queue (the leader took it), or null
 * after ACTION_WAIT_MS.
 */
async function takenBy(
  api: RolloutApi,
  ns: string,
  id: string,
  at: string,
  action: RolloutAction,
): Promise<Rollout | null> {
  const deadline = Date.now() + ACTION_WAIT_MS
  for (;;) {
    const { value } = await api.get(ns, id)
    if (!value.requests.some((q) => q.at === at && q.action === action)) return value
    if (Date.now() >= deadline) return null
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}
