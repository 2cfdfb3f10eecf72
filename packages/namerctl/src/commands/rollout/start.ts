// `namerctl rollout start <ns> <prefix> --to <tree>`: hands namerd a rollout to drive: weighted
// steps of one dentry, each measured against thresholds and rolled back on its own when the new
// version is worse. Flags are read and checked here (a mistake is exit 2 naming the flag); what
// only namerd can check (the dentry's tree now, that --to binds) it refuses with its own message.
import { NameTree, Prefix } from '@switchyard/dtab'
import {
  type MetricsSourceSpec,
  ROLLOUT_DEFAULTS,
  type Rollout,
  RolloutSpec,
  type RolloutSummary,
} from '@switchyard/wire'
import type { Command } from 'commander'
import { type Context, examples } from '../../context.js'
import { renderChanges } from '../../diff.js'
import { parseDuration, parseRate, showDuration, showRate } from '../../durations.js'
import { CliError, HttpError, UsageError } from '../../errors.js'
import { missingNamespace } from '../../missing-namespace.js'
import { formatOf } from '../../output.js'
import { RolloutApi, type RolloutPlan } from './api.js'
import { eventLine } from './render.js'
import { awayNotice, follow, interruptNotice, verdict } from './verdict.js'

/** Flag defaults: wire's ROLLOUT_DEFAULTS, the ones namerd fills in a bare POST, as flags. */
export const DEFAULTS = {
  steps: ROLLOUT_DEFAULTS.steps.join(','),
  interval: showDuration(ROLLOUT_DEFAULTS.intervalMs),
  minSuccess: showRate(ROLLOUT_DEFAULTS.minSuccessRate),
  minRequests: String(ROLLOUT_DEFAULTS.minRequests),
  smokeRequests: String(ROLLOUT_DEFAULTS.smokeRequests),
  smokeExpect: ROLLOUT_DEFAULTS.smokeExpect.join(','),
  smokeTimeout: showDuration(ROLLOUT_DEFAULTS.smokeTimeoutMs),
  prometheusLag: showDuration(ROLLOUT_DEFAULTS.prometheusLagMs),
} as const

interface StartFlags {
  from?: string
  to?: string
  steps: string
  interval: string
  progressDeadline?: string
  minSuccess: string
  maxP99?: string
  minRequests: string
  smokeUrl?: string
  smokeHost?: string
  smokeRequests: string
  smokeExpect: string
  smokeTimeout: string
  gateBefore: string[]
  metrics?: string
  prometheusLag: string
  webhook?: string
  reason?: string
  dryRun?: boolean
  wait?: boolean
  timeout?: string
  json?: boolean
}

const collect = (value: string, previous: string[]) => [...previous, value]

export function registerStart(group: Command, ctx: Context): void {
  group
    .command('start')
    .description('start a rollout of one dentry from its tree now to a new one, in measured steps')
    .argument('<ns>', 'the namespace')
    .argument('<prefix>', 'the prefix of the dentry to roll out, e.g. /host/world')
    .requiredOption('--to <tree>', 'the new destination, e.g. /srv/world-v2')
    .option('--from <tree>', "the dentry's tree now (default: read from the dtab)")
    .option('--steps <weights>', 'weights of --to, increasing, ending at 100', DEFAULTS.steps)
    .option('--interval <duration>', 'how long each step is measured', DEFAULTS.interval)
    .option(
      '--progress-deadline <duration>',
      'how long a step may wait for --min-requests before it fails (default 10 x --interval)',
    )
    .option('--min-success <rate>', "the new version's success rate, at least", DEFAULTS.minSuccess)
    .option('--max-p99 <duration>', "the new version's p99 latency, at most (default: not judged)")
    .option(
      '--min-requests <n>',
      'requests to --to in a window before it is judged',
      DEFAULTS.minRequests,
    )
    .option('--smoke-url <url>', "stage requests through a proxy's server before the first step")
    .option('--smoke-host <host>', "the Host header of the smoke requests (default: the URL's)")
    .option('--smoke-requests <n>', 'how many smoke requests', DEFAULTS.smokeRequests)
    .option(
      '--smoke-expect <statuses>',
      'statuses that pass, comma separated: 2xx, 200,204',
      DEFAULTS.smokeExpect,
    )
    .option('--smoke-timeout <duration>', 'per smoke request', DEFAULTS.smokeTimeout)
    .option(
      '--gate-before <weight>',
      'wait for `namerctl rollout promote` before this step (repeatable)',
      collect,
      [],
    )
    .option('--metrics <source>', 'proxies, or prometheus=<url> (default proxies)')
    .option(
      '--prometheus-lag <duration>',
      'with prometheus: how far behind now a window ends',
      DEFAULTS.prometheusLag,
    )
    .option('--webhook <url>', 'POST every event of the rollout to this URL')
    .option('--reason <text>', 'why, for history and the webhook (e.g. "Jenkins build #512")')
    .option(
      '--dry-run',
      "print the plan (each step's dentry, the ids each version binds to); write nothing",
    )
    .option('--wait', 'follow the rollout to its end; the exit status is the verdict')
    .option(
      '--timeout <duration>',
      'with --wait: how long namerd may be unreachable (default: no limit)',
    )
    .option('--json', 'output in JSON: the rollout (the plan with --dry-run)')
    .addHelpText(
      'after',
      [
        '',
        'The dentry whose prefix is exactly <prefix> (the last, as shift picks) moves from --from',
        'to --to in the weights of --steps: "10.00*/srv/world-v2 & 90.00*/srv/world-v1", then',
        '25, 50 and finally the plain --to. Each step is measured for --interval; it fails as soon',
        'as --to has --min-requests and misses --min-success or --max-p99, and namerd then puts',
        "the dtab back exactly as it was. Without --from, namerctl reads the dentry's tree now; with",
        'it, namerd refuses (409) when the dentry is something else. A second rollout on the same',
        'prefix is refused while one is active.',
        '',
        'Durations: 300ms, 30s, 1m, 1h30m. Rates: 99%, 99.5% or 0.99.',
        'Exit status: 0 started (with --wait: succeeded), 1 not started (refused, or namerd not',
        'reached: nothing was written) or, with --wait, rolled back, aborted or stopped, 2 usage',
        'error, 3 verdict unknown (started, then namerd unreachable past --timeout), 130 Ctrl-C',
        'during --wait (the rollout carries on). While namerd is unreachable namerctl says so once.',
        examples(
          'namerctl rollout start internal /host/world --to /srv/world-v2 --dry-run',
          'namerctl rollout start internal /host/world --to /srv/world-v2 --steps 10,50,100 --interval 2m --min-success 99.5% --max-p99 300ms',
          'namerctl rollout start internal /host/world --to /srv/world-v2 --gate-before 100 --reason "build #512"',
          'namerctl rollout start internal /host/world --to /srv/world-v2 --smoke-url http://127.0.0.1:4140/health --smoke-host world',
          'namerctl rollout start internal /host/world --to /srv/world-v2 --wait --timeout 10m && deploy-next',
        ),
      ].join('\n'),
    )
    .action(async (ns: string, prefixText: string, flags: StartFlags, cmd: Command) => {
      const prefix = readPath(prefixText, '<prefix>')
      const partial = specFromFlags(prefix, flags)
      const timeoutMs =
        flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout')
      const client = ctx.connect(cmd)
      const api = new RolloutApi(client)
      const json = formatOf(cmd.opts()) === 'json'
      const started = await notStartedUnlessReached(async () => {
        const from = flags.from ?? (await currentTree(api, ns, prefix))
        const spec = checkSpec({ ...partial, from })
        if (flags.dryRun === true) {
          const plan = await api.plan(ns, spec)
          ctx.io.out(json ? `${JSON.stringify(plan)}\n` : renderPlan(plan, ctx))
          return null
        }
        return (await api.start(ns, spec)).value
      })
      if (started === null) return
      await warnSharedDestination(api, ctx, started)
      if (json && flags.wait !== true) {
        ctx.io.out(`${JSON.stringify(started)}\n`)
        return
      }
      if (!json) {
        ctx.io.out(
          `Started rollout ${ctx.out.bold(started.id)} of ${started.prefix} in ${ns}: ${started.from} -> ${started.to}, steps ${started.steps.join(',')}% every ${showDuration(started.intervalMs)}\n`,
        )
      }
      if (flags.wait !== true) {
        ctx.io.out(`Follow it: namerctl rollout watch ${ns} ${started.id}\n`)
        return
      }
      let seen = -1
      const uninterrupt = interruptNotice(ctx.io.err, ns, started.id)
      const end = await follow(api, ns, started.id, {
        timeoutMs,
        notice: awayNotice(ctx.io.err, client.baseUrl, timeoutMs),
        onState: (r) => {
          if (json) return
          for (const e of r.events) {
            if (e.seq <= seen) continue
            seen = e.seq
            ctx.io.out(`${eventLine(r, e, ctx.out)}\n`)
          }
        },
      }).finally(uninterrupt)
      if (json) ctx.io.out(`${JSON.stringify(end)}\n`)
      else ctx.io.out(`Rollout ${end.id} ${end.phase}${end.outcome ? `: ${end.outcome}` : ''}\n`)
      verdict(end)
    })
}

function readPath(text: string, what: string): string {
  try {
    return Prefix.show(Prefix.read(text))
  } catch (err) {
    throw new UsageError(`${what} ${JSON.stringify(text)} is not a prefix: ${errorText(err)}`, [
      'give a dentry prefix such as /host/world (or /host/* as a dentry has it)',
    ])
  }
}

/**
 * The start's calls to namerd, up to and including the POST: when namerd cannot be reached,
 * nothing was started, and the error says so (exit 1, not the 3 of a verdict never learnt).
 */
async function notStartedUnlessReached<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (err) {
    if (err instanceof CliError && err.code === 'network') {
      throw new CliError('network', `no rollout was started: ${err.message}`, [
        ...err.details,
        'nothing was written; run the same command again once namerd answers',
      ])
    }
    throw err
  }
}

/** --to and --from: a name tree as a dentry's right side reads, checked here (exit 2). */
function readTree(text: string, flag: string): string {
  try {
    NameTree.read(text)
    return text.trim()
  } catch (err) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a name tree: ${errorText(err)}`, [
      `give a path or a tree, e.g. ${flag} /srv/world-v2`,
    ])
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function positiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a whole number >= 1`)
  }
  return Number(text)
}

function url(text: string, flag: string): string {
  try {
    const u = new URL(text)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)')
    return u.href
  } catch {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: expected an http:// or https:// URL`)
  }
}

/** The weights of --steps: whole percentages, strictly increasing, the last 100. */
export function parseSteps(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim().replace(/%$/, ''))
  const steps = parts.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 100) {
      throw new UsageError(
        `--steps ${JSON.stringify(text)}: ${JSON.stringify(p)} is not a whole percentage from 1 to 100`,
        ['give increasing weights ending at 100, e.g. --steps 10,25,50,100'],
      )
    }
    return Number(p)
  })
  for (let i = 1; i < steps.length; i++) {
    if (steps[i]! <= steps[i - 1]!) {
      throw new UsageError(
        `--steps ${JSON.stringify(text)}: the weights must strictly increase (${steps[i]} follows ${steps[i - 1]})`,
        ['e.g. --steps 10,25,50,100'],
      )
    }
  }
  if (steps.at(-1) !== 100) {
    throw new UsageError(
      `--steps ${JSON.stringify(text)}: the last step must be 100, so the rollout ends with all traffic on --to`,
      [`e.g. --steps ${[...steps, 100].join(',')}`],
    )
  }
  return steps
}

function metricsOf(flags: StartFlags): MetricsSourceSpec {
  const text = flags.metrics ?? 'proxies'
  if (text === 'proxies') return { kind: 'proxies' }
  const m = /^prometheus=(.+)$/.exec(text)
  if (m === null) {
    throw new UsageError(
      `--metrics ${JSON.stringify(text)}: expected proxies or prometheus=<url>`,
      ['e.g. --metrics prometheus=http://prometheus:9090'],
    )
  }
  return {
    kind: 'prometheus',
    url: url(m[1]!, '--metrics prometheus='),
    lagMs: parseDuration(flags.prometheusLag, '--prometheus-lag'),
  }
}

type SpecWithoutFrom = Omit<RolloutSpec, 'from'>

/** The longest --reason namerd keeps (RolloutSpec.reason). */
const MAX_REASON = 1000
/** The most smoke requests namerd sends (Smoke.requests). */
const MAX_SMOKE_REQUESTS = 1000

/** A duration with namerd's lower bound, refused with the bound and an example. */
function atLeast(ms: number, text: string, flag: string, min: number, example: string): number {
  if (ms < min) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: must be at least ${showDuration(min)}`, [
      `e.g. ${flag} ${example}`,
    ])
  }
  return ms
}

function smokeRequests(text: string): number {
  const n = positiveInt(text, '--smoke-requests')
  if (n > MAX_SMOKE_REQUESTS) {
    throw new UsageError(
      `--smoke-requests ${JSON.stringify(text)}: at most ${MAX_SMOKE_REQUESTS} requests`,
      ['e.g. --smoke-requests 50'],
    )
  }
  return n
}

/** 2xx-style classes or exact codes: `2xx`, `200,204`. */
function smokeExpect(text: string): string[] {
  const parts = text.split(',').map((e) => e.trim())
  for (const p of parts) {
    if (!/^[1-5](xx|\d\d)$/.test(p)) {
      throw new UsageError(
        `--smoke-expect ${JSON.stringify(text)}: ${JSON.stringify(p)} is not a status or a class of statuses`,
        ['give classes such as 2xx or exact codes, comma separated, e.g. --smoke-expect 2xx,301'],
      )
    }
  }
  return parts
}

/** Every flag read and checked; `from` comes later (it may need namerd). */
export function specFromFlags(prefix: string, flags: StartFlags): SpecWithoutFrom {
  if (flags.to === undefined) throw new UsageError('--to is required: the new destination')
  const to = readTree(flags.to, '--to')
  if (flags.from !== undefined) readTree(flags.from, '--from')
  const steps = parseSteps(flags.steps)
  const intervalMs = atLeast(
    parseDuration(flags.interval, '--interval'),
    flags.interval,
    '--interval',
    100,
    '30s',
  )
  if (flags.reason !== undefined && flags.reason.length > MAX_REASON) {
    throw new UsageError(
      `--reason: ${flags.reason.length} characters, more than the ${MAX_REASON} namerd keeps`,
      ['say it shortly, e.g. --reason "Jenkins build #512"'],
    )
  }
  const gates = flags.gateBefore.map((g) => {
    const weight = positiveInt(g.replace(/%$/, ''), '--gate-before')
    if (!steps.includes(weight)) {
      throw new UsageError(
        `--gate-before ${g}: ${weight} is not one of the steps (${steps.join(',')})`,
        ['a gate waits before one of the steps, e.g. --gate-before 100'],
      )
    }
    return weight
  })
  const smokeFlags = [
    flags.smokeHost !== undefined ? '--smoke-host' : null,
    flags.smokeRequests !== DEFAULTS.smokeRequests ? '--smoke-requests' : null,
    flags.smokeExpect !== DEFAULTS.smokeExpect ? '--smoke-expect' : null,
    flags.smokeTimeout !== DEFAULTS.smokeTimeout ? '--smoke-timeout' : null,
  ].filter((f) => f !== null)
  if (flags.smokeUrl === undefined && smokeFlags.length > 0) {
    throw new UsageError(`${smokeFlags.join(', ')} without --smoke-url: there is no smoke test`, [
      'add --smoke-url http://<proxy>/<path>, or drop the smoke flags',
    ])
  }
  return {
    prefix,
    to,
    steps,
    intervalMs,
    progressDeadlineMs:
      flags.progressDeadline === undefined
        ? 10 * intervalMs
        : atLeast(
            parseDuration(flags.progressDeadline, '--progress-deadline'),
            flags.progressDeadline,
            '--progress-deadline',
            100,
            '10m',
          ),
    thresholds: {
      minSuccessRate: parseRate(flags.minSuccess, '--min-success'),
      maxP99Ms: flags.maxP99 === undefined ? null : parseDuration(flags.maxP99, '--max-p99'),
      minRequests: positiveInt(flags.minRequests, '--min-requests'),
    },
    smoke:
      flags.smokeUrl === undefined
        ? null
        : {
            url: url(flags.smokeUrl, '--smoke-url'),
            host: flags.smokeHost ?? null,
            requests: smokeRequests(flags.smokeRequests),
            expect: smokeExpect(flags.smokeExpect),
            timeoutMs: parseDuration(flags.smokeTimeout, '--smoke-timeout'),
          },
    gates,
    metrics: metricsOf(flags),
    webhook: flags.webhook === undefined ? null : url(flags.webhook, '--webhook'),
    reason: flags.reason ?? null,
  }
}

/** Which flag a field of the spec came from, for a refusal that names what to change. */
const FLAG_OF: Readonly<Record<string, string>> = {
  prefix: '<prefix>',
  from: '--from',
  to: '--to',
  steps: '--steps',
  intervalMs: '--interval',
  progressDeadlineMs: '--progress-deadline',
  'thresholds.minSuccessRate': '--min-success',
  'thresholds.maxP99Ms': '--max-p99',
  'thresholds.minRequests': '--min-requests',
  'smoke.url': '--smoke-url',
  'smoke.host': '--smoke-host',
  'smoke.requests': '--smoke-requests',
  'smoke.expect': '--smoke-expect',
  'smoke.timeoutMs': '--smoke-timeout',
  gates: '--gate-before',
  metrics: '--metrics',
  webhook: '--webhook',
  reason: '--reason',
}

/** The whole spec against the wire schema: what the flags' own checks let through (ranges). */
export function checkSpec(spec: RolloutSpec): RolloutSpec {
  const r = RolloutSpec.safeParse(spec)
  if (r.success) return r.data
  const issue = r.error.issues[0]!
  const path = issue.path.map(String)
  const key = path.filter((p) => !/^\d+$/.test(p)).join('.')
  const flag = FLAG_OF[key] ?? FLAG_OF[path[0] ?? ''] ?? key
  // The flags' own checks come first and say more; this is for a bound they missed.
  throw new UsageError(`${flag}: namerd would refuse this value (${issue.message})`, [
    `see namerctl rollout start --help for what ${flag} takes`,
  ])
}

async function currentTree(api: RolloutApi, ns: string, prefix: string): Promise<string> {
  let dtab: { prefix: string; dst: string }[]
  try {
    dtab = (await api.client.get(ns)).dtab
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) throw await missingNamespace(api.client, ns)
    throw err
  }
  const same = dtab.filter((d) => {
    try {
      return Prefix.show(Prefix.read(d.prefix)) === prefix
    } catch {
      return false
    }
  })
  const last = same.at(-1)
  if (last === undefined) {
    throw new CliError('not_found', `no dentry in ${ns} has the prefix ${prefix}`, [
      'a rollout moves an existing dentry; add one first:',
      `namerctl shift ${ns} ${prefix} <tree now> --create`,
    ])
  }
  return last.dst.trim()
}

/**
 * Says (stderr) when another active rollout of the namespace moves traffic to the same `to`:
 * both are judged on the same ids' numbers, so one's failure rolls back the other too. Only a
 * warning, after the start: a listing that fails is not worth failing a started rollout for.
 */
async function warnSharedDestination(api: RolloutApi, ctx: Context, started: Rollout) {
  const squash = (t: string) => t.replace(/\s+/g, '')
  let others: RolloutSummary[]
  try {
    others = await api.list({ namespace: started.namespace, active: true })
  } catch {
    return
  }
  for (const o of others) {
    if (o.id === started.id || squash(o.to) !== squash(started.to)) continue
    ctx.io.err(
      `warning: rollout ${o.id} (${o.prefix}) is also moving traffic to ${o.to}: both are judged on ${o.to}'s numbers, so a failure of either rolls both back (abort one: namerctl rollout abort ${started.namespace} ${o.id})\n`,
    )
  }
}

/** `/p => tree;` as the diff renderer takes it. */
function dentryJson(text: string): { prefix: string; dst: string } {
  const arrow = text.indexOf('=>')
  if (arrow === -1) return { prefix: text.trim(), dst: '' }
  return {
    prefix: text.slice(0, arrow).trim(),
    dst: text
      .slice(arrow + 2)
      .trim()
      .replace(/;$/, ''),
  }
}

function renderPlan(plan: RolloutPlan, ctx: Context): string {
  const r: Rollout = plan.rollout
  const s = ctx.out
  const lines = [
    `Plan for ${r.prefix} in ${r.namespace} (dry run: nothing written):`,
    `  from ${r.from} binds to ${plan.ids.from.join(', ') || '(nothing)'}`,
    `  to   ${r.to} binds to ${plan.ids.to.join(', ') || '(nothing)'}`,
    `  now:     ${s.dim(r.before.dentry)}   (dtab version ${r.before.version})`,
  ]
  // Each step as the change it writes: the dentry before it (`-`) and after (`+`).
  let previous = r.before.dentry
  plan.steps.forEach((step, i) => {
    if (step.gate)
      lines.push(s.yellow(`  gate:    waits for namerctl rollout promote before ${step.weight}%`))
    lines.push(`  step ${i + 1}:  ${step.weight}%   (measured for ${showDuration(r.intervalMs)})`)
    lines.push(
      renderChanges(
        [
          { type: 'removed', dentry: dentryJson(previous) },
          { type: 'added', dentry: dentryJson(step.dentry) },
        ],
        s,
        '    ',
      ).trimEnd(),
    )
    previous = step.dentry
  })
  lines.push(
    `  judged: success >= ${showRate(r.thresholds.minSuccessRate)}${r.thresholds.maxP99Ms === null ? '' : `, p99 <= ${r.thresholds.maxP99Ms}ms`}, at least ${r.thresholds.minRequests} requests per window (waiting up to ${showDuration(r.progressDeadlineMs)}), from ${r.metrics.kind === 'proxies' ? "the proxies' metrics" : `Prometheus at ${r.metrics.url}`}`,
  )
  if (r.smoke !== null) {
    lines.push(
      `  smoke:  ${r.smoke.requests} requests to ${r.smoke.url}${r.smoke.host === null ? '' : ` (Host ${r.smoke.host})`} expecting ${r.smoke.expect.join(',')} from ${r.to}`,
    )
  }
  if (r.webhook !== null) lines.push(`  webhook: ${r.webhook}`)
  lines.push(
    `  on failure: the dtab goes back to version ${r.before.version}'s text exactly (or the dentry alone, if others changed)`,
  )
  return `${lines.join('\n')}\n`
}
