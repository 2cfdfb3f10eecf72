// `namerctl status <ns>`: has a change reached every proxy? Lists the watch streams namerd
// serves for the namespace (proxies name themselves with l5d-watcher-id) and whether each has
// the current version; --wait polls until all have, for pipelines. "Sent" is not enough: a hung
// proxy keeps its watch open and was sent the version. So, as the dashboard does, a watcher that
// named its admin address is current only if namerd's GET /api/1/proxy-status/<ns> (the proxy's
// own /admin/routers.json) does not contradict it (behind, or its admin did not answer). A namerd
// without that route: the watchers listing alone, as before. A check that could
// not check is a failure: a missing namespace is exit 1, and --wait with nobody watching (fewer
// than --min-watchers, default 1) fails at the timeout rather than passing on zero watchers.
import { type Command, InvalidArgumentError } from 'commander'
import type { NamerdClient } from '../client.js'
import { type Context, examples } from '../context.js'
import { CliError } from '../errors.js'
import { missingNamespace } from '../missing-namespace.js'
import { formatOf, outputOption, print, table } from '../output.js'
import type { ProxyConfirmation, Watcher, Watchers } from '../schemas.js'
import { showVersion } from '../short-version.js'

const DEFAULT_TIMEOUT_S = 30

export function registerStatus(program: Command, ctx: Context): void {
  program
    .command('status')
    .description('show which proxies watch a namespace and whether each has the current version')
    .argument('<ns>', 'the namespace')
    .option(
      '--wait',
      'wait until every watcher, and at least --min-watchers of them, has the current version (exit 1 at --timeout)',
    )
    .option('--min-watchers <n>', 'with --wait, how many watchers must have it (default 1)', count)
    .option(
      '--timeout <seconds>',
      `how long --wait waits (default ${DEFAULT_TIMEOUT_S})`,
      positiveNumber,
    )
    .option('--json', 'output in JSON (the same as -o json)')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'namerctl status internal',
        'namerctl shift internal /host/world /tmp/world-v2=10 /tmp/world-v1=90 && namerctl status internal --wait --timeout 60',
        'namerctl status internal --wait --min-watchers 3   # three proxies in this cluster',
        "namerctl status internal -o json | jq '.watchers[] | select(.current | not) | .id'",
      ),
    )
    .action(
      async (
        ns: string,
        opts: { wait?: boolean; minWatchers?: number; timeout?: number },
        cmd: Command,
      ) => {
        const client = ctx.connect(cmd)
        const min = opts.minWatchers ?? 1
        const timeout = opts.timeout ?? DEFAULT_TIMEOUT_S
        const status =
          opts.wait === true
            ? await waitForCurrent(client, ns, min, timeout * 1000)
            : await statusOf(client, ns)
        // namerd answers 200 with a null version for a namespace it does not have.
        if (status.version === null) throw await missingNamespace(client, ns)
        print(ctx.io, formatOf(cmd.opts()), status, () => renderStatus(status, ctx))
        if (opts.wait === true && !done(status, min)) throw notReady(status, min, timeout)
      },
    )
}

/** A watcher with what its proxy's admin says (null: not read, or no admin address named). */
export interface StatusWatcher extends Watcher {
  /** Sent the current version, but its proxy says otherwise: why, in namerd's words. */
  notConfirmed: { state: ProxyConfirmation['state']; why: string | null } | null
}

export interface Status extends Watchers {
  watchers: StatusWatcher[]
}

/** The watchers listing, `current` corrected by the proxies' own answers when namerd has them. */
async function statusOf(client: NamerdClient, ns: string): Promise<Status> {
  const listing = await client.watchers(ns)
  const plain = {
    ...listing,
    watchers: listing.watchers.map((w) => ({ ...w, notConfirmed: null })),
  }
  if (listing.version === null) return plain
  const proxies = await client.proxyStatus(ns)
  if (proxies === null || proxies.version !== listing.version) return plain
  const byAdmin = new Map(proxies.proxies.map((p) => [p.admin, p]))
  return {
    ...listing,
    watchers: listing.watchers.map((w) => {
      const p = w.admin === null ? undefined : byAdmin.get(w.admin)
      const denied = p !== undefined && (p.state === 'behind' || p.state === 'unanswered')
      return w.current && denied
        ? { ...w, current: false, notConfirmed: { state: p.state, why: p.why } }
        : { ...w, notConfirmed: null }
    }),
  }
}

function done(status: Watchers, min: number): boolean {
  return status.watchers.length >= min && status.watchers.every((w) => w.current)
}

async function waitForCurrent(
  client: NamerdClient,
  ns: string,
  min: number,
  ms: number,
): Promise<Status> {
  const deadline = Date.now() + ms
  for (;;) {
    const status = await statusOf(client, ns)
    if (status.version === null || done(status, min) || Date.now() >= deadline) return status
    await new Promise((r) => setTimeout(r, Math.min(200, Math.max(0, deadline - Date.now()))))
  }
}

function notReady(status: Status, min: number, timeout: number): CliError {
  const current = status.watchers.filter((w) => w.current).length
  const wanted = Math.max(min, status.watchers.length)
  const version = status.version === null ? '(none)' : showVersion(status.version)
  const seen =
    status.watchers.length === 0
      ? 'no watchers were seen: are the proxies running, and do they use this namespace?'
      : `seen: ${status.watchers
          .map(
            (w) =>
              `${w.id ?? `(stream ${w.stream})`} at ${w.version === null ? 'no version yet' : showVersion(w.version)}${w.notConfirmed === null ? '' : ` (sent, not confirmed: ${w.notConfirmed.why ?? w.notConfirmed.state})`}`,
          )
          .join(', ')}`
  return new CliError(
    'not_ready',
    `${current} of the ${wanted} watchers wanted have version ${version} of ${status.namespace} after ${timeout} s`,
    status.watchers.length === 0
      ? [seen]
      : [
          seen,
          status.watchers.length < min
            ? `--min-watchers is ${min}; only ${status.watchers.length} watching`
            : 'the watchers marked "no" are behind; check that those proxies are connected and healthy',
        ],
  )
}

function renderStatus(status: Status, ctx: Context): string {
  const s = ctx.out
  const head =
    status.version === null
      ? `Namespace ${status.namespace} does not exist.\n`
      : `Namespace ${status.namespace} is at version ${s.yellow(showVersion(status.version))}.\n`
  if (status.watchers.length === 0) return `${head}No watchers.\n`
  const rows = [
    ['WATCHER', 'KIND', 'VERSION', 'CURRENT', 'SINCE', 'REMOTE', 'PATH'],
    ...status.watchers.map((w) => [
      w.id ?? s.dim(`(stream ${w.stream})`),
      w.kind,
      w.version === null ? '-' : showVersion(w.version),
      w.current ? s.green('yes') : s.red(w.notConfirmed === null ? 'no' : 'no, not confirmed'),
      w.since,
      w.remote,
      w.path,
    ]),
  ]
  const current = status.watchers.filter((w) => w.current).length
  const unconfirmed = status.watchers.filter((w) => w.notConfirmed !== null)
  const why = unconfirmed.map(
    (w) =>
      `${w.id ?? `(stream ${w.stream})`} (admin ${w.admin}) was sent it, but its proxy does not confirm it: ${w.notConfirmed!.why ?? w.notConfirmed!.state}\n`,
  )
  const note = unconfirmed.length === 0 ? '' : ` (${unconfirmed.length} sent it, not confirmed)`
  return `${head}${table(rows)}${why.join('')}${current} of ${status.watchers.length} watchers have the current version${note}.\n`
}

function positiveNumber(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a number of seconds > 0')
  return n
}

function count(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1')
  return n
}
