// `namerctl rollout watch <ns> [<id>|<prefix>]`: follows a rollout to its end. On a terminal the
// status view is redrawn as it changes (and each second, for the time to the next judgement);
// otherwise one line per event, for CI logs; --json one Rollout per line. The exit status is the
// verdict: 0 succeeded, 1 rolled back, aborted or stopped, 3 unknown (namerd unreachable past
// --timeout).
import type { Rollout } from '@switchyard/wire'
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { parseDuration } from '../../durations.js'
import { formatOf } from '../../output.js'
import { RolloutApi } from './api.js'
import { eventLine, renderRollout } from './render.js'
import { findRollout } from './target.js'
import { awayNotice, follow, interruptNotice, reach, verdict } from './verdict.js'

/** Home, clear to the end: the view is drawn again from the top. */
const REDRAW = '\x1b[H\x1b[2J'

export function registerWatch(group: Command, ctx: Context): void {
  group
    .command('watch')
    .description('follow a rollout to its end; the exit status is the verdict')
    .argument('<ns>', 'the namespace')
    .argument('[id|prefix]', 'a rollout id, or the prefix it rolls out (default: the active one)')
    .option(
      '--timeout <duration>',
      'how long namerd may be unreachable before exit 3 (default: no limit)',
    )
    .option('--json', 'one Rollout JSON per line, per change')
    .addHelpText(
      'after',
      [
        '',
        'Exit status: 0 succeeded, 1 rolled back, aborted or stopped (do not ship), 2 usage error,',
        '3 verdict unknown: namerd was unreachable for longer than --timeout, 130 Ctrl-C (the',
        'rollout carries on). While namerd is unreachable namerctl says so once on stderr and',
        'retries. A watch of a rollout that has already ended (by its id) prints it and exits',
        'with its verdict at once; a prefix (or nothing) means the active rollout, and with none',
        'active it is exit 1, naming the newest ended one. Standard output closed early (| head)',
        'is exit 141; SIGTERM (143) says the rollout carries on, as Ctrl-C does.',
        examples(
          'namerctl rollout watch internal                         # the active rollout',
          'namerctl rollout watch internal /host/world --timeout 5m',
          'namerctl rollout watch internal world-20261205t044812-7f3a > rollout.log; echo $?',
        ),
      ].join('\n'),
    )
    .action(
      async (ns: string, which: string | undefined, opts: { timeout?: string }, cmd: Command) => {
        const timeoutMs =
          opts.timeout === undefined ? undefined : parseDuration(opts.timeout, '--timeout')
        const client = ctx.connect(cmd)
        const api = new RolloutApi(client)
        const notice = awayNotice(ctx.io.err, client.baseUrl, timeoutMs)
        const { value: first } = await reach(
          () => findRollout(api, ns, which),
          `the rollout ${which === undefined ? `in ${ns}` : `${which} in ${ns}`}`,
          timeoutMs,
          notice,
        )
        const uninterrupt = interruptNotice(ctx.io.err, ns, first.id)
        const json = formatOf(cmd.opts()) === 'json'
        // Redrawn only on a terminal (a file or a pipe gets lines), and never for --json.
        const redraw = !json && process.stdout.isTTY === true
        let latest: Rollout = first
        let seen = -1
        const show = (r: Rollout) => {
          latest = r
          if (json) ctx.io.out(`${JSON.stringify(r)}\n`)
          else if (redraw) ctx.io.out(`${REDRAW}${renderRollout(r, ctx.out)}`)
          else {
            for (const e of r.events) {
              if (e.seq <= seen) continue
              seen = e.seq
              ctx.io.out(`${eventLine(r, e, ctx.out)}\n`)
            }
          }
        }
        const ticker = redraw
          ? setInterval(() => ctx.io.out(`${REDRAW}${renderRollout(latest, ctx.out)}`), 1000)
          : undefined
        let end: Rollout
        try {
          end = await follow(api, ns, first.id, { timeoutMs, onState: show, notice })
        } finally {
          clearInterval(ticker)
          uninterrupt()
        }
        if (!json) {
          ctx.io.out(`Rollout ${end.id} ${end.phase}${end.outcome ? `: ${end.outcome}` : ''}\n`)
        }
        verdict(end)
      },
    )
}
