// The dashboard's costs, measured side by side in one run (docs/performance.md, "Dashboard"):
//   1. serving the page: namerd serving app.js (br, and gzip) against nginx (Debian's, gzip_static,
//      one worker) serving the same dist/ file, by wrk at the same concurrency; the page weight
//      from dist/manifest.json against the issue's 200 KB budget;
//   2. GET /api/1/overview with 10, 100 and 1,000 namespaces (each with 3 history entries) and
//      watch streams open, against GET /api/1/dtabs (the plain listing) on the same namerd
//      (file store, as deployed without etcd/k8s);
//   3. the steady cost of N open dashboards (0, 1, 10, 50), each polling every 2 s what the
//      dashboard polls (the overview, a namespace's traffic from 3 real switchyard-proxy
//      processes' snapshots, its watchers) and holding one watch stream: namerd's CPU and RSS;
//   4. page load in Debian's chromium (playwright-core): navigation to the namespaces table
//      holding 100 rows, cold (a new browser context) and warm (the same context again).
// Everything listens on 127.0.0.1 on ports the servers pick (nginx: a port just freed by the
// kernel), and is stopped at the end. A measurement, not a test: it prints, it does not judge.
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Agent, type ClientRequest, createServer, request, type Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { PROXY_NODE_FLAGS } from '@switchyard/proxy'
import { chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_FLAGS } from '../support/browser.js'
import { table } from './harness.js'
import {
  type CpuShare,
  cpuMeter,
  httpLoad,
  type LoadResult,
  processCpuSeconds,
  quantile,
  runWrk,
  WRK,
} from './load.js'
import { type NamerdProcess, startNamerd } from './namerd-process.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DIST = join(ROOT, 'packages/dashboard/dist')
const PROXY_MAIN = join(ROOT, 'packages/proxy/dist/main.js')
const NGINX = '/usr/sbin/nginx'
/** What Chromium sends. */
const BROWSER_ENCODINGS = 'gzip, deflate, br, zstd'
const BUDGET_BYTES = 200_000 // the issue's "under 200 KB compressed"

const SERVE_CONNECTIONS = 16
const SERVE_SECONDS = 4
const API_CONCURRENCY = 8
const API_SECONDS = 3
const SIZES = [10, 100, 1000] as const
const WATCH_STREAMS = 100
const PAGES = [0, 1, 10, 50] as const
const STEADY_SECONDS = 15
const POLL_MS = 2000
const PROXIES = 3
const LOADS = 5
const TRAFFIC_NS = 'ns-0000'

function log(message: string): void {
  process.stderr.write(`  dashboard bench: ${message}\n`)
}

const nsName = (i: number) => `ns-${String(i).padStart(4, '0')}`
const dtabOf = (i: number, v: number) =>
  `/svc/app-${i} => /$/inet/127.0.0.1/${10_000 + v};/svc/other => /$/inet/127.0.0.1/9999`

export interface ServeRow {
  readonly server: string
  readonly encoding: string
  readonly bytes: number
  readonly load: LoadResult
  readonly cpu: CpuShare
}
export interface ApiRow {
  readonly namespaces: number
  readonly endpoint: string
  readonly bodyBytes: number
  readonly load: LoadResult
  /** namerd's CPU seconds per request. */
  readonly cpuPerReq: number | null
  readonly cpu: CpuShare
}
export interface SteadyRow {
  readonly namespaces: number
  readonly pages: number
  readonly seconds: number
  readonly polls: number
  readonly pollErrors: number
  readonly overviewP50: number
  readonly overviewP99: number
  readonly trafficP99: number
  readonly namerdCpu: number | null
  readonly machineCpu: number | null
  readonly rssStartMb: number | null
  readonly rssMaxMb: number | null
  readonly rssEndMb: number | null
}
export interface LoadRow {
  readonly kind: 'cold' | 'warm'
  readonly ms: number[]
}
export interface DashboardBenchResult {
  /** namerd's store: file (default) or SWITCHYARD_BENCH_STORE. */
  readonly store: string
  readonly weight: { file: string; gzip: number; br: number; raw: number }[]
  readonly serve: ServeRow[]
  readonly api: ApiRow[]
  readonly steady: SteadyRow[]
  readonly trafficNote: string
  readonly loads: LoadRow[]
  readonly skipped: string[]
  readonly cores: number
  readonly loadBefore: number[]
  readonly loadAfter: number[]
  readonly seconds: number
}

/** A port the kernel just gave out and took back, for nginx, which cannot be told port 0. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

interface Started {
  readonly pid: number
  stop(): Promise<void>
}

/** nginx in the foreground on `port`, one worker, serving dist/ with gzip_static. */
async function startNginx(dir: string, port: number): Promise<Started> {
  const conf = join(dir, 'nginx.conf')
  const temp = (name: string) => `${name}_temp_path ${join(dir, `nginx-${name}`)};`
  await writeFile(
    conf,
    `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} warn;
events { worker_connections 1024; }
http {
  access_log ${join(dir, 'nginx-access.log')};
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  types { text/javascript js; text/css css; text/html html; application/json json; }
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    root ${DIST};
    gzip_static on;
    location / { }
  }
}
`,
  )
  const child = spawn(NGINX, ['-c', conf, '-e', join(dir, 'nginx-error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  await waitFor(`nginx on ${port}${stderr ? `: ${stderr}` : ''}`, 10_000, async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`)
    return (await fetch(`http://127.0.0.1:${port}/index.html`)).status === 200
  })
  // The worker serves; the master only supervises. Its pid, for the CPU column.
  const worker = Number(
    readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0],
  )
  return {
    pid: worker,
    async stop() {
      child.kill('SIGQUIT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** switchyard-proxy watching `ns`, its admin port named to namerd; log to a file. */
async function startProxy(
  dir: string,
  id: string,
  namerdPort: number,
  ns: string,
): Promise<Started & { port: number; adminPort: number }> {
  const config = join(dir, `${id}.yaml`)
  await writeFile(
    config,
    `id: ${id}
admin: {ip: 127.0.0.1, port: 0}
routers:
  - label: outgoing
    interpreter: {kind: namerd, dst: http://127.0.0.1:${namerdPort}, namespace: ${ns}, retry: {baseSeconds: 0.2, maxSeconds: 1}}
    servers: [{ip: 127.0.0.1, port: 0}]
`,
  )
  const logFile = join(dir, `${id}.log`)
  const fd = openSync(logFile, 'w')
  let child: ChildProcess
  try {
    child = spawn(process.execPath, [...PROXY_NODE_FLAGS, PROXY_MAIN, '--config', config], {
      cwd: ROOT,
      stdio: ['ignore', fd, fd],
    })
  } finally {
    closeSync(fd)
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  const portIn = (text: string, message: string) => {
    const line = text.split('\n').find((l) => l.includes(`"${message}"`))
    if (line === undefined) return null
    const parsed = JSON.parse(line) as { port?: number; address?: string }
    return parsed.port ?? Number(String(parsed.address).split(':').pop())
  }
  let port: number | null = null
  let adminPort: number | null = null
  try {
    await waitFor(`proxy ${id} to listen`, 20_000, async () => {
      if (child.exitCode !== null) throw new Error(readFileSync(logFile, 'utf8').slice(-2000))
      const text = readFileSync(logFile, 'utf8')
      port = portIn(text, 'router listening')
      adminPort = portIn(text, 'admin listening')
      return port !== null && adminPort !== null
    })
  } catch (err) {
    await stop()
    throw err
  }
  return { pid: child.pid!, port: port!, adminPort: adminPort!, stop }
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}

/** One GET over `agent`: status and body length, or status 0 on a network error. */
function get(
  agent: Agent,
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: number; ms: number }> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const req = request({ agent, host: '127.0.0.1', port, path, headers }, (res) => {
      let bytes = 0
      res.on('data', (d: Buffer) => {
        bytes += d.length
      })
      res.on('error', () => resolve({ status: 0, bytes, ms: performance.now() - t0 }))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - t0 }),
      )
    })
    req.on('error', () => resolve({ status: 0, bytes: 0, ms: performance.now() - t0 }))
    req.end()
  })
}

/** A `?watch=1` stream held open (its data read and dropped) until `close`. */
function openWatch(port: number, ns: string, id: string): ClientRequest {
  const req = request({
    host: '127.0.0.1',
    port,
    path: `/api/1/dtabs/${ns}?watch=1`,
    headers: { 'l5d-watcher-id': id },
  })
  req.on('response', (res) => res.resume())
  req.on('error', () => {})
  req.end()
  return req
}

/** Namespaces [from, to) created, each then updated twice: 3 history entries each. */
async function populate(base: string, from: number, to: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 })
  const write = async (method: string, i: number, v: number) => {
    const res = await fetch(`${base}/api/1/dtabs/${nsName(i)}`, {
      method,
      headers: { 'content-type': 'application/dtab', 'l5d-why': `bench step ${v}` },
      body: dtabOf(i, v),
    })
    await res.arrayBuffer()
    if (res.status !== 204) throw new Error(`${method} ${nsName(i)}: ${res.status}`)
  }
  let next = from
  const worker = async () => {
    for (let i = next++; i < to; i = next++) {
      await write('POST', i, 0)
      await write('PUT', i, 1)
      await write('PUT', i, 2)
    }
  }
  try {
    await Promise.all(Array.from({ length: 8 }, worker))
  } finally {
    agent.destroy()
  }
}

async function serveBench(dir: string, namerd: NamerdProcess, skipped: string[]) {
  const rows: ServeRow[] = []
  const manifest = JSON.parse(readFileSync(join(DIST, 'manifest.json'), 'utf8')) as Record<
    string,
    { etag: string; bytes: number; gzipBytes: number; brotliBytes: number }
  >
  const app = manifest['app.js']!
  const path = `/app.js?v=${app.etag.replaceAll('"', '')}`
  if (!existsSync(WRK)) {
    skipped.push(`serving: ${WRK} is not installed`)
    return rows
  }
  const measure = async (server: string, pid: number, port: number, encoding: 'br' | 'gzip') => {
    const url = `http://127.0.0.1:${port}${path}`
    const accept = encoding === 'br' ? BROWSER_ENCODINGS : 'gzip, deflate'
    const probe = await fetch(url, { headers: { 'accept-encoding': accept } })
    const bytes = (await probe.arrayBuffer()).byteLength // fetch decodes: the raw length
    const got = probe.headers.get('content-encoding')
    if (probe.status !== 200 || got !== encoding) {
      throw new Error(`${server} ${url}: ${probe.status}, content-encoding ${got} (${bytes} B)`)
    }
    await runWrk(url, 1, SERVE_CONNECTIONS, 1, { 'accept-encoding': accept }) // warm-up
    const stop = cpuMeter(pid, null)
    const load = await runWrk(url, 1, SERVE_CONNECTIONS, SERVE_SECONDS, {
      'accept-encoding': accept,
    })
    rows.push({
      server,
      encoding: `${encoding} (${accept})`,
      bytes: encoding === 'br' ? app.brotliBytes : app.gzipBytes,
      load,
      cpu: stop(),
    })
    log(`serve ${server} ${encoding}: ${load.perSec.toFixed(0)}/s p99 ${load.p99Ms} ms`)
  }
  await measure('namerd', namerd.pid, namerd.port, 'br')
  await measure('namerd', namerd.pid, namerd.port, 'gzip')
  if (!existsSync(NGINX)) {
    skipped.push(`serving: ${NGINX} is not installed`)
    return rows
  }
  const port = await freePort()
  const nginx = await startNginx(dir, port)
  try {
    await measure('nginx', nginx.pid, port, 'gzip')
  } finally {
    await nginx.stop()
  }
  return rows
}

async function apiBench(namerd: NamerdProcess, namespaces: number): Promise<ApiRow[]> {
  const rows: ApiRow[] = []
  for (const endpoint of ['/api/1/dtabs', '/api/1/overview']) {
    const url = `${namerd.base}${endpoint}`
    const probe = await fetch(url)
    const body = await probe.text()
    if (probe.status !== 200) throw new Error(`GET ${url}: ${probe.status} ${body.slice(0, 300)}`)
    const stop = cpuMeter(namerd.pid, null)
    const cpu0 = processCpuSeconds(namerd.pid)
    const load = await httpLoad({
      url,
      concurrency: API_CONCURRENCY,
      durationMs: API_SECONDS * 1000,
      maxRequests: 1_000_000,
      warmupMs: 500,
    })
    const cpu1 = processCpuSeconds(namerd.pid)
    const cpu = stop()
    // The CPU read spans the warm-up too: count its requests at the measured rate.
    const spanRequests = load.requests * (1 + 0.5 / load.seconds)
    rows.push({
      namespaces,
      endpoint,
      bodyBytes: Buffer.byteLength(body),
      load,
      cpuPerReq: cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / spanRequests : null,
      cpu,
    })
    log(`${namespaces} namespaces ${endpoint}: ${load.perSec.toFixed(0)}/s`)
  }
  return rows
}

/** `pages` simulated dashboards for STEADY_SECONDS, each polling every 2 s. */
async function steadyBench(
  namerd: NamerdProcess,
  namespaces: number,
  pages: number,
  seconds: number,
): Promise<SteadyRow> {
  const overview: number[] = []
  const traffic: number[] = []
  let polls = 0
  let pollErrors = 0
  const agents: Agent[] = []
  const watches: ClientRequest[] = []
  const end = performance.now() + seconds * 1000
  const rss: number[] = []
  const rssStart = rssMb(namerd.pid)
  const sampler = setInterval(() => {
    const r = rssMb(namerd.pid)
    if (r !== null) rss.push(r)
  }, 500)
  const stop = cpuMeter(namerd.pid, null)
  const page = async (p: number) => {
    // A browser keeps up to 6 connections per origin; a page's 3 polls go out together.
    const agent = new Agent({ keepAlive: true, maxSockets: 6 })
    agents.push(agent)
    watches.push(openWatch(namerd.port, TRAFFIC_NS, `dashboard-page-${p}`))
    await new Promise((r) => setTimeout(r, (p / Math.max(1, pages)) * POLL_MS)) // spread phases
    while (performance.now() < end) {
      const t0 = performance.now()
      const [o, t, w] = await Promise.all([
        get(agent, namerd.port, '/api/1/overview'),
        get(agent, namerd.port, `/api/1/traffic/${TRAFFIC_NS}`),
        get(agent, namerd.port, `/api/1/dtabs/${TRAFFIC_NS}/watchers`),
      ])
      polls++
      for (const r of [o, t, w]) if (r.status !== 200) pollErrors++
      overview.push(o.ms)
      traffic.push(t.ms)
      const wait = POLL_MS - (performance.now() - t0)
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    }
  }
  try {
    if (pages === 0) await new Promise((r) => setTimeout(r, seconds * 1000))
    else await Promise.all(Array.from({ length: pages }, (_, p) => page(p)))
  } finally {
    clearInterval(sampler)
    for (const w of watches) w.destroy()
    for (const a of agents) a.destroy()
  }
  const cpu = stop()
  overview.sort((a, b) => a - b)
  traffic.sort((a, b) => a - b)
  log(
    `${namespaces} namespaces, ${pages} pages: namerd ${((cpu.namerd ?? 0) * 100).toFixed(1)}% CPU`,
  )
  return {
    namespaces,
    pages,
    seconds,
    polls,
    pollErrors,
    overviewP50: quantile(overview, 0.5),
    overviewP99: quantile(overview, 0.99),
    trafficP99: quantile(traffic, 0.99),
    namerdCpu: cpu.namerd,
    machineCpu: cpu.machine,
    rssStartMb: rssStart,
    rssMaxMb: rss.length > 0 ? Math.max(...rss) : null,
    rssEndMb: rss.at(-1) ?? null,
  }
}

async function browserBench(base: string, expected: number, skipped: string[]): Promise<LoadRow[]> {
  if (!existsSync(CHROMIUM)) {
    skipped.push(`page load: ${CHROMIUM} is not installed`)
    return []
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS })
  const cold: number[] = []
  const warm: number[] = []
  try {
    const loadOnce = async (page: import('playwright-core').Page) => {
      const t0 = performance.now()
      await page.goto(`${base}/`, { waitUntil: 'commit' })
      // A locator, not waitForFunction: the page's CSP forbids eval, and a locator runs in
      // playwright's own isolated world.
      await page
        .locator('table[aria-label="Namespaces"] tbody tr')
        .nth(expected - 1)
        .waitFor({ timeout: 30_000 })
      return performance.now() - t0
    }
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext() // a fresh profile: empty cache
      try {
        const page = await context.newPage()
        cold.push(await loadOnce(page))
        // The same tab navigates again: app.js and style.css from the cache (immutable), the
        // page revalidated (304), the overview fetched again.
        await page.goto('about:blank')
        warm.push(await loadOnce(page))
      } finally {
        await context.close()
      }
    }
  } finally {
    await browser.close()
  }
  log(
    `page load: cold ${cold.map((v) => v.toFixed(0)).join(', ')} ms; warm ${warm.map((v) => v.toFixed(0)).join(', ')} ms`,
  )
  return [
    { kind: 'cold', ms: cold },
    { kind: 'warm', ms: warm },
  ]
}

export async function runDashboardBench(): Promise<DashboardBenchResult> {
  const t0 = Date.now()
  const loadBefore = loadavg()
  const skipped: string[] = []
  const manifest = JSON.parse(readFileSync(join(DIST, 'manifest.json'), 'utf8')) as Record<
    string,
    { bytes: number; gzipBytes: number; brotliBytes: number }
  >
  const weight = Object.entries(manifest).map(([file, m]) => ({
    file,
    gzip: m.gzipBytes,
    br: m.brotliBytes,
    raw: m.bytes,
  }))
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-dashboard-'))
  const stops: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })]
  const cleanup = async () => {
    while (stops.length > 0) await stops.pop()!().catch((err: unknown) => log(`cleanup: ${err}`))
  }
  const onSignal = () => {
    log('interrupted: cleaning up')
    void cleanup().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const serve: ServeRow[] = []
  const api: ApiRow[] = []
  const steady: SteadyRow[] = []
  let loads: LoadRow[] = []
  let trafficNote = ''
  const store = process.env.SWITCHYARD_BENCH_STORE ?? 'file'
  try {
    const namerd = await startNamerd({
      store: store === 'file' ? `file:${join(dir, 'store')}` : store,
      dir,
    })
    stops.push(() => namerd.stop())
    log(`namerd ${namerd.pid} at ${namerd.base}, store ${store}`)
    serve.push(...(await serveBench(dir, namerd, skipped)))

    // Backends the proxies route to, in this process: they answer 200 and count nothing.
    const backends: Server[] = []
    const backendPorts: number[] = []
    for (let i = 0; i < 2; i++) {
      const s = createServer((_req, res) => res.end('ok'))
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
      backends.push(s)
      backendPorts.push((s.address() as { port: number }).port)
    }
    stops.push(async () => {
      for (const s of backends) s.closeAllConnections()
      await Promise.all(backends.map((s) => new Promise((r) => s.close(r))))
    })

    let have = 0
    const watches: ClientRequest[] = []
    stops.push(async () => {
      for (const w of watches) w.destroy()
    })
    for (const size of SIZES) {
      const p0 = performance.now()
      await populate(namerd.base, have, size)
      log(`${size} namespaces written in ${((performance.now() - p0) / 1000).toFixed(1)} s`)
      if (have === 0) {
        // The traffic namespace: a 90/10 split the proxies route on.
        const res = await fetch(`${namerd.base}/api/1/dtabs/${TRAFFIC_NS}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/dtab' },
          body: `/svc/world => 9 * /$/inet/127.0.0.1/${backendPorts[0]} & 1 * /$/inet/127.0.0.1/${backendPorts[1]}`,
        })
        if (res.status !== 204) throw new Error(`PUT ${TRAFFIC_NS}: ${res.status}`)
      }
      have = size
      // WATCH_STREAMS streams spread over the namespaces, as proxies would hold them.
      for (const w of watches.splice(0)) w.destroy()
      for (let i = 0; i < WATCH_STREAMS; i++) {
        watches.push(openWatch(namerd.port, nsName(i % size), `bench-watch-${i}`))
      }
      await new Promise((r) => setTimeout(r, 300))
      api.push(...(await apiBench(namerd, size)))
      if (size === 1000) {
        // One page open on a large namerd (the proxies are gone: its traffic poll reads none).
        for (const pages of [0, 1]) steady.push(await steadyBench(namerd, size, pages, 10))
      }

      if (size === 100) {
        loads = await browserBench(namerd.base, 100, skipped).catch((err: unknown) => {
          skipped.push(`page load: ${err instanceof Error ? err.message.split('\n')[0] : err}`)
          return []
        })
        const proxies: Awaited<ReturnType<typeof startProxy>>[] = []
        for (let i = 0; i < PROXIES; i++) {
          const p = await startProxy(dir, `proxy-${i + 1}`, namerd.port, TRAFFIC_NS)
          stops.push(() => p.stop())
          proxies.push(p)
        }
        // 10 requests a second through each proxy, so its snapshot has counters and buckets.
        const agent = new Agent({ keepAlive: true, maxSockets: 2 })
        let sent = 0
        let failed = 0
        const ticker = setInterval(() => {
          for (const p of proxies) {
            sent++
            void get(agent, p.port, '/', { host: 'world' }).then((r) => {
              if (r.status !== 200) failed++
            })
          }
        }, 100)
        try {
          await new Promise((r) => setTimeout(r, 2000))
          const first = await fetch(`${namerd.base}/api/1/traffic/${TRAFFIC_NS}`)
          const body = await first.text()
          trafficNote = `GET /api/1/traffic/${TRAFFIC_NS} before the pages: ${first.status}, ${Buffer.byteLength(body)} B`
          for (const pages of PAGES) {
            steady.push(await steadyBench(namerd, size, pages, pages === 0 ? 10 : STEADY_SECONDS))
          }
          const last = (await (
            await fetch(`${namerd.base}/api/1/traffic/${TRAFFIC_NS}`)
          ).json()) as {
            services?: { destinations?: { requests?: number }[] }[]
            problems?: string[]
          }
          const measured = (last.services ?? [])
            .flatMap((s) => s.destinations ?? [])
            .reduce((a, d) => a + (d.requests ?? 0), 0)
          trafficNote += `; at the end ${measured} requests in its window, problems: ${JSON.stringify(last.problems ?? [])}; ${sent} requests sent through the proxies, ${failed} failed`
        } finally {
          clearInterval(ticker)
          agent.destroy()
          for (const p of proxies) await p.stop()
        }
      }
    }
  } finally {
    await cleanup()
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
  return {
    store,
    weight,
    serve,
    api,
    steady,
    trafficNote,
    loads,
    skipped,
    cores: cpus().length,
    loadBefore,
    loadAfter: loadavg(),
    seconds: (Date.now() - t0) / 1000,
  }
}

const ms = (v: number) => (Number.isNaN(v) ? '-' : `${v.toFixed(v < 10 ? 2 : 1)} ms`)
const rate = (v: number) => `${Math.round(v).toLocaleString('en-US')}/s`
const pct = (v: number | null) => (v === null ? '?' : `${(v * 100).toFixed(1)}%`)
const ratio = (a: number, b: number) => (a > 0 && b > 0 ? `${(a / b).toFixed(2)}x` : '-')
const kb = (b: number) => `${(b / 1000).toFixed(1)} KB`
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  )
const mb = (v: number | null) => (v === null ? '?' : `${v.toFixed(0)} MB`)

export function printDashboardBench(r: DashboardBenchResult): void {
  const [l1, l5, l15] = r.loadBefore.map((v) => v.toFixed(2))
  console.log(
    `\n== dashboard ==\nThe load generators, namerd, nginx, the proxies and chromium share this machine's ${r.cores} cores,\n` +
      `and other work ran on it: load average before ${l1}, ${l5}, ${l15}; after ${r.loadAfter.map((v) => v.toFixed(2)).join(', ')}.\n` +
      `Compare rows within a run; repeat the run to see the spread. namerd: from source (tsx), log level info, store: ${r.store}.`,
  )

  const gz = r.weight.reduce((a, w) => a + w.gzip, 0)
  const br = r.weight.reduce((a, w) => a + w.br, 0)
  console.log('\n== dashboard: page weight (dist/manifest.json) ==')
  console.log(
    table(
      ['file', 'bytes', 'gzip', 'brotli'],
      [
        ...r.weight.map((w) => [w.file, kb(w.raw), kb(w.gzip), kb(w.br)]),
        ['all', kb(r.weight.reduce((a, w) => a + w.raw, 0)), kb(gz), kb(br)],
      ],
    ),
  )
  console.log(
    `budget ${kb(BUDGET_BYTES)} compressed: gzip ${((gz / BUDGET_BYTES) * 100).toFixed(0)}% of it, brotli ${((br / BUDGET_BYTES) * 100).toFixed(0)}%`,
  )

  if (r.serve.length > 0) {
    console.log(
      `\n== dashboard: serving app.js (wrk -t1 -c${SERVE_CONNECTIONS}, ${SERVE_SECONDS} s after 1 s of warm-up; nginx: 1 worker, gzip_static, access log on) ==`,
    )
    const nginx = r.serve.find((s) => s.server === 'nginx')
    console.log(
      table(
        [
          'server',
          'encoding asked',
          'body',
          'req/s',
          'MB/s',
          'p50',
          'p99',
          'server CPU',
          'CPU/req',
          'req/s vs nginx',
          'p99 vs nginx',
        ],
        r.serve.map((s) => [
          s.server,
          s.encoding,
          kb(s.bytes),
          rate(s.load.perSec),
          ((s.load.perSec * s.bytes) / 1e6).toFixed(0),
          ms(s.load.p50Ms),
          ms(s.load.p99Ms),
          pct(s.cpu.namerd),
          s.cpu.namerd === null ? '?' : `${((s.cpu.namerd / s.load.perSec) * 1e6).toFixed(0)} µs`,
          nginx ? ratio(s.load.perSec, nginx.load.perSec) : '-',
          nginx ? ratio(s.load.p99Ms, nginx.load.p99Ms) : '-',
        ]),
      ),
    )
  }

  console.log(
    `\n== dashboard: GET /api/1/overview against GET /api/1/dtabs (${API_CONCURRENCY} in flight, ${API_SECONDS} s; ${WATCH_STREAMS} watch streams open; 3 history entries per namespace) ==`,
  )
  console.log(
    table(
      [
        'namespaces',
        'endpoint',
        'body',
        'requests',
        'req/s',
        'p50',
        'p99',
        'errors',
        'namerd CPU',
        'CPU/req',
        'overview/dtabs req/s',
        'CPU/req',
      ],
      r.api.map((a) => {
        const ref = r.api.find(
          (b) => b.namespaces === a.namespaces && b.endpoint === '/api/1/dtabs',
        )!
        const isRef = a === ref
        return [
          String(a.namespaces),
          a.endpoint,
          kb(a.bodyBytes),
          String(a.load.requests),
          rate(a.load.perSec),
          ms(a.load.p50Ms),
          ms(a.load.p99Ms),
          String(a.load.errors),
          pct(a.cpu.namerd),
          a.cpuPerReq === null ? '?' : ms(a.cpuPerReq * 1000),
          isRef ? '' : ratio(a.load.perSec, ref.load.perSec),
          isRef || a.cpuPerReq === null || ref.cpuPerReq === null
            ? ''
            : ratio(a.cpuPerReq, ref.cpuPerReq),
        ]
      }),
    ),
  )

  if (r.steady.length > 0) {
    console.log(
      `\n== dashboard: N open pages, each every ${POLL_MS / 1000} s GETting /api/1/overview, /api/1/traffic/${TRAFFIC_NS} and its /watchers, plus one watch stream (${PROXIES} real proxies at 10 req/s each) ==`,
    )
    console.log(
      table(
        [
          'namespaces',
          'pages',
          'seconds',
          'polls',
          'errors',
          'overview p50',
          'p99',
          'traffic p99',
          'namerd CPU',
          'over idle',
          'machine CPU',
          'RSS start',
          'max',
          'end',
        ],
        r.steady.map((s) => {
          const idle = r.steady.find((i) => i.pages === 0 && i.namespaces === s.namespaces)
          return [
            String(s.namespaces),
            String(s.pages),
            String(s.seconds),
            String(s.polls),
            String(s.pollErrors),
            ms(s.overviewP50),
            ms(s.overviewP99),
            ms(s.trafficP99),
            pct(s.namerdCpu),
            idle && s !== idle && s.namerdCpu !== null && idle.namerdCpu !== null
              ? `+${((s.namerdCpu - idle.namerdCpu) * 100).toFixed(1)} pts`
              : '',
            `${pct(s.machineCpu)} of ${r.cores * 100}%`,
            mb(s.rssStartMb),
            mb(s.rssMaxMb),
            mb(s.rssEndMb),
          ]
        }),
      ),
    )
    console.log(
      `The 1000-namespace rows: one page, after the proxies stopped (its traffic poll reads none).\n${r.trafficNote}`,
    )
  }

  if (r.loads.length > 0) {
    console.log(
      `\n== dashboard: page load in ${CHROMIUM} (navigation to 100 rows in the Namespaces table; ${LOADS} loads each) ==`,
    )
    const cold = r.loads.find((l) => l.kind === 'cold')!
    console.log(
      table(
        ['cache', 'median', 'min', 'max', 'each', 'vs cold'],
        r.loads.map((l) => [
          l.kind === 'cold' ? 'cold (new context)' : 'warm (same tab again)',
          ms(median(l.ms)),
          ms(Math.min(...l.ms)),
          ms(Math.max(...l.ms)),
          l.ms.map((v) => v.toFixed(0)).join(' '),
          ratio(median(l.ms), median(cold.ms)),
        ]),
      ),
    )
  }
  for (const s of r.skipped) console.log(`skipped ${s}`)
  console.log(`${r.seconds.toFixed(0)} s in all`)
}
