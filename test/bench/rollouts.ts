// `pnpm bench rollouts` (docs/design/rollouts.md §7, sized to run in a couple of minutes): namerd
// as a process on a real etcd, many rollouts in flight across namespaces, and fake proxies in
// this process, each a real `?watch=1` stream per namespace with `l5d-watcher-admin` and a
// snapshot server (`/admin/metrics/snapshot.json`) with synthetic counters: every version's
// client counts 10 requests a second per proxy, and 10% of the rollouts' `to` fail 20% of them.
// It reports namerd's CPU per analysis round (CPU seconds from /proc over the run ÷ rounds, and
// namerd_rollout_round_seconds), and, for the failing rollouts, the time from the failing
// window's end (the step record's windowEnd) to the restored dentry arriving at every fake
// proxy's watch (target p99 < 1 s). A measurement, not a test: it prints, it does not judge.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, createServer, request, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LATENCY_BOUNDS_MS, type ProxySnapshot, Rollout, type RolloutSpec } from '@switchyard/wire'
import { EtcdServer, etcdMissing } from '../../packages/store/test/etcd-server.js'
import { table } from './harness.js'
import { processCpuSeconds, quantile } from './load.js'
import { startNamerd } from './namerd-process.js'

export interface RolloutBenchOptions {
  readonly namespaces: number
  readonly prefixes: number
  readonly proxies: number
  readonly intervalMs: number
  /** Share of rollouts whose `to` fails 20% of requests. */
  readonly failingShare: number
}

/** 100 rollouts (20 namespaces × 5 prefixes), 20 proxies: a couple of minutes on 2 cores. The
 * design's full size is 40 × 5 and 50 proxies. */
export const DEFAULT_ROLLOUT_BENCH: RolloutBenchOptions = {
  namespaces: 20,
  prefixes: 5,
  proxies: 20,
  intervalMs: 2000,
  failingShare: 0.1,
}

/** The design's size (docs/design/rollouts.md §7): 200 rollouts over 40 namespaces, 50 proxies. */
export const FULL_ROLLOUT_BENCH: RolloutBenchOptions = {
  ...DEFAULT_ROLLOUT_BENCH,
  namespaces: 40,
  proxies: 50,
}

export interface RolloutBenchResult {
  readonly options: RolloutBenchOptions
  readonly rollouts: number
  readonly outcomes: ReadonlyMap<string, number>
  readonly runSeconds: number
  readonly namerdCpuSeconds: number | null
  /** This process's own CPU over the run (the fake proxies and the poller live here). */
  readonly benchCpuSeconds: number
  readonly rounds: number | null
  readonly roundSecondsSum: number | null
  /** Per failing rollout: windowEnd to the restore at the last proxy, ms. */
  readonly restoreMs: readonly number[]
  /** Failing rollouts whose restore did not reach every proxy before the run ended. */
  readonly restoreMissing: number
  readonly problems: readonly string[]
}

const RATE_PER_PROXY = 10
const STEPS = [10, 50, 100]

const ns = (i: number) => `bench-${i}`
const svc = (n: number, p: number) => `ns${n}-svc${p}`

/** One fake proxy: a snapshot server with synthetic counters, and a watch per namespace. */
class FakeProxy {
  readonly instance = crypto.randomUUID()
  readonly startedAt = new Date()
  server: Server | null = null
  port = 0
  /** Per namespace, each state the watch received: when, and the dentries' dst by prefix. */
  readonly arrivals = new Map<string, { at: number; dst: Map<string, string> }[]>()

  constructor(
    readonly index: number,
    private readonly clients: readonly { id: string; failing: boolean }[],
  ) {}

  snapshot(): ProxySnapshot {
    const seconds = (Date.now() - this.startedAt.getTime()) / 1000
    const requests = Math.floor(RATE_PER_PROXY * seconds)
    const clients: ProxySnapshot['clients'] = {}
    for (const c of this.clients) {
      const failures = c.failing ? Math.floor(requests * 0.2) : 0
      const buckets = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0)
      buckets[3] = requests // all under 10 ms
      clients[c.id] = { requests, success: requests - failures, failures, buckets }
    }
    return {
      instance: this.instance,
      startedAt: this.startedAt.toISOString(),
      at: new Date().toISOString(),
      bounds: [...LATENCY_BOUNDS_MS],
      clients,
    }
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/admin/metrics/snapshot.json')) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(this.snapshot()))
      } else {
        res.writeHead(404)
        res.end()
      }
    })
    this.server = server
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const a = server.address()
    this.port = typeof a === 'object' && a !== null ? a.port : 0
  }

  watch(agent: Agent, port: number, namespace: string): void {
    const list: { at: number; dst: Map<string, string> }[] = []
    this.arrivals.set(namespace, list)
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `/api/1/dtabs/${namespace}?watch=1`,
        agent,
        headers: {
          'l5d-watcher-id': `bench-proxy-${this.index}`,
          'l5d-watcher-admin': `127.0.0.1:${this.port}`,
        },
      },
      (res) => {
        let buf = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          buf += d
          let i = buf.indexOf('\n')
          while (i !== -1) {
            const line = buf.slice(0, i)
            buf = buf.slice(i + 1)
            i = buf.indexOf('\n')
            try {
              const dentries = JSON.parse(line) as { prefix: string; dst: string }[]
              list.push({ at: Date.now(), dst: new Map(dentries.map((d) => [d.prefix, d.dst])) })
            } catch {}
          }
        })
      },
    )
    req.on('error', () => {})
    req.end()
  }

  close(): void {
    this.server?.closeAllConnections()
    this.server?.close()
  }
}

function spec(n: number, p: number, options: RolloutBenchOptions): RolloutSpec {
  return {
    prefix: `/host/svc${p}`,
    from: `/srv/${svc(n, p)}-v1`,
    to: `/srv/${svc(n, p)}-v2`,
    steps: STEPS,
    intervalMs: options.intervalMs,
    progressDeadlineMs: 10 * options.intervalMs,
    thresholds: { minSuccessRate: 0.99, maxP99Ms: 300, minRequests: 20 },
    smoke: null,
    gates: [],
    metrics: { kind: 'proxies' },
    webhook: null,
    reason: 'pnpm bench rollouts',
  }
}

async function metricValue(base: string, name: string): Promise<number | null> {
  const text = await (await fetch(`${base}/metrics`)).text()
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)
  return m === null ? null : Number(m[1])
}

export async function runRolloutBench(
  options: RolloutBenchOptions = DEFAULT_ROLLOUT_BENCH,
): Promise<RolloutBenchResult> {
  const missing = etcdMissing()
  if (missing !== null) throw new Error(`pnpm bench rollouts needs etcd: ${missing}`)
  const problems: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-rollouts-'))
  const etcd = await EtcdServer.start()
  const proxies: FakeProxy[] = []
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })
  try {
    const disco = join(dir, 'disco')
    mkdirSync(disco)
    const failing = new Set<string>()
    const clients: { id: string; failing: boolean }[] = []
    const failingEvery = Math.max(1, Math.round(1 / options.failingShare))
    for (let n = 0; n < options.namespaces; n++) {
      for (let p = 0; p < options.prefixes; p++) {
        const bad = (n * options.prefixes + p) % failingEvery === 0
        if (bad) failing.add(`${ns(n)}/host/svc${p}`)
        for (const v of ['v1', 'v2']) {
          writeFileSync(join(disco, `${svc(n, p)}-${v}`), '127.0.0.1 9\n')
          clients.push({ id: `/#/io.l5d.fs/${svc(n, p)}-${v}`, failing: bad && v === 'v2' })
        }
      }
    }
    writeFileSync(
      join(dir, 'namerd.yaml'),
      `namers:\n  - {kind: io.l5d.fs, rootDir: ${disco}}\nrollouts:\n  tickMs: 100\n  scrapeMs: 500\n  leaseMs: 5000\n  presenceMs: 1000\n  replicaId: bench\n`,
    )
    // BENCH_NAMERD_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles namerd.
    const nodeFlags = process.env.BENCH_NAMERD_NODE_FLAGS?.split(' ').filter((f) => f !== '')
    const namerd = await startNamerd({
      store: `etcd:${etcd.url}`,
      dir,
      args: ['--config', join(dir, 'namerd.yaml')],
      ...(nodeFlags === undefined ? {} : { nodeFlags }),
    })
    try {
      for (let n = 0; n < options.namespaces; n++) {
        const dentries = [
          '/srv => /#/io.l5d.fs;',
          ...Array.from(
            { length: options.prefixes },
            (_, p) => `/host/svc${p} => /srv/${svc(n, p)}-v1;`,
          ),
        ]
        const res = await fetch(`${namerd.base}/api/1/dtabs/${ns(n)}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/dtab' },
          body: dentries.join('\n'),
        })
        if (res.status >= 300) throw new Error(`PUT ${ns(n)}: ${res.status} ${await res.text()}`)
      }
      for (let i = 0; i < options.proxies; i++) {
        const proxy = new FakeProxy(i, clients)
        await proxy.listen()
        for (let n = 0; n < options.namespaces; n++) proxy.watch(agent, namerd.port, ns(n))
        proxies.push(proxy)
      }
      // Every watch open and presence published before the first baseline.
      await new Promise((r) => setTimeout(r, 3000))

      const cpu0 = processCpuSeconds(namerd.pid)
      const benchCpu0 = process.cpuUsage()
      const rounds0 = await metricValue(namerd.base, 'namerd_rollout_round_seconds_count')
      const roundSum0 = await metricValue(namerd.base, 'namerd_rollout_round_seconds_sum')
      const t0 = Date.now()
      const started: { namespace: string; id: string; failing: boolean; from: string }[] = []
      for (let n = 0; n < options.namespaces; n++) {
        for (let p = 0; p < options.prefixes; p++) {
          const body = spec(n, p, options)
          const res = await fetch(`${namerd.base}/api/1/rollouts/${ns(n)}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
          if (res.status !== 201) {
            problems.push(`start ${ns(n)} ${body.prefix}: ${res.status} ${await res.text()}`)
            continue
          }
          const r = Rollout.parse(await res.json())
          started.push({
            namespace: r.namespace,
            id: r.id,
            failing: failing.has(`${r.namespace}${r.prefix}`),
            from: r.from,
          })
        }
      }
      // Until every rollout is terminal, or 3 minutes.
      const ended = new Map<string, Rollout>()
      const deadline = Date.now() + 180_000
      while (ended.size < started.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000))
        for (const s of started) {
          if (ended.has(s.id)) continue
          const res = await fetch(`${namerd.base}/api/1/rollouts/${s.namespace}/${s.id}`)
          if (res.status !== 200) continue
          const r = Rollout.parse(await res.json())
          if (['succeeded', 'rolled-back', 'aborted', 'stopped'].includes(r.phase)) {
            ended.set(s.id, r)
          }
        }
      }
      const runSeconds = (Date.now() - t0) / 1000
      const cpu1 = processCpuSeconds(namerd.pid)
      const benchCpu = process.cpuUsage(benchCpu0)
      const rounds1 = await metricValue(namerd.base, 'namerd_rollout_round_seconds_count')
      const roundSum1 = await metricValue(namerd.base, 'namerd_rollout_round_seconds_sum')
      if (ended.size < started.length) {
        problems.push(`${started.length - ended.size} rollouts still running after 3 minutes`)
      }
      // A second for the last restores to reach the watches.
      await new Promise((r) => setTimeout(r, 1000))
      const outcomes = new Map<string, number>()
      for (const r of ended.values()) outcomes.set(r.phase, (outcomes.get(r.phase) ?? 0) + 1)
      // An outcome other than the one its `to` deserves says why (the bench overloading namerd
      // shows up here first: progress deadlines, conflicts).
      for (const s of started) {
        const r = ended.get(s.id)
        if (r === undefined || r.phase === (s.failing ? 'rolled-back' : 'succeeded')) continue
        const why = r.events.findLast((e) => e.to === r.phase || e.to === 'rolling-back')?.why
        problems.push(
          `${s.failing ? 'failing' : 'healthy'} ${s.namespace} ${r.prefix} ${r.phase}: ${why}`,
        )
      }
      const restoreMs: number[] = []
      let restoreMissing = 0
      for (const s of started) {
        const r = ended.get(s.id)
        if (!s.failing || r === undefined || r.phase !== 'rolled-back') continue
        const windowEnd = r.stepRecords.find((x) => x.verdict === 'fail')?.windowEnd
        if (windowEnd === null || windowEnd === undefined) {
          restoreMissing++
          continue
        }
        const from = Date.parse(windowEnd)
        let last = 0
        for (const proxy of proxies) {
          const arrival = proxy.arrivals
            .get(s.namespace)
            ?.find((a) => a.at >= from && a.dst.get(r.prefix) === s.from)
          if (arrival === undefined) {
            last = Number.NaN
            break
          }
          last = Math.max(last, arrival.at)
        }
        if (Number.isNaN(last)) restoreMissing++
        else restoreMs.push(last - from)
      }
      return {
        options,
        rollouts: started.length,
        outcomes,
        runSeconds,
        namerdCpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
        benchCpuSeconds: (benchCpu.user + benchCpu.system) / 1e6,
        rounds: rounds0 === null || rounds1 === null ? null : rounds1 - rounds0,
        roundSecondsSum: roundSum0 === null || roundSum1 === null ? null : roundSum1 - roundSum0,
        restoreMs,
        restoreMissing,
        problems,
      }
    } finally {
      await namerd.stop()
    }
  } finally {
    for (const p of proxies) p.close()
    agent.destroy()
    await etcd.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : 'n/a')

export function printRolloutBench(r: RolloutBenchResult): void {
  const o = r.options
  console.log(
    `\n== rollouts: ${r.rollouts} in flight (${o.namespaces} namespaces × ${o.prefixes} prefixes, steps ${STEPS.join(',')}, interval ${o.intervalMs} ms, ${Math.round(o.failingShare * 100)}% failing), ${o.proxies} fake proxies (one watch per namespace each), namerd on etcd ==`,
  )
  const outcomes = [...r.outcomes].map(([k, v]) => `${k} ${v}`).join(', ') || 'none ended'
  const perRound =
    r.namerdCpuSeconds !== null && r.rounds !== null && r.rounds > 0
      ? `${((1000 * r.namerdCpuSeconds) / r.rounds).toFixed(1)} ms`
      : 'n/a (no namerd_rollout_round_seconds)'
  const roundMean =
    r.roundSecondsSum !== null && r.rounds !== null && r.rounds > 0
      ? `${((1000 * r.roundSecondsSum) / r.rounds).toFixed(1)} ms`
      : 'n/a'
  const sorted = Float64Array.from(r.restoreMs).sort()
  console.log(
    table(
      ['figure', 'value'],
      [
        ['outcomes', outcomes],
        ['run', `${r.runSeconds.toFixed(1)} s`],
        [
          'namerd CPU over the run',
          r.namerdCpuSeconds === null ? 'n/a' : `${r.namerdCpuSeconds.toFixed(2)} s`,
        ],
        [
          'bench process CPU over the run (fake proxies)',
          `${r.benchCpuSeconds.toFixed(2)} s (${((100 * r.benchCpuSeconds) / r.runSeconds).toFixed(0)}% of a core)`,
        ],
        ['analysis rounds', r.rounds === null ? 'n/a' : String(r.rounds)],
        ['namerd CPU per round (/proc ÷ rounds)', perRound],
        ['round duration, mean (namerd_rollout_round_seconds)', roundMean],
        [
          `failing window end → restore at all ${o.proxies} proxies, p50`,
          ms(quantile(sorted, 0.5)),
        ],
        ['  p99 (target < 1 s)', ms(quantile(sorted, 0.99))],
        ['  max', ms(sorted[sorted.length - 1] ?? Number.NaN)],
        ['  samples / restores not seen', `${sorted.length} / ${r.restoreMissing}`],
      ],
    ),
  )
  for (const p of r.problems.slice(0, 20)) console.log(`problem: ${p}`)
}
