// The h2 and gRPC part of `pnpm bench proxy` (alone: `pnpm bench proxy --h2`): in one run, side
// by side, the backend directly, our proxy's h2 router (h2c), nginx (`listen ... http2` in the
// clear and `grpc_pass` to keep-alive upstreams, one worker) and haproxy (`proto h2` front and
// back, one thread), all in front of the same three h2c backends:
// - h2load sending a gRPC unary call at the wire level (a POST of one framed message, answered
//   by one framed message and `grpc-status: 0` in the trailers) on fixed connections and
//   streams: throughput and latency from a client in C that costs little;
// - a gRPC unary load from @grpc/grpc-js: throughput at a fixed number of calls in flight, and
//   latency at about 1,000 calls/s arriving independently (the p99 a hop adds), which h2load
//   measures too at 1,000 calls/s on 20 connections that fire in step (bursts of 20 calls every
//   20 ms, the harsher load, as hey's bursts in the HTTP/1.1 part);
// - a 1 GB response streamed through each, and our proxy's RSS sampled all along (flat).
// Beside them, node's floor (h2-floor.ts): an http2 pass-through that decides nothing, started
// with the proxy's node flags, which any node h2 proxy costs at least.
// The backends are one nginx worker answering every call from memory or the page cache: a
// small body for GETs, a canned unary gRPC reply (one framed message and `grpc-status: 0` in
// the trailers) for the gRPC method, and a sparse 1 GiB file. A real gRPC server in node would
// be the slowest hop and hide the differences between the proxies in front of it.
// Throughput is measured in rounds visiting every target in turn, each target's median round
// reported, as the HTTP/1.1 part does. BENCH_CPU_PROF=<dir> starts our proxy with --cpu-prof
// (the profile is written there when it stops); BENCH_H2_REF=<ref> measures our proxy as
// committed at that git ref instead of packages/proxy/dist.
import { execFile } from 'node:child_process'
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { connect } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { PROXY_NODE_FLAGS } from '@switchyard/proxy'
import { prepareBaseline } from './baseline.js'
import { grpcClosedLoad, grpcPacedLoad, UNARY_PATH } from './grpc-load.js'
import { H2LOAD, runH2load } from './h2-load.js'
import { type LoadResult, processCpuSeconds } from './load.js'
import { freePort, memoryMb, type Proc, start } from './proxy.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PROXY_MAIN = join(ROOT, 'packages/proxy/dist/main.js')
const CURL = '/usr/bin/curl'
/** h2load: 10 connections with 10 streams each, 100 requests in flight. */
const H2_CONNECTIONS = 10
const H2_STREAMS = 10
/** gRPC: 50 calls in flight on 4 connections (grpc-js channels). */
const GRPC_CONCURRENCY = 50
const GRPC_CHANNELS = 4
const PACED_PER_SEC = 1000
/**
 * h2load at 1,000/s: 20 connections, each sending one call every 20 ms. They fire in step, so
 * the calls arrive in bursts of 20 and the last of a burst waits behind the other 19.
 */
const PACED_H2_CONNECTIONS = 20
const STREAM_BYTES = 1024 ** 3
const AUTHORITY = 'world'
const UNARY_DIR = UNARY_PATH.slice(0, UNARY_PATH.lastIndexOf('/') + 1)
export const H2_PROXY = 'switchyard-proxy (h2 router, h2c)'
const H2_FLOOR = 'node http2 pass-through (floor)'
const FLOOR_MAIN = fileURLToPath(new URL('h2-floor.ts', import.meta.url))

export interface H2BenchOptions {
  /** Seconds of each throughput round and of each 1,000 calls/s run (5,000 calls at 5 s). */
  readonly seconds: number
  readonly rounds: number
}

export interface StreamResult {
  readonly bytes: number
  readonly seconds: number
  readonly status: number
  /** Our proxy's RSS (MB) every 100 ms while the response streamed, with ms since it began. */
  readonly rss?: readonly (readonly [number, number])[]
}

export interface H2BenchRow {
  readonly name: string
  readonly h2load: LoadResult
  readonly h2loadRounds: readonly number[]
  readonly grpc: LoadResult
  readonly grpcRounds: readonly number[]
  /**
   * CPU time the target's own processes spent per call (µs; median round): their CPU seconds
   * over the run's wall time, divided by its calls/s (the warm-up counted at the same rate).
   */
  readonly h2loadCpuUs: number
  readonly grpcCpuUs: number
  /** grpc-js at about 1,000 calls/s, arriving independently. */
  readonly paced: LoadResult
  /** h2load at 1,000 calls/s, in bursts of 20 (its 20 connections fire in step). */
  readonly h2Paced: LoadResult
  readonly stream: StreamResult
  /** Node processes (ours, the floor): RSS before any load, and the peak (VmHWM) at the end. */
  readonly idleRssMb?: number | undefined
  readonly peakRssMb?: number | undefined
}

export interface H2Bench {
  readonly options: H2BenchOptions
  readonly rows: readonly H2BenchRow[]
  /** Why our proxy has no row (e.g. its h2 router refused to start). */
  readonly proxyMissing?: string
  /** The commit our proxy was built from (BENCH_H2_REF); else packages/proxy/dist. */
  readonly proxyBuilt?: string
}

/** One h2c GET; resolves with the status. */
function h2Get(port: number, authority: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`)
    session.on('error', reject)
    const req = session.request({ ':path': '/', ':authority': authority })
    req.on('response', (h) => {
      req.resume()
      req.on('end', () => {
        session.close()
        resolve(Number(h[':status']))
      })
    })
    req.on('error', (err) => {
      session.destroy()
      reject(err)
    })
    req.end()
  })
}

/** Waits up to 10 s for a 200 over h2c; throws naming the process's stderr if it exited. */
async function waitH2(port: number, authority: string, proc?: Proc): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) break
    try {
      if ((await h2Get(port, authority)) === 200) return
    } catch {}
    await new Promise((r) => setTimeout(r, 50))
  }
  const err = proc?.stderr().trim()
  throw new Error(
    `h2c 127.0.0.1:${port} did not answer 200 in 10 s${err ? `; its stderr:\n${err}` : ''}`,
  )
}

/** curl fetches `url` over h2c and throws the body away; RSS of `pid` is sampled meanwhile. */
async function streamThrough(url: string, pid: number | undefined): Promise<StreamResult> {
  const rss: [number, number][] = []
  const t0 = performance.now()
  const sample = () => {
    const mb = memoryMb(pid, 'VmRSS')
    if (mb !== undefined) rss.push([Math.round(performance.now() - t0), mb])
  }
  sample()
  const timer = pid === undefined ? undefined : setInterval(sample, 100)
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        CURL,
        [
          '-sS',
          '--http2-prior-knowledge',
          '-H',
          `Host: ${AUTHORITY}`,
          '-o',
          '/dev/null',
          '-w',
          '%{http_code} %{size_download} %{time_total}',
          url,
        ],
        { timeout: 300_000 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`curl ${url} failed: ${err.message}\n${stderr}`))
          else resolve(stdout)
        },
      )
    })
    sample()
    const [status, bytes, seconds] = out.trim().split(' ').map(Number)
    return {
      status: status!,
      bytes: bytes!,
      seconds: seconds!,
      ...(pid !== undefined && { rss }),
    }
  } finally {
    if (timer) clearInterval(timer)
  }
}

const medianOf = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN

/** The processes whose parent is `pid` (nginx's workers under its master). */
function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return []
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // Fields after "(comm)": state, then ppid.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid)
        out.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

const median = (xs: readonly LoadResult[]): LoadResult =>
  [...xs].sort((a, b) => a.perSec - b.perSec)[Math.floor(xs.length / 2)]!

export async function runH2Bench(options: H2BenchOptions): Promise<H2Bench> {
  const { seconds, rounds } = options
  for (const tool of ['/usr/sbin/nginx', '/usr/sbin/haproxy', H2LOAD, CURL]) {
    if (!existsSync(tool))
      throw new Error(`${tool} is missing: apt-get install nginx haproxy nghttp2-client curl`)
  }
  const ref = process.env.BENCH_H2_REF
  if (ref === undefined && !existsSync(PROXY_MAIN))
    throw new Error('packages/proxy/dist is missing: run pnpm build first')
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-h2-'))
  const procs: Proc[] = []
  try {
    // BENCH_H2_REF=<ref>: our proxy as committed at that ref, built beside the tree as
    // --baseline builds one, for a tree whose dist/ others are rebuilding meanwhile.
    const built = ref === undefined ? undefined : await prepareBaseline(ROOT, ref, join(dir, 'ref'))
    // The backends' files: a unary gRPC reply (flag 0, length 11, "hello world") and a sparse
    // 1 GiB file (zeros from the page cache, no disk).
    // nginx's worker runs as another user when we are root: it must be able to read them.
    chmodSync(dir, 0o755)
    const www = join(dir, 'www')
    mkdirSync(www, { mode: 0o755 })
    const reply = Buffer.concat([Buffer.from([0, 0, 0, 0, 11]), Buffer.from('hello world')])
    writeFileSync(join(www, 'unary.bin'), reply)
    // The method's path is a file too, or nginx answers 404 before the 405 below.
    mkdirSync(join(www, UNARY_DIR), { mode: 0o755 })
    writeFileSync(join(www, UNARY_PATH), reply)
    // What h2load sends: the same unary call at the wire level (one framed message, "hello").
    const requestFile = join(dir, 'request.bin')
    writeFileSync(requestFile, Buffer.concat([Buffer.from([0, 0, 0, 0, 5]), Buffer.from('hello')]))
    const big = openSync(join(www, 'big'), 'w')
    closeSync(big)
    await new Promise<void>((resolve, reject) =>
      execFile('/usr/bin/truncate', ['-s', String(STREAM_BYTES), join(www, 'big')], (err) =>
        err ? reject(err) : resolve(),
      ),
    )

    const backends = [await freePort(), await freePort(), await freePort()]
    const nginxFront = await freePort()
    const haproxyFront = await freePort()
    const proxyPort = await freePort()
    const adminPort = await freePort()
    const nginxConf = (name: string, body: string) => {
      const file = join(dir, `${name}.conf`)
      writeFileSync(
        file,
        `worker_processes 1; daemon off; pid ${dir}/${name}.pid; error_log ${dir}/${name}.err warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
http2_max_concurrent_streams 1000;
client_body_temp_path ${dir}/cb_${name}; proxy_temp_path ${dir}/pt_${name};
fastcgi_temp_path ${dir}/ft_${name}; uwsgi_temp_path ${dir}/ut_${name}; scgi_temp_path ${dir}/st_${name};
${body} }\n`,
      )
      return file
    }
    // A POST to a static file is a 405 in nginx; error_page turns it into the canned reply
    // (an internal redirect, as a GET), with the trailer gRPC needs. The request body must be
    // read first (the mirror does, to a subrequest answering 204): answered before its body
    // arrived, a stream gets frames after its end, which nginx's grpc_pass takes for a broken
    // upstream ("upstream sent frame for unknown stream", a 502, the server marked down).
    const backendServer = (p: number) => `server { listen 127.0.0.1:${p} http2;
  location / { return 200 "hello world\\n"; }
  location = /big { root ${www}; default_type application/octet-stream; }
  location ${UNARY_DIR} { root ${www}; mirror /drain; mirror_request_body on; error_page 405 =200 /unary.bin; }
  location = /drain { internal; return 204; }
  location = /unary.bin { internal; root ${www}; default_type application/grpc; add_trailer grpc-status 0 always; }
}`
    procs.push(
      start(
        '/usr/sbin/nginx',
        ['-c', nginxConf('backend', backends.map(backendServer).join('\n')), '-p', dir],
        join(dir, 'backend.log'),
      ),
    )
    // nginx's grpc_pass sends one stream per upstream connection: it keeps up to 256 of them,
    // more than the 100 calls h2load has in flight.
    procs.push(
      start(
        '/usr/sbin/nginx',
        [
          '-c',
          nginxConf(
            'front',
            `upstream world { ${backends.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 256; }
server { listen 127.0.0.1:${nginxFront} http2; location / { grpc_pass grpc://world; } }`,
          ),
          '-p',
          dir,
        ],
        join(dir, 'front.log'),
      ),
    )
    const haproxyCfg = join(dir, 'haproxy.cfg')
    writeFileSync(
      haproxyCfg,
      `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 3s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:${haproxyFront} proto h2
  default_backend world
backend world
  balance roundrobin
${backends.map((p, i) => `  server w${i} 127.0.0.1:${p} proto h2`).join('\n')}
`,
    )
    procs.push(start('/usr/sbin/haproxy', ['-f', haproxyCfg, '-db'], join(dir, 'haproxy.log')))

    // Our proxy: the HTTP/1.1 part's 5-dentry dtab on an h2 router, routing on :authority
    // (the h2 default identifier) to /#/io.l5d.fs/world, the three backends.
    const disco = join(dir, 'disco')
    mkdirSync(disco)
    writeFileSync(join(disco, 'world'), backends.map((p) => `127.0.0.1 ${p}`).join('\n'))
    const proxyYaml = join(dir, 'proxy-h2.yaml')
    writeFileSync(
      proxyYaml,
      `admin: {ip: 127.0.0.1, port: ${adminPort}}
log: {level: warn}
namers:
  - {kind: io.l5d.fs, rootDir: ${disco}}
routers:
  - label: bench-h2
    protocol: h2
    interpreter:
      kind: local
      dtab: |
        /srv => /#/io.l5d.fs;
        /host => /srv;
        /tmp => /srv;
        /svc => /host;
        /host/world => /srv/world;
    servers: [{ip: 127.0.0.1, port: ${proxyPort}}]
`,
    )
    const profDir = process.env.BENCH_CPU_PROF
    const proxy = start(
      process.execPath,
      [
        ...PROXY_NODE_FLAGS,
        ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
        built?.main ?? PROXY_MAIN,
        '--config',
        proxyYaml,
      ],
      join(dir, 'proxy.log'),
    )
    procs.push(proxy)

    const floorPort = await freePort()
    const floor = start(
      process.execPath,
      [...PROXY_NODE_FLAGS, FLOOR_MAIN, String(floorPort), ...backends.map(String)],
      join(dir, 'floor.log'),
    )
    procs.push(floor)

    for (const p of backends) await waitH2(p, AUTHORITY)
    await waitH2(floorPort, AUTHORITY, floor)
    await waitH2(nginxFront, AUTHORITY)
    await waitH2(haproxyFront, AUTHORITY)
    let proxyMissing: string | undefined
    try {
      await waitH2(proxyPort, AUTHORITY, proxy)
    } catch (err) {
      proxyMissing = (err as Error).message
    }

    // Each target's own processes, whose CPU time is counted per call (for direct, the backend
    // nginx's worker): on a shared machine, CPU per call moves less than calls per second.
    const ours = proxy.child.pid === undefined ? [] : [proxy.child.pid]
    const [backendNginx, frontNginx, haproxy] = procs // started in this order above
    const targets: { name: string; port: number; pid?: number | undefined; cpu: number[] }[] = [
      { name: 'direct (backend)', port: backends[0]!, cpu: childPids(backendNginx!.child.pid) },
      ...(proxyMissing === undefined
        ? [{ name: H2_PROXY, port: proxyPort, pid: proxy.child.pid, cpu: ours }]
        : []),
      {
        name: H2_FLOOR,
        port: floorPort,
        pid: floor.child.pid,
        cpu: floor.child.pid === undefined ? [] : [floor.child.pid],
      },
      {
        name: 'nginx (grpc_pass, 1 worker)',
        port: nginxFront,
        cpu: childPids(frontNginx!.child.pid),
      },
      {
        name: 'haproxy (proto h2, 1 thread)',
        port: haproxyFront,
        cpu: haproxy!.child.pid === undefined ? [] : [haproxy!.child.pid],
      },
    ]
    /** Runs a load and also returns the CPU µs the target's processes spent per call. */
    const metered = async (pids: readonly number[], load: () => Promise<LoadResult>) => {
      const cpu = () => pids.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), 0)
      const c0 = cpu()
      const t0 = performance.now()
      const result = await load()
      const cores = (cpu() - c0) / ((performance.now() - t0) / 1000)
      return { result, cpuUs: pids.length === 0 ? Number.NaN : (cores / result.perSec) * 1e6 }
    }
    const unary = (port: number) => ({
      url: `http://127.0.0.1:${port}${UNARY_PATH}`,
      authority: AUTHORITY,
      bodyFile: requestFile,
      headers: { 'content-type': 'application/grpc', te: 'trailers' },
      logFile: join(dir, 'h2load.tsv'),
    })
    const idle = new Map(targets.map((t) => [t.pid, memoryMb(t.pid, 'VmRSS')]))
    const h2Runs = targets.map(() => [] as LoadResult[])
    const grpcRuns = targets.map(() => [] as LoadResult[])
    const h2Cpu = targets.map(() => [] as number[])
    const grpcCpu = targets.map(() => [] as number[])
    for (let round = 0; round < rounds; round++) {
      for (const [i, t] of targets.entries()) {
        const { result, cpuUs } = await metered(t.cpu, () =>
          runH2load({
            ...unary(t.port),
            connections: H2_CONNECTIONS,
            streams: H2_STREAMS,
            seconds,
            warmupSeconds: 1,
          }),
        )
        h2Runs[i]!.push(result)
        h2Cpu[i]!.push(cpuUs)
      }
      for (const [i, t] of targets.entries()) {
        const { result, cpuUs } = await metered(t.cpu, () =>
          grpcClosedLoad(
            { address: `127.0.0.1:${t.port}`, authority: AUTHORITY },
            GRPC_CONCURRENCY,
            GRPC_CHANNELS,
            seconds,
            1,
          ),
        )
        grpcRuns[i]!.push(result)
        grpcCpu[i]!.push(cpuUs)
      }
    }
    const paced: LoadResult[] = []
    const h2Paced: LoadResult[] = []
    for (const t of targets) {
      h2Paced.push(
        await runH2load({
          ...unary(t.port),
          connections: PACED_H2_CONNECTIONS,
          streams: 1,
          rpsPerConnection: PACED_PER_SEC / PACED_H2_CONNECTIONS,
          seconds,
          warmupSeconds: 1,
        }),
      )
      paced.push(
        await grpcPacedLoad(
          { address: `127.0.0.1:${t.port}`, authority: AUTHORITY },
          PACED_PER_SEC,
          seconds,
        ),
      )
    }
    const rows: H2BenchRow[] = []
    for (const [i, t] of targets.entries()) {
      const stream = await streamThrough(`http://127.0.0.1:${t.port}/big`, t.pid)
      rows.push({
        name: t.name,
        h2load: median(h2Runs[i]!),
        h2loadRounds: h2Runs[i]!.map((r) => r.perSec),
        grpc: median(grpcRuns[i]!),
        grpcRounds: grpcRuns[i]!.map((r) => r.perSec),
        h2loadCpuUs: medianOf(h2Cpu[i]!),
        grpcCpuUs: medianOf(grpcCpu[i]!),
        paced: paced[i]!,
        h2Paced: h2Paced[i]!,
        stream,
        ...(t.pid !== undefined && {
          idleRssMb: idle.get(t.pid),
          peakRssMb: memoryMb(t.pid, 'VmHWM'),
        }),
      })
    }
    return {
      options,
      rows,
      ...(proxyMissing !== undefined && { proxyMissing }),
      ...(built !== undefined && { proxyBuilt: `${built.commit.slice(0, 12)} (${ref})` }),
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}

export function printH2Bench({ options, rows, proxyMissing, proxyBuilt }: H2Bench): void {
  const { seconds, rounds } = options
  const ms = (v: number) => v.toFixed(2)
  const us = (v: number) => (Number.isNaN(v) ? '' : `${v.toFixed(0)} µs`)
  const k = (xs: readonly number[]) => `${xs.map((x) => (x / 1000).toFixed(1)).join(' / ')}k`
  console.log(
    `\nproxy, HTTP/2 and gRPC (h2c): h2load -c${H2_CONNECTIONS} -m${H2_STREAMS} posting a unary gRPC call (wire level) and grpc-js unary calls, ${GRPC_CONCURRENCY} in flight on ${GRPC_CHANNELS} connections, ${rounds} round${rounds === 1 ? '' : 's'} of ${seconds} s, median round; at about ${PACED_PER_SEC} calls/s for ${seconds} s: grpc-js (independent arrivals, 1 connection) and h2load (bursts of ${PACED_H2_CONNECTIONS}: its connections fire in step); a 1 GiB response through each (curl)`,
  )
  console.log(
    `our proxy: ${proxyBuilt === undefined ? 'packages/proxy/dist' : `built from ${proxyBuilt}`}`,
  )
  if (proxyMissing !== undefined) console.log(`no row for our proxy: ${proxyMissing}`)
  console.log(
    '| target | h2load calls/s | rounds | p50 / p99 | errors | CPU/call | grpc-js calls/s | rounds | p50 / p99 | errors | CPU/call | at 1k/s, grpc-js: p50 / p99 | at 1k/s, h2load bursts of 20: p50 / p99 | 1 GiB stream |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    const s = r.stream
    const mbps = s.bytes / 1024 ** 2 / s.seconds
    console.log(
      `| ${r.name} | ${r.h2load.perSec.toFixed(0)} | ${k(r.h2loadRounds)} | ${ms(r.h2load.p50Ms)} / ${ms(r.h2load.p99Ms)} ms | ${r.h2load.errors} | ${us(r.h2loadCpuUs)} | ${r.grpc.perSec.toFixed(0)} | ${k(r.grpcRounds)} | ${ms(r.grpc.p50Ms)} / ${ms(r.grpc.p99Ms)} ms | ${r.grpc.errors} | ${us(r.grpcCpuUs)} | ${ms(r.paced.p50Ms)} / ${ms(r.paced.p99Ms)} ms (${r.paced.perSec.toFixed(0)}/s, ${r.paced.errors} errors) | ${ms(r.h2Paced.p50Ms)} / ${ms(r.h2Paced.p99Ms)} ms (${r.h2Paced.perSec.toFixed(0)}/s, ${r.h2Paced.errors} errors) | ${s.status === 200 && s.bytes === STREAM_BYTES ? '' : `status ${s.status}, ${s.bytes} bytes, `}${s.seconds.toFixed(1)} s, ${mbps.toFixed(0)} MiB/s |`,
    )
  }
  const by = (prefix: string) => rows.find((r) => r.name.startsWith(prefix))
  const direct = by('direct')
  const ours = rows.find((r) => r.name === H2_PROXY)
  const nginx = by('nginx')
  const haproxy = by('haproxy')
  if (!ours || !direct || !nginx || !haproxy) return
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`
  console.log(
    `\nh2 ours / nginx, haproxy, direct (h2load req/s):   ${pct(ours.h2load.perSec, nginx.h2load.perSec)}, ${pct(ours.h2load.perSec, haproxy.h2load.perSec)}, ${pct(ours.h2load.perSec, direct.h2load.perSec)}`,
  )
  console.log(
    `gRPC ours / nginx, haproxy, direct (calls/s):      ${pct(ours.grpc.perSec, nginx.grpc.perSec)} (target at least 60% of nginx's), ${pct(ours.grpc.perSec, haproxy.grpc.perSec)}, ${pct(ours.grpc.perSec, direct.grpc.perSec)}`,
  )
  const added = (r: H2BenchRow, by: 'paced' | 'h2Paced') =>
    `p99 ${ms(r[by].p99Ms - direct[by].p99Ms)} ms, p50 ${ms(r[by].p50Ms - direct[by].p50Ms)} ms`
  console.log(
    `gRPC added at ${PACED_PER_SEC} calls/s vs direct, grpc-js: ours ${added(ours, 'paced')} (target p99 under 1 ms); nginx ${added(nginx, 'paced')}; haproxy ${added(haproxy, 'paced')}`,
  )
  console.log(
    `                          h2load, bursts of 20: ours ${added(ours, 'h2Paced')}; nginx ${added(nginx, 'h2Paced')}; haproxy ${added(haproxy, 'h2Paced')}`,
  )
  const rss = ours.stream.rss ?? []
  if (rss.length > 0) {
    const values = rss.map(([, mb]) => mb)
    const first = values[0]!
    const last = values[values.length - 1]!
    const max = Math.max(...values)
    // Ten samples spread over the stream, to show the shape.
    const step = Math.max(1, Math.floor(rss.length / 10))
    const shape = rss
      .filter((_, i) => i % step === 0)
      .map(([t, mb]) => `${(t / 1000).toFixed(1)}s ${mb.toFixed(0)}`)
      .join(', ')
    console.log(
      `ours, RSS over the 1 GiB stream: ${first.toFixed(0)} MB at its start, highest ${max.toFixed(0)} MB, ${last.toFixed(0)} MB at its end (${rss.length} samples, 100 ms apart; target flat): ${shape}`,
    )
  }
  const floor = rows.find((r) => r.name === H2_FLOOR)
  const x = (a: number, b: number) => `${(a / b).toFixed(1)}x`
  console.log(
    `CPU per call, ours / nginx, haproxy${floor ? ", node's floor" : ''}:        ${x(ours.h2loadCpuUs, nginx.h2loadCpuUs)}, ${x(ours.h2loadCpuUs, haproxy.h2loadCpuUs)}${floor ? `, ${x(ours.h2loadCpuUs, floor.h2loadCpuUs)}` : ''} (h2load); ${x(ours.grpcCpuUs, nginx.grpcCpuUs)}, ${x(ours.grpcCpuUs, haproxy.grpcCpuUs)}${floor ? `, ${x(ours.grpcCpuUs, floor.grpcCpuUs)}` : ''} (grpc-js)`,
  )
  if (floor) {
    console.log(
      `ours / node's http2 floor:                         ${pct(ours.h2load.perSec, floor.h2load.perSec)} (h2load), ${pct(ours.grpc.perSec, floor.grpc.perSec)} (grpc-js); the floor / nginx: ${pct(floor.h2load.perSec, nginx.h2load.perSec)}, ${pct(floor.grpc.perSec, nginx.grpc.perSec)}`,
    )
  }
  if (ours.idleRssMb !== undefined && ours.peakRssMb !== undefined) {
    console.log(
      `ours, RSS before any load ${ours.idleRssMb.toFixed(0)} MB, peak over the whole h2 run ${ours.peakRssMb.toFixed(0)} MB${floor?.idleRssMb !== undefined && floor.peakRssMb !== undefined ? `; the floor's ${floor.idleRssMb.toFixed(0)} and ${floor.peakRssMb.toFixed(0)} MB` : ''}`,
    )
  }
}
