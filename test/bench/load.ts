// HTTP load and CPU accounting for the namerd benchmark: a keep-alive GET load generator with a
// fixed number of requests in flight, wrk (when installed) as a second, cheaper client, and CPU
// time of a process and of the whole machine over an interval.
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { cpus } from 'node:os'
import { performance } from 'node:perf_hooks'

export interface LoadResult {
  readonly client: string
  readonly requests: number
  /** Requests that failed or did not answer 200. */
  readonly errors: number
  readonly seconds: number
  readonly perSec: number
  readonly p50Ms: number
  readonly p99Ms: number
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)))
  return sorted[rank - 1]!
}

export interface HttpLoadOptions {
  readonly url: string
  readonly concurrency: number
  readonly durationMs: number
  /** The run also stops after this many requests. */
  readonly maxRequests: number
  /** Requests sent first and not counted (JIT, connections), for this long. */
  readonly warmupMs: number
}

/**
 * GETs `url` over `concurrency` keep-alive connections (node's http client), each with one
 * request in flight, for `durationMs` or `maxRequests`, whichever comes first.
 */
export async function httpLoad(options: HttpLoadOptions): Promise<LoadResult> {
  const url = new URL(options.url)
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency })
  const one = () =>
    new Promise<number>((resolve) => {
      const req = request(
        { agent, host: url.hostname, port: url.port, path: url.pathname + url.search },
        (res) => {
          res.on('error', () => resolve(0))
          res.on('end', () => resolve(res.statusCode ?? 0))
          res.resume()
        },
      )
      req.on('error', () => resolve(0))
      req.end()
    })

  const phase = async (ms: number, max: number, latencies: Float64Array | null) => {
    let n = 0
    let errors = 0
    const start = performance.now()
    const end = start + ms
    const worker = async () => {
      for (;;) {
        const t0 = performance.now()
        if (t0 >= end || n >= max) return
        const status = await one()
        if (n >= max) return
        if (latencies) latencies[n] = performance.now() - t0
        n++
        if (status !== 200) errors++
      }
    }
    await Promise.all(Array.from({ length: options.concurrency }, worker))
    return { n, errors, seconds: (performance.now() - start) / 1000 }
  }

  try {
    await phase(options.warmupMs, Number.POSITIVE_INFINITY, null)
    const latencies = new Float64Array(options.maxRequests)
    const { n, errors, seconds } = await phase(options.durationMs, options.maxRequests, latencies)
    const sorted = latencies.subarray(0, n).sort()
    return {
      client: `node http, ${options.concurrency} in flight`,
      requests: n,
      errors,
      seconds,
      perSec: n / seconds,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
    }
  } finally {
    agent.destroy()
  }
}

export const WRK = '/usr/bin/wrk'

export interface WrkScript {
  /** A wrk Lua script (`-s`). */
  readonly file: string
  /** Environment the script reads. */
  readonly env?: Readonly<Record<string, string>>
}

/** Runs `wrk -t<threads> -c<connections> -d<seconds>s --latency [-s script] url`. */
export async function runWrk(
  url: string,
  threads: number,
  connections: number,
  seconds: number,
  headers: Readonly<Record<string, string>> = {},
  script?: WrkScript,
): Promise<LoadResult> {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency']
  if (script !== undefined) args.push('-s', script.file)
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`)
  args.push(url)
  const env = { ...process.env, ...script?.env }
  const out = await new Promise<string>((resolve, reject) => {
    execFile(WRK, args, { timeout: (seconds + 15) * 1000, env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`wrk ${args.join(' ')} failed: ${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
  const match = (re: RegExp) => {
    const m = re.exec(out)
    if (!m) throw new Error(`cannot read wrk's output (${re}):\n${out}`)
    return m
  }
  const requests = Number(match(/(\d+) requests in ([\d.]+)(us|ms|s|m)/)[1])
  const errors =
    Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
    (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
      .exec(out)
      ?.slice(1)
      .reduce((a, b) => a + Number(b), 0) ?? 0)
  return {
    client: `wrk -t${threads} -c${connections}`,
    requests,
    errors,
    seconds,
    perSec: Number(match(/Requests\/sec:\s+([\d.]+)/)[1]),
    p50Ms: wrkMs(match(/^\s+50%\s+([\d.]+)(us|ms|s)$/m)),
    p99Ms: wrkMs(match(/^\s+99%\s+([\d.]+)(us|ms|s)$/m)),
  }
}

function wrkMs(m: RegExpExecArray): number {
  const value = Number(m[1])
  return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value
}

const CLOCK_TICKS = 100 // USER_HZ on Linux

/** CPU seconds a process has used (user + system), or null if it cannot be read. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return null
  }
}

/** The pid of the first process whose command line contains `text`, or null. */
export function findPid(text: string): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
        if (cmdline.includes(text) && !cmdline.startsWith('sh ')) return Number(entry)
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return null
}

/** Busy and total CPU seconds of the whole machine, all cores; null where /proc is missing. */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
    const v = line.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is inside user already)
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0)
    return { busy: (total - v[3]! - v[4]!) / CLOCK_TICKS, total: total / CLOCK_TICKS }
  } catch {
    return null
  }
}

export interface CpuShare {
  /** namerd's CPU time over wall time: 1.0 = one core busy. */
  readonly namerd: number | null
  /** etcd's, when it runs. */
  readonly etcd: number | null
  /** This (benchmark) process's. */
  readonly bench: number
  /** The whole machine's, in cores (at most `cores`). */
  readonly machine: number | null
  readonly cores: number
}

/** Measures CPU use from now until the returned function is called. */
export function cpuMeter(namerdPid: number, etcdPid: number | null): () => CpuShare {
  const t0 = performance.now()
  const namerd0 = processCpuSeconds(namerdPid)
  const etcd0 = etcdPid === null ? null : processCpuSeconds(etcdPid)
  const self0 = process.cpuUsage()
  const machine0 = machineCpu()
  return () => {
    const wall = (performance.now() - t0) / 1000
    const namerd1 = processCpuSeconds(namerdPid)
    const etcd1 = etcdPid === null ? null : processCpuSeconds(etcdPid)
    const self = process.cpuUsage(self0)
    const machine1 = machineCpu()
    const cores = cpus().length
    return {
      namerd: namerd0 !== null && namerd1 !== null ? (namerd1 - namerd0) / wall : null,
      etcd: etcd0 !== null && etcd1 !== null ? (etcd1 - etcd0) / wall : null,
      bench: (self.user + self.system) / 1e6 / wall,
      machine:
        machine0 && machine1
          ? ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * cores
          : null,
      cores,
    }
  }
}
