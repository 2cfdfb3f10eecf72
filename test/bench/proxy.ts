// `pnpm bench proxy`: the same load, in one run, against the backend directly, our proxy
// (a 5-dentry dtab resolving to 3 endpoints), our proxy with an `l5d-dtab` override on every
// request, nginx (one worker, keep-alive upstreams) and haproxy (one thread) from Debian, and
// node's floor: a pass-through that pipes bytes and parses nothing (node-floor.mjs), started
// with the proxy's node flags, whose memory is where any node proxy starts.
// wrk drives the throughput runs (fixed connections, keep-alive, small bodies). The latency
// the proxy adds at a moderate load is measured at about 1,000 requests/s twice: requests
// arriving independently (wrk with paced.lua, a Poisson stream), and in bursts of 10 (hey,
// whose rate-limited workers fire in step). Every server
// binds 127.0.0.1 on a port it was given free, and everything is stopped at the end.
// With a baseline ref, the proxy as it was at that ref is built beside this tree (baseline.ts)
// and measured as two more targets in the same rounds, with and without `l5d-dtab`, each right
// after the proxy as it is now, so their ratio is read off the same minutes.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PROXY_NODE_FLAGS } from '@switchyard/proxy'
import { type Baseline, prepareBaseline } from './baseline.js'
import { type LoadResult, runWrk, type WrkScript } from './load.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PROXY_MAIN = join(ROOT, 'packages/proxy/dist/main.js')
const FLOOR_MAIN = fileURLToPath(new URL('node-floor.mjs', import.meta.url))
const CONNECTIONS = 50
/** About 1,000 requests/s in all: 20 connections, each pausing 20 ms on average. */
const PACED: WrkScript = {
  file: fileURLToPath(new URL('paced.lua', import.meta.url)),
  env: { PACE_MS: '20' },
}
const PACED_CONNECTIONS = 20

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/** One GET with node's http (fetch will not send a Host header of our choosing). */
function get(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

async function waitHttp(
  url: string,
  headers: Record<string, string> = {},
  proc?: Proc,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await get(url, headers)) === 200) return
    } catch {}
    await new Promise((r) => setTimeout(r, 50))
  }
  const err = proc?.stderr().trim()
  throw new Error(`${url} did not answer 200 in 10 s${err ? `; its stderr:\n${err}` : ''}`)
}

export interface Proc {
  readonly child: ChildProcess
  /** What it wrote to stderr so far. */
  stderr(): string
  stop(): Promise<void>
}

export function start(cmd: string, args: readonly string[], log: string): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
  })
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) writeFileSync(log, err)
  })
  return {
    child,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 3000).unref()
      }),
  }
}

/** A memory figure of a process from /proc (VmHWM: peak RSS; VmRSS; RssAnon; RssFile), in MB. */
export function memoryMb(pid: number | undefined, field: string): number | undefined {
  if (pid === undefined) return undefined
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

interface HeyResult {
  readonly p50Ms: number
  readonly p99Ms: number
  readonly perSec: number
}

/** `hey` at a fixed 1,000 requests/s (10 workers at 100/s each) for `seconds`. */
function runHey(url: string, seconds: number, headers: Record<string, string>): Promise<HeyResult> {
  const args = ['-z', `${seconds}s`, '-c', '10', '-q', '100', '-disable-compression']
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === 'host') args.push('-host', v)
    else args.push('-H', `${k}: ${v}`)
  }
  args.push(url)
  return new Promise((resolve, reject) => {
    execFile('hey', args, { timeout: (seconds + 20) * 1000 }, (err, out) => {
      if (err) return reject(err)
      const p = (q: number) =>
        Number(new RegExp(`\\s${q}% in ([\\d.]+) secs`).exec(out)?.[1]) * 1000
      resolve({
        p50Ms: p(50),
        p99Ms: p(99),
        perSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
      })
    })
  })
}

export interface ProxyBenchRow {
  readonly name: string
  readonly wrk: LoadResult
  readonly hey?: HeyResult
  /** About 1,000 requests/s arriving independently (Poisson). */
  readonly paced?: LoadResult
  readonly rssMb?: number | undefined
  /** Before any load, and the file-backed part of that (the node binary's pages). */
  readonly idleRssMb?: number | undefined
  /** The highest anonymous (private) RSS seen during the runs, sampled every 50 ms. */
  readonly peakAnonMb?: number | undefined
  readonly idleFileMb?: number | undefined
  /** Each round's req/s, for the spread. */
  readonly rounds?: readonly number[]
}

export interface ProxyBenchOptions {
  /** Seconds of each throughput round; the 1,000 req/s runs take twice as long. */
  readonly seconds: number
  /**
   * Throughput is measured in rounds that visit every target in turn, and each target's median
   * round is reported: this machine's speed drifts by 10–20% over a minute, and a target
   * measured alone in a slow minute would be compared unfairly.
   */
  readonly rounds: number
  /** A git ref whose proxy is measured beside this tree's. */
  readonly baseline?: string | undefined
}

export const DEFAULT_PROXY_BENCH: ProxyBenchOptions = {
  seconds: Number(process.env.BENCH_SECONDS ?? 5),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
}

export interface ProxyBench {
  readonly options: ProxyBenchOptions
  readonly rows: readonly ProxyBenchRow[]
  readonly baseline?: Baseline | undefined
}

const PLAIN = 'switchyard-proxy'
const OVERRIDE = 'switchyard-proxy + l5d-dtab'
const baselineName = (b: Baseline, override: boolean) =>
  `switchyard-proxy@${b.ref}${override ? ' + l5d-dtab' : ''}`

export async function runProxyBench(
  options: ProxyBenchOptions = DEFAULT_PROXY_BENCH,
): Promise<ProxyBench> {
  const { seconds, rounds } = options
  const latencySeconds = 2 * seconds
  for (const tool of ['/usr/sbin/nginx', '/usr/sbin/haproxy', '/usr/bin/wrk', '/usr/bin/hey']) {
    if (!existsSync(tool))
      throw new Error(`${tool} is missing: apt-get install nginx haproxy wrk hey`)
  }
  if (!existsSync(PROXY_MAIN))
    throw new Error('packages/proxy/dist is missing: run pnpm build first')
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-proxy-'))
  const procs: Proc[] = []
  try {
    // Built first, while nothing is running: it takes a core for a while.
    const baseline =
      options.baseline === undefined
        ? undefined
        : await prepareBaseline(ROOT, options.baseline, join(dir, 'baseline'))
    // Backends: one nginx worker serving a small body on three ports.
    const backends = [await freePort(), await freePort(), await freePort()]
    const nginxFront = await freePort()
    const haproxyFront = await freePort()
    const proxyPort = await freePort()
    const baselinePort = await freePort()
    const baselineAdminPort = await freePort()
    const floorPort = await freePort()
    const adminPort = await freePort()
    const servers = backends
      .map((p) => `server { listen 127.0.0.1:${p}; location / { return 200 "hello world\\n"; } }`)
      .join('\n')
    const nginxConf = (name: string, body: string) => {
      const file = join(dir, `${name}.conf`)
      writeFileSync(
        file,
        `worker_processes 1; daemon off; pid ${dir}/${name}.pid; error_log ${dir}/${name}.err warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
client_body_temp_path ${dir}/cb_${name}; proxy_temp_path ${dir}/pt_${name};
fastcgi_temp_path ${dir}/ft_${name}; uwsgi_temp_path ${dir}/ut_${name}; scgi_temp_path ${dir}/st_${name};
${body} }\n`,
      )
      return file
    }
    procs.push(
      start(
        '/usr/sbin/nginx',
        ['-c', nginxConf('backend', servers), '-p', dir],
        join(dir, 'backend.log'),
      ),
    )
    procs.push(
      start(
        '/usr/sbin/nginx',
        [
          '-c',
          nginxConf(
            'front',
            `upstream world { ${backends.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 64; }
server { listen 127.0.0.1:${nginxFront}; location / { proxy_pass http://world; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
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
  bind 127.0.0.1:${haproxyFront}
  default_backend world
backend world
  balance roundrobin
${backends.map((p, i) => `  server w${i} 127.0.0.1:${p}`).join('\n')}
`,
    )
    procs.push(start('/usr/sbin/haproxy', ['-f', haproxyCfg, '-db'], join(dir, 'haproxy.log')))

    // Our proxy: 5 dentries; /svc/world ends at /#/io.l5d.fs/world, a file of 3 endpoints.
    const disco = join(dir, 'disco')
    rmSync(disco, { recursive: true, force: true })
    const { mkdirSync } = await import('node:fs')
    mkdirSync(disco)
    writeFileSync(join(disco, 'world'), backends.map((p) => `127.0.0.1 ${p}`).join('\n'))
    // The same configuration for the baseline proxy, on its own ports.
    const proxyConfig = (name: string, port: number, admin: number) => {
      const file = join(dir, `${name}.yaml`)
      writeFileSync(
        file,
        `admin: {ip: 127.0.0.1, port: ${admin}}
log: {level: warn}
namers:
  - {kind: io.l5d.fs, rootDir: ${disco}}
routers:
  - label: bench
    interpreter:
      kind: local
      dtab: |
        /srv => /#/io.l5d.fs;
        /host => /srv;
        /tmp => /srv;
        /svc => /host;
        /host/world => /srv/world;
    servers: [{ip: 127.0.0.1, port: ${port}}]
`,
      )
      return file
    }
    const proxy = start(
      process.execPath,
      // The flags the switchyard-proxy command starts node with (see its bin and decisions.md).
      [...PROXY_NODE_FLAGS, PROXY_MAIN, '--config', proxyConfig('proxy', proxyPort, adminPort)],
      join(dir, 'proxy.log'),
    )
    procs.push(proxy)
    const baselineProxy =
      baseline &&
      start(
        process.execPath,
        [
          ...(baseline.nodeFlags ?? PROXY_NODE_FLAGS),
          baseline.main,
          '--config',
          proxyConfig('baseline', baselinePort, baselineAdminPort),
        ],
        join(dir, 'baseline.log'),
      )
    if (baselineProxy) procs.push(baselineProxy)
    const floor = start(
      process.execPath,
      [...PROXY_NODE_FLAGS, FLOOR_MAIN, String(floorPort), ...backends.map(String)],
      join(dir, 'floor.log'),
    )
    procs.push(floor)

    for (const p of backends) await waitHttp(`http://127.0.0.1:${p}/`)
    await waitHttp(`http://127.0.0.1:${nginxFront}/`)
    await waitHttp(`http://127.0.0.1:${haproxyFront}/`)
    await waitHttp(`http://127.0.0.1:${proxyPort}/`, { Host: 'world' }, proxy)
    if (baselineProxy)
      await waitHttp(`http://127.0.0.1:${baselinePort}/`, { Host: 'world' }, baselineProxy)
    await waitHttp(`http://127.0.0.1:${floorPort}/`)

    const override = { 'l5d-dtab': '/host/world => /tmp/world' }
    // Each baseline target runs right after its counterpart, in every round.
    const asWas = (override: boolean, headers: Record<string, string>) =>
      baseline && baselineProxy
        ? [
            {
              name: baselineName(baseline, override),
              url: `http://127.0.0.1:${baselinePort}/`,
              headers,
              pid: baselineProxy.child.pid,
            },
          ]
        : []
    const targets: { name: string; url: string; headers: Record<string, string>; pid?: number }[] =
      [
        { name: 'direct (backend)', url: `http://127.0.0.1:${backends[0]}/`, headers: {} },
        {
          name: PLAIN,
          url: `http://127.0.0.1:${proxyPort}/`,
          headers: { Host: 'world' },
          pid: proxy.child.pid,
        },
        ...asWas(false, { Host: 'world' }),
        {
          name: OVERRIDE,
          url: `http://127.0.0.1:${proxyPort}/`,
          headers: { Host: 'world', ...override },
          pid: proxy.child.pid,
        },
        ...asWas(true, { Host: 'world', ...override }),
        {
          name: 'node pass-through (floor)',
          url: `http://127.0.0.1:${floorPort}/`,
          headers: {},
          pid: floor.child.pid,
        },
        { name: 'nginx (1 worker)', url: `http://127.0.0.1:${nginxFront}/`, headers: {} },
        { name: 'haproxy (1 thread)', url: `http://127.0.0.1:${haproxyFront}/`, headers: {} },
      ]
    // The kernel keeps a peak for RSS (VmHWM) but not for its parts: the anonymous part (the
    // process's own memory, without the node binary's shared pages) is sampled during the runs.
    const pids = [...new Set(targets.flatMap((t) => (t.pid === undefined ? [] : [t.pid])))]
    const peakAnonMb = new Map(pids.map((pid) => [pid, 0]))
    const sampler = setInterval(() => {
      for (const pid of pids)
        peakAnonMb.set(pid, Math.max(peakAnonMb.get(pid)!, memoryMb(pid, 'RssAnon') ?? 0))
    }, 50)
    sampler.unref()
    const idle = new Map(
      pids.map((pid) => [pid, { rss: memoryMb(pid, 'VmRSS'), file: memoryMb(pid, 'RssFile') }]),
    )
    // A short warm-up lets the JIT and the connection pools settle before measuring.
    for (const t of targets) await runWrk(t.url, 1, CONNECTIONS, Math.min(2, seconds), t.headers)
    const runs = targets.map(() => [] as LoadResult[])
    for (let round = 0; round < rounds; round++) {
      for (const [i, t] of targets.entries()) {
        runs[i]!.push(await runWrk(t.url, 1, CONNECTIONS, seconds, t.headers))
      }
    }
    const rows: ProxyBenchRow[] = []
    for (const [i, t] of targets.entries()) {
      const sorted = [...runs[i]!].sort((a, b) => a.perSec - b.perSec)
      const wrk = sorted[Math.floor(sorted.length / 2)]!
      const paced = await runWrk(t.url, 1, PACED_CONNECTIONS, latencySeconds, t.headers, PACED)
      const hey = await runHey(t.url, latencySeconds, t.headers)
      rows.push({
        name: t.name,
        wrk,
        paced,
        hey,
        rssMb: memoryMb(t.pid, 'VmHWM'),
        ...(t.pid !== undefined && { peakAnonMb: peakAnonMb.get(t.pid) }),
        rounds: runs[i]!.map((r) => r.perSec),
        ...(t.pid !== undefined && {
          idleRssMb: idle.get(t.pid)?.rss,
          idleFileMb: idle.get(t.pid)?.file,
        }),
      })
    }
    clearInterval(sampler)
    return { options, rows, baseline }
  } finally {
    await Promise.all(procs.map((p) => p.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}

export function printProxyBench({ options, rows, baseline }: ProxyBench): void {
  const by = (name: string) => rows.find((r) => r.name.startsWith(name))
  const direct = by('direct')!
  const ours = rows.find((r) => r.name === PLAIN)!
  const override = rows.find((r) => r.name === OVERRIDE)!
  const nginx = by('nginx')!
  const { seconds, rounds } = options
  console.log(
    `\nproxy: wrk -t1 -c${CONNECTIONS}, ${rounds} round${rounds === 1 ? '' : 's'} of ${seconds}s, median round (throughput); at about 1,000 req/s: wrk paced.lua (independent arrivals) and hey (bursts of 10), ${2 * seconds} s each`,
  )
  if (baseline) {
    const flags =
      baseline.nodeFlags === undefined
        ? "this tree's node flags (the ref has no node-flags.ts)"
        : baseline.nodeFlags.join(' ') === PROXY_NODE_FLAGS.join(' ')
          ? 'the same node flags'
          : `its own node flags: ${baseline.nodeFlags.join(' ') || '(none)'}`
    console.log(
      `baseline: switchyard-proxy@${baseline.ref} is commit ${baseline.commit.slice(0, 12)} (${baseline.subject.slice(0, 72)}${baseline.subject.length > 72 ? '...' : ''}), built in ${baseline.buildSeconds.toFixed(0)} s with its dependencies ${baseline.deps === 'linked' ? "linked to this tree's (same lockfile)" : 'installed offline (its lockfile differs)'}, started with the same configuration and ${flags}`,
    )
  }
  console.log(
    '| target | req/s | rounds | p50 | p99 | errors | 1k/s paced p50 / p99 | 1k/s bursts p50 / p99 | peak RSS |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    const rounds = (r.rounds ?? []).map((x) => (x / 1000).toFixed(1)).join(' / ')
    console.log(
      `| ${r.name} | ${r.wrk.perSec.toFixed(0)} | ${rounds}k | ${r.wrk.p50Ms.toFixed(2)} ms | ${r.wrk.p99Ms.toFixed(2)} ms | ${r.wrk.errors} | ${r.paced?.p50Ms.toFixed(2)} / ${r.paced?.p99Ms.toFixed(2)} ms (${r.paced?.perSec.toFixed(0)}/s) | ${r.hey?.p50Ms.toFixed(2)} / ${r.hey?.p99Ms.toFixed(2)} ms | ${r.rssMb === undefined ? '' : `${r.rssMb.toFixed(0)} MB`} |`,
    )
  }
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`
  console.log(
    `\nours / nginx throughput:     ${pct(ours.wrk.perSec, nginx.wrk.perSec)} (target at least 60%)`,
  )
  console.log(`ours / direct throughput:    ${pct(ours.wrk.perSec, direct.wrk.perSec)}`)
  console.log(
    `override / plain throughput: ${pct(override.wrk.perSec, ours.wrk.perSec)} (target at least 90%)`,
  )
  if (ours.paced && direct.paced) {
    console.log(
      `p99 added at 1,000 req/s:    ${(ours.paced.p99Ms - direct.paced.p99Ms).toFixed(2)} ms (target under 1 ms), independent arrivals; p50 added ${(ours.paced.p50Ms - direct.paced.p50Ms).toFixed(2)} ms`,
    )
  }
  if (ours.hey && direct.hey) {
    console.log(
      `                             ${(ours.hey.p99Ms - direct.hey.p99Ms).toFixed(2)} ms in bursts of 10 (hey); p50 added ${(ours.hey.p50Ms - direct.hey.p50Ms).toFixed(2)} ms`,
    )
  }
  const floor = by('node pass-through')
  if (ours.rssMb !== undefined) {
    console.log(
      `proxy peak RSS:              ${ours.rssMb.toFixed(0)} MB (target under 80 MB); its anonymous part peaked at ${ours.peakAnonMb?.toFixed(0)} MB`,
    )
  }
  if (ours.idleRssMb !== undefined) {
    console.log(
      `proxy RSS before any load:   ${ours.idleRssMb.toFixed(0)} MB, ${ours.idleFileMb?.toFixed(0)} MB of it file-backed (the node binary and its libraries)`,
    )
  }
  if (floor?.rssMb !== undefined && floor.idleRssMb !== undefined) {
    console.log(
      `node's floor, same flags:    ${floor.rssMb.toFixed(0)} MB peak RSS (${floor.peakAnonMb?.toFixed(0)} MB anonymous), ${floor.idleRssMb.toFixed(0)} MB before any load: the pass-through that parses nothing`,
    )
  }
  if (baseline) printBaselineRatios(rows, baseline)
}

/** Now against the baseline: req/s as a ratio (also round by round, as they ran side by side). */
function printBaselineRatios(rows: readonly ProxyBenchRow[], baseline: Baseline): void {
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`
  const ms = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(2))
  const mb = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(0))
  const label = `proxy now / proxy at ${baseline.ref}`
  console.log('')
  for (const overridden of [false, true]) {
    const now = rows.find((r) => r.name === (overridden ? OVERRIDE : PLAIN))
    const was = rows.find((r) => r.name === baselineName(baseline, overridden))
    if (!now || !was) continue
    const byRound = (now.rounds ?? [])
      .map((n, i) => (was.rounds?.[i] === undefined ? '?' : x(n, was.rounds[i]!)))
      .join(' / ')
    console.log(
      `${label}${overridden ? ', l5d-dtab' : ''}: ${x(now.wrk.perSec, was.wrk.perSec)} req/s (by round ${byRound}); p99 ${ms(now.wrk.p99Ms)} vs ${ms(was.wrk.p99Ms)} ms under full load, ${ms(now.paced?.p99Ms)} vs ${ms(was.paced?.p99Ms)} ms at 1,000 req/s`,
    )
  }
  const now = rows.find((r) => r.name === PLAIN)
  const was = rows.find((r) => r.name === baselineName(baseline, false))
  if (now && was) {
    console.log(
      `${label}, memory: peak RSS ${mb(now.rssMb)} vs ${mb(was.rssMb)} MB (anonymous ${mb(now.peakAnonMb)} vs ${mb(was.peakAnonMb)} MB), ${mb(now.idleRssMb)} vs ${mb(was.idleRssMb)} MB before any load`,
    )
  }
}
