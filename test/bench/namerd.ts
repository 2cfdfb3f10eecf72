// namerd end to end: a real namerd process on 127.0.0.1 per store (memory as the reference,
// file, etcd, and k8s: the CRD store against the fake Kubernetes API server of
// @switchyard/kube-fake, in a process of its own), one namespace with a 5-dentry dtab, then
//   1. dtab GETs per second over keep-alive connections with 32 requests in flight, from
//      node's http client in this process and, if installed, from wrk;
//   2. watch fan-out: 1,000 `?watch=1` streams, then PUTs, each timed to every watcher.
// The load generator, namerd (and etcd or the fake API server) share this machine's cores,
// which the tables say.
//
// Environment: SWITCHYARD_BENCH_STORES=memory,file,etcd,k8s picks stores; SWITCHYARD_BENCH_CPU_PROF=
// <dir> runs namerd with `node --cpu-prof` and writes its profiles there.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { EtcdServer, etcdMissing } from '../../packages/store/test/etcd-server.js'
import { type FanoutResult, measureFanout } from './fanout.js'
import { table } from './harness.js'
import { startKubeFake } from './kube-fake-process.js'
import { type CpuShare, cpuMeter, findPid, httpLoad, type LoadResult, runWrk, WRK } from './load.js'
import { startNamerd } from './namerd-process.js'

const NAMESPACE = 'default'
const CONCURRENCY = 32
const LOAD_SECONDS = 5
const WATCHERS = 1000
const PUTS = 10
const TARGET_GETS_PER_SEC = 10_000
const TARGET_FANOUT_P99_MS = 100
/** The Kubernetes namespace of the k8s store's DTab objects (deploy/base's). */
const K8S_NAMESPACE = 'switchyard'

/** Linkerd 1's example dtab: a blue-green split of /svc/world, `v2` percent on world-v2. */
export function benchDtab(v2: number): string {
  return [
    '/srv => /#/io.l5d.fs',
    '/host => /srv',
    '/tmp => /srv',
    '/svc => /host',
    `/host/world => ${v2} * /tmp/world-v2 & ${100 - v2} * /tmp/world-v1`,
  ].join(';\n')
}

const STORES = ['memory', 'file', 'etcd', 'k8s'] as const
type StoreKind = (typeof STORES)[number]

/** How namerd is started on a store, and the store's own server process, if it has one. */
interface StoreSetup {
  /** namerd's --store. */
  readonly spec: string
  readonly args?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  /** etcd's or the fake API server's pid, for its CPU column. */
  readonly serverPid: number | null
}

export interface GetRun {
  readonly load: LoadResult
  readonly cpu: CpuShare
}

export interface NamerdStoreRow {
  readonly store: StoreKind
  readonly gets: GetRun[]
  readonly fanout: FanoutResult
}

export interface NamerdBenchResult {
  readonly rows: NamerdStoreRow[]
  readonly skipped: string[]
  readonly cores: number
  readonly loadBefore: number[]
  readonly loadAfter: number[]
  readonly seconds: number
}

function log(message: string): void {
  process.stderr.write(`  namerd bench: ${message}\n`)
}

/** Things to undo, newest first, even when the run fails or is interrupted. */
class Cleanup {
  readonly #steps: (() => Promise<unknown>)[] = []
  #running: Promise<void> | null = null
  add(step: () => Promise<unknown>): void {
    this.#steps.push(step)
  }
  /** Runs every step added so far; a second caller meanwhile waits for the same run. */
  run(): Promise<void> {
    this.#running ??= (async () => {
      while (this.#steps.length > 0) {
        const step = this.#steps.pop()!
        await step().catch((err: unknown) => log(`cleanup failed: ${err}`))
      }
    })().finally(() => {
      this.#running = null
    })
    return this.#running
  }
}

async function benchStore(
  store: StoreKind,
  setup: StoreSetup,
  dir: string,
  cleanup: Cleanup,
): Promise<NamerdStoreRow> {
  const profDir = process.env.SWITCHYARD_BENCH_CPU_PROF
  const { spec, serverPid } = setup
  const namerd = await startNamerd({
    store: spec,
    dir,
    nodeFlags: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    ...(setup.args === undefined ? {} : { args: setup.args }),
    ...(setup.env === undefined ? {} : { env: setup.env }),
  })
  cleanup.add(() => namerd.stop())
  log(`${store}: namerd ${namerd.pid} at ${namerd.base} (store ${spec})`)
  const url = `${namerd.base}/api/1/dtabs/${NAMESPACE}`
  const created = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/dtab' },
    body: benchDtab(10),
  })
  if (created.status !== 204) throw new Error(`POST ${url}: ${created.status}`)
  const first = await fetch(url)
  const body = await first.text()
  if (first.status !== 200 || !body.includes('world-v2')) {
    throw new Error(`GET ${url}: ${first.status} ${body}`)
  }

  const gets: GetRun[] = []
  let stopMeter = cpuMeter(namerd.pid, serverPid)
  const load = await httpLoad({
    url,
    concurrency: CONCURRENCY,
    durationMs: LOAD_SECONDS * 1000,
    maxRequests: 500_000,
    warmupMs: 1000,
  })
  gets.push({ load, cpu: stopMeter() })
  if (existsSync(WRK)) {
    stopMeter = cpuMeter(namerd.pid, serverPid)
    gets.push({ load: await runWrk(url, 1, CONCURRENCY, LOAD_SECONDS), cpu: stopMeter() })
  }
  log(`${store}: ${gets.map((g) => `${g.load.perSec.toFixed(0)} GETs/s`).join(', ')}`)

  const fanout = await measureFanout({
    base: namerd.base,
    namespace: NAMESPACE,
    watchers: WATCHERS,
    puts: PUTS,
    // 10 (as created), then 11 (warm-up), 12, ...: every PUT changes the dtab.
    dtab: (i) => benchDtab(11 + i),
  })
  log(`${store}: fan-out p99 ${fanout.fromSendMs.p99.toFixed(1)} ms from the PUT`)
  await namerd.stop()
  return { store, gets, fanout }
}

export async function runNamerdBench(): Promise<NamerdBenchResult> {
  const t0 = Date.now()
  const loadBefore = loadavg()
  const wanted = (process.env.SWITCHYARD_BENCH_STORES ?? STORES.join(',')).split(',')
  const rows: NamerdStoreRow[] = []
  const skipped: string[] = []
  const cleanup = new Cleanup()
  // ^C (or SIGTERM: pnpm sends it on ^C) still stops namerd and etcd (their guards would anyway) and removes the temp dirs; the
  // measurement under way then fails (namerd is gone), and waits for the exit.
  let interrupted = false
  const onSignal = () => {
    interrupted = true
    log('interrupted: cleaning up')
    void cleanup.run().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    for (const store of STORES) {
      if (!wanted.includes(store)) continue
      const dir = await mkdtemp(join(tmpdir(), `switchyard-bench-${store}-`))
      cleanup.add(() => rm(dir, { recursive: true, force: true }))
      let setup: StoreSetup
      if (store === 'etcd') {
        const missing = etcdMissing()
        if (missing !== null) {
          skipped.push(`etcd: ${missing}`)
          continue
        }
        const etcd = await EtcdServer.start()
        cleanup.add(() => etcd.destroy())
        setup = { spec: `etcd:${etcd.url}`, serverPid: findPid(`--data-dir=${etcd.dataDir}`) }
      } else if (store === 'k8s') {
        // The CRD store through a kubeconfig, as in a cluster namerd finds its API server.
        const api = await startKubeFake(dir)
        cleanup.add(() => api.stop())
        setup = {
          spec: 'k8s',
          args: ['--k8s-namespace', K8S_NAMESPACE],
          env: { KUBECONFIG: api.kubeconfig },
          serverPid: api.pid,
        }
      } else {
        setup = {
          spec: store === 'memory' ? 'memory' : `file:${join(dir, 'store')}`,
          serverPid: null,
        }
      }
      rows.push(await benchStore(store, setup, dir, cleanup))
      await cleanup.run() // this store's namerd, etcd and directory, before the next store
    }
  } finally {
    await cleanup.run()
    if (interrupted) await new Promise(() => {}) // the signal handler exits
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
  return {
    rows,
    skipped,
    cores: cpus().length,
    loadBefore,
    loadAfter: loadavg(),
    seconds: (Date.now() - t0) / 1000,
  }
}

const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} ms`
const rate = (v: number) => `${Math.round(v).toLocaleString('en-US')}/s`
const cores = (v: number | null) => (v === null ? '?' : `${(v * 100).toFixed(0)}%`)
// A ratio of two times or rates; meaningless unless both are positive.
const ratio = (a: number, b: number) => (a > 0 && b > 0 ? `${(a / b).toFixed(2)}x` : '-')
const loads = (l: number[]) => l.map((v) => v.toFixed(2)).join(', ')

export function printNamerdBench(result: NamerdBenchResult): void {
  const { rows } = result
  console.log(
    `\n== namerd: dtab GETs (${LOAD_SECONDS} s, ${CONCURRENCY} in flight over keep-alive, after 1 s of warm-up) ==`,
  )
  const servers = [
    rows.some((r) => r.store === 'etcd') ? 'etcd' : null,
    rows.some((r) => r.store === 'k8s') ? 'the fake API server' : null,
  ].filter((s) => s !== null)
  console.log(
    `The load generator and namerd${servers.length > 0 ? ` (and ${servers.join(', ')})` : ''} share this machine's ${result.cores} cores; CPU is 100% per busy core.\n` +
      'namerd runs from source (node --import tsx) at log level info: a JSON line per request, to a file.\n' +
      '"server CPU" is the store server\'s process: etcd, or for k8s the fake Kubernetes API server\n' +
      '(@switchyard/kube-fake, in-process state, JSON over HTTP per read; not a real kube-apiserver).',
  )
  console.log(
    table(
      [
        'store',
        'client',
        'GETs/s',
        'p50',
        'p99',
        'errors',
        'namerd CPU',
        'server CPU',
        'bench CPU',
        'machine CPU',
      ],
      rows.flatMap((r) =>
        r.gets.map((g) => [
          r.store,
          g.load.client,
          rate(g.load.perSec),
          ms(g.load.p50Ms),
          ms(g.load.p99Ms),
          String(g.load.errors),
          cores(g.cpu.namerd),
          g.cpu.etcd === null ? '-' : cores(g.cpu.etcd),
          g.load.client.startsWith('wrk') ? '-' : cores(g.cpu.bench),
          `${cores(g.cpu.machine)} of ${g.cpu.cores * 100}%`,
        ]),
      ),
    ),
  )

  const f0 = rows[0]?.fanout
  console.log(
    `\n== namerd: watch fan-out (${f0?.watchers ?? WATCHERS} streams of /api/1/dtabs/${NAMESPACE}?watch=1, ${f0?.puts ?? PUTS} PUTs after a warm-up; ${f0?.samples ?? 0} samples per store) ==`,
  )
  console.log(
    table(
      [
        'store',
        'open all',
        'PUT p50',
        'from send p50',
        'p99',
        'max',
        'from 204 p50',
        'p99',
        'max',
        'last watcher p50',
        'namerd sent p50',
        'p99',
        'dropped',
      ],
      rows.map(({ store, fanout: f }) => [
        store,
        ms(f.openMs),
        ms(f.putMs.p50),
        ms(f.fromSendMs.p50),
        ms(f.fromSendMs.p99),
        ms(f.fromSendMs.max),
        ms(f.from204Ms.p50),
        ms(f.from204Ms.p99),
        ms(f.from204Ms.max),
        ms(f.lastFrom204Ms.p50),
        ms(f.serverSentMs.p50),
        ms(f.serverSentMs.p99),
        String(f.dropped),
      ]),
    ),
  )
  console.log(
    '"from send": from just before the PUT was written to the new dtab arriving at a watcher;\n' +
      '"from 204": from the PUT\'s 204 arriving here (negative: the watcher had it first);\n' +
      '"last watcher": per PUT, when the 1,000th watcher had it after the 204 (median over PUTs);\n' +
      '"namerd sent": namerd\'s own sentAt for each stream (its watchers listing, 1 ms resolution)\n' +
      "  less the wall time before the PUT: the fan-out without this process's reading of the sockets.",
  )

  const getRate = (r: NamerdStoreRow, wrk: boolean) =>
    r.gets.find((g) => g.load.client.startsWith('wrk') === wrk)?.load
  const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES')
  const targetRows: string[][] = [
    [`GETs/s >= ${TARGET_GETS_PER_SEC.toLocaleString('en-US')} (node http)`],
    [`GETs/s >= ${TARGET_GETS_PER_SEC.toLocaleString('en-US')} (wrk)`],
    [`fan-out p99 < ${TARGET_FANOUT_P99_MS} ms, from send`],
    [`fan-out p99 < ${TARGET_FANOUT_P99_MS} ms, from 204`],
  ]
  for (const r of rows) {
    const node = getRate(r, false)!
    const wrk = getRate(r, true)
    targetRows[0]!.push(
      `${rate(node.perSec)} ${verdict(node.perSec >= TARGET_GETS_PER_SEC && node.errors === 0)}`,
    )
    targetRows[1]!.push(
      wrk
        ? `${rate(wrk.perSec)} ${verdict(wrk.perSec >= TARGET_GETS_PER_SEC && wrk.errors === 0)}`
        : 'no wrk',
    )
    targetRows[2]!.push(
      `${ms(r.fanout.fromSendMs.p99)} ${verdict(r.fanout.fromSendMs.p99 < TARGET_FANOUT_P99_MS)}`,
    )
    targetRows[3]!.push(
      `${ms(r.fanout.from204Ms.p99)} ${verdict(r.fanout.from204Ms.p99 < TARGET_FANOUT_P99_MS)}`,
    )
  }
  console.log('\n== namerd: targets ==')
  console.log(
    table(
      ['target', ...rows.map((r) => r.store)],
      targetRows.map((t) => t),
    ),
  )

  const memory = rows.find((r) => r.store === 'memory')
  const others = rows.filter((r) => r.store !== 'memory')
  if (memory && others.length > 0) {
    console.log(
      '\n== namerd: each store against memory (GETs/s: below 1 is slower; latency: above 1 is slower) ==',
    )
    const mNode = getRate(memory, false)!
    const mWrk = getRate(memory, true)
    console.log(
      table(
        [
          'store',
          'GETs/s (node)',
          'GETs/s (wrk)',
          'GET p99 (node)',
          'PUT p50',
          'fan-out p99 from send',
          'from 204',
        ],
        others.map((r) => {
          const node = getRate(r, false)!
          const wrk = getRate(r, true)
          return [
            `${r.store} / memory`,
            ratio(node.perSec, mNode.perSec),
            wrk && mWrk ? ratio(wrk.perSec, mWrk.perSec) : '-',
            ratio(node.p99Ms, mNode.p99Ms),
            ratio(r.fanout.putMs.p50, memory.fanout.putMs.p50),
            ratio(r.fanout.fromSendMs.p99, memory.fanout.fromSendMs.p99),
            ratio(r.fanout.from204Ms.p99, memory.fanout.from204Ms.p99),
          ]
        }),
      ),
    )
  }
  for (const s of result.skipped) console.log(`skipped ${s}`)
  console.log(
    `\nload average before ${loads(result.loadBefore)}; after ${loads(result.loadAfter)}; ${result.seconds.toFixed(0)} s in all`,
  )
}
