// A real Prometheus for tests: Debian's `prometheus` package (2.42), the binary alone, on
// 127.0.0.1 at a free port, with its TSDB and a generated config in a temp dir, scraping the
// targets a test names. Prometheus cannot listen on port 0 and say where, so the port comes
// from a probe, and a start that loses the port to another process is tried again. The binary
// needs no console assets to run (--web.console.* are only read when /consoles is browsed).
// Killed when the test ends; a test calls `prometheusMissing()` first and skips with its reason.
import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

/** The part of a tap test the harness needs. */
interface Teardown {
  teardown(fn: () => unknown): void
  passing(): boolean
}

const INSTALL = 'apt-get install -y prometheus'

/** The prometheus binary: $PROMETHEUS_BIN, /usr/bin/prometheus, or one on PATH; null if none. */
export function prometheusBinary(): string | null {
  const candidates = [
    process.env.PROMETHEUS_BIN,
    '/usr/bin/prometheus',
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'prometheus')),
  ]
  for (const file of candidates) {
    if (file === undefined || file === '') continue
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {}
  }
  return null
}

/** A skip reason when the binary is absent (pass it to tap's `skip`), else false. */
export function prometheusMissing(): string | false {
  return prometheusBinary() === null
    ? `needs Prometheus (Debian's package: \`${INSTALL}\`, or set PROMETHEUS_BIN)`
    : false
}

export interface PrometheusOptions {
  /** host:port of every target, all scraped at `metricsPath`. */
  readonly targets: readonly string[]
  readonly metricsPath?: string
  /** Scrape interval (and timeout); default 100 ms, which Prometheus 2.42 accepts. */
  readonly scrapeIntervalMs?: number
}

export interface Prometheus {
  /** http://127.0.0.1:<port> */
  readonly url: string
  readonly scrapeIntervalMs: number
  /** Everything it printed, for failure messages. */
  output(): string
  /** Resolves once every target has been scraped up at least once (`up == 1`). */
  targetsUp(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function configYaml(options: PrometheusOptions, intervalMs: number): string {
  const path = options.metricsPath ?? '/admin/metrics/prometheus'
  return [
    'global:',
    `  scrape_interval: ${intervalMs}ms`,
    `  scrape_timeout: ${intervalMs}ms`,
    `  evaluation_interval: 1s`,
    'scrape_configs:',
    '  - job_name: switchyard',
    `    metrics_path: ${JSON.stringify(path)}`,
    '    static_configs:',
    `      - targets: ${JSON.stringify(options.targets)}`,
    '',
  ].join('\n')
}

/** Starts Prometheus; the caller has checked `prometheusMissing()`. */
export async function startPrometheus(
  t: Teardown,
  options: PrometheusOptions,
): Promise<Prometheus> {
  const bin = prometheusBinary()
  if (bin === null) throw new Error(`prometheus is not installed: ${INSTALL}`)
  const intervalMs = options.scrapeIntervalMs ?? 100
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  await writeFile(config, configYaml(options, intervalMs))

  let child: ChildProcess | undefined
  let out = ''
  t.teardown(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child!.once('exit', resolve))
      child.kill('SIGKILL')
      await gone
    }
    if (!t.passing())
      process.stderr.write(`\n----- prometheus output, last part -----\n${out.slice(-8192)}\n`)
    await rm(dir, { recursive: true, force: true })
  })

  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    out = ''
    const proc = spawn(
      bin,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = proc
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
    const exited = new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.once('error', (err) => {
        out += `\n[spawn error: ${err.message}]\n`
        resolve()
      })
    })
    const ready = await waitReady(url, exited, 20_000)
    if (ready === 'ready') {
      return {
        url,
        scrapeIntervalMs: intervalMs,
        output: () => out,
        targetsUp: (timeoutMs = 20_000) =>
          targetsUp(url, options.targets.length, timeoutMs, () => out),
        async stop() {
          if (proc.exitCode !== null || proc.signalCode !== null) return
          proc.kill('SIGKILL')
          await exited
        },
      }
    }
    proc.kill('SIGKILL')
    await exited
    // Another process took the probed port between the probe and the listen: once more.
    if (ready === 'exited' && /address already in use/.test(out) && attempt < 5) continue
    throw new Error(`prometheus did not become ready (${ready}); output:\n${out.slice(-4096)}`)
  }
}

async function waitReady(
  url: string,
  exited: Promise<void>,
  timeoutMs: number,
): Promise<'ready' | 'exited' | 'timeout'> {
  let gone = false
  void exited.then(() => {
    gone = true
  })
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (gone) return 'exited'
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })
      await res.body?.cancel()
      if (res.status === 200) return 'ready'
    } catch {}
    await new Promise((r) => setTimeout(r, 50))
  }
  return 'timeout'
}

async function targetsUp(
  url: string,
  count: number,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('sum(up)')}`)
      last = await res.text()
      const body = JSON.parse(last) as { data?: { result?: { value: [number, string] }[] } }
      const up = Number(body.data?.result?.[0]?.value[1] ?? 0)
      if (up >= count) return
    } catch {}
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(
    `prometheus: fewer than ${count} targets up after ${timeoutMs} ms (last answer ${last}); output:\n${output().slice(-4096)}`,
  )
}
