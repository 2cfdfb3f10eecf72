// `namerctl status <ns>`: has a change reached every proxy? Lists the watch streams namerd
// serves for the namespace (proxies name themselves with l5d-watcher-id) and whether each has
// been sent the current version; --wait polls until all have, for pipelines.
import { type Command, InvalidArgumentError } from 'commander'
import type { NamerdClient } from '../client.js'
import { type Context, examples } from '../context.js'
import { CliError } from '../errors.js'
import { formatOf, outputOption, print, table } from '../output.js'
import type { Watchers } from '../schemas.js'

export function registerStatus(program: Command, ctx: Context): void {
  program
    .command('status')
    .description('show which proxies watch a namespace and whether each has the current version')
    .argument('<ns>', 'the namespace')
    .option('--wait', 'wait until every watcher has the current version (exit 1 at --timeout)')
    .option('--timeout <seconds>', 'how long --wait waits (default 30)', positiveNumber)
    .option('--json', 'output in JSON (the same as -o json)')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'namerctl status internal',
        'namerctl shift internal /host/world /tmp/world-v2=10 /tmp/world-v1=90 && namerctl status internal --wait --timeout 60',
        "namerctl status internal -o json | jq '.watchers[] | select(.current | not) | .id'",
      ),
    )
    .action(async (ns: string, opts: { wait?: boolean; timeout?: number }, cmd: Command) => {
      const client = ctx.connect(cmd)
      const status =
        opts.wait === true
          ? await waitForCurrent(client, ns, (opts.timeout ?? 30) * 1000)
          : await client.watchers(ns)
      print(ctx.io, formatOf(cmd.opts()), status, () => renderStatus(status, ctx))
      if (opts.wait === true && !allCurrent(status)) {
        throw new CliError(
          'not_ready',
          `not every watcher of ${ns} has version ${status.version} after ${opts.timeout ?? 30} s`,
          [
            'the watchers marked "no" are behind; check that those proxies are connected and healthy',
          ],
        )
      }
    })
}

function allCurrent(status: Watchers): boolean {
  return status.watchers.every((w) => w.current)
}

async function waitForCurrent(client: NamerdClient, ns: string, ms: number): Promise<Watchers> {
  const deadline = Date.now() + ms
  for (;;) {
    const status = await client.watchers(ns)
    if (allCurrent(status) || Date.now() >= deadline) return status
    await new Promise((r) => setTimeout(r, 200))
  }
}

function renderStatus(status: Watchers, ctx: Context): string {
  const s = ctx.out
  const head =
    status.version === null
      ? `Namespace ${status.namespace} does not exist.\n`
      : `Namespace ${status.namespace} is at version ${s.yellow(status.version)}.\n`
  if (status.watchers.length === 0) return `${head}No watchers.\n`
  const rows = [
    ['WATCHER', 'KIND', 'VERSION', 'CURRENT', 'SINCE', 'REMOTE', 'PATH'],
    ...status.watchers.map((w) => [
      w.id ?? s.dim(`(stream ${w.stream})`),
      w.kind,
      w.version ?? '-',
      w.current ? s.green('yes') : s.red('no'),
      w.since,
      w.remote,
      w.path,
    ]),
  ]
  const current = status.watchers.filter((w) => w.current).length
  return `${head}${table(rows)}${current} of ${status.watchers.length} watchers have the current version.\n`
}

function positiveNumber(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a number of seconds > 0')
  return n
}
