// h2load (nghttp2's HTTP/2 load generator, Debian's nghttp2-client) over h2c: throughput at a
// fixed number of connections and streams, and latency percentiles read from its per-request
// log (h2load itself prints only min/max/mean/sd).
import { execFile } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { type LoadResult, quantile } from './load.js'

export const H2LOAD = '/usr/bin/h2load'

export interface H2loadOptions {
  readonly url: string
  /** :authority of every request (the proxy routes on it). */
  readonly authority: string
  readonly connections: number
  /** Concurrent streams per connection (`-m`). */
  readonly streams: number
  readonly seconds: number
  readonly warmupSeconds: number
  /** Where h2load writes its per-request log (removed afterwards). */
  readonly logFile: string
  /** A file POSTed as each request's body (`-d`); a GET without. */
  readonly bodyFile?: string
  /** Requests per second of each connection (`--rps`): a fixed rate instead of flat out. */
  readonly rpsPerConnection?: number
  /** More request headers. */
  readonly headers?: Readonly<Record<string, string>>
}

/** `h2load -t1 -c<c> -m<m> -D<s> --warm-up-time <w> [-d body]`. */
export async function runH2load(o: H2loadOptions): Promise<LoadResult> {
  const args = [
    '-t1',
    `-c${o.connections}`,
    `-m${o.streams}`,
    `-D${o.seconds}`,
    '--warm-up-time',
    String(o.warmupSeconds),
    '-H',
    `:authority: ${o.authority}`,
    '--log-file',
    o.logFile,
    ...Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    ...(o.bodyFile === undefined ? [] : ['-d', o.bodyFile]),
    ...(o.rpsPerConnection === undefined ? [] : ['--rps', String(o.rpsPerConnection)]),
    o.url,
  ]
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      H2LOAD,
      args,
      { timeout: (o.seconds + o.warmupSeconds + 20) * 1000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`h2load ${args.join(' ')} failed: ${err.message}\n${stderr}`))
        else resolve(stdout)
      },
    )
  })
  const m = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded/.exec(out)
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out)
  if (!m || !codes) throw new Error(`cannot read h2load's output:\n${out}`)
  // Columns: start (µs since the epoch), status, µs until the response ended. Status 0 marks a
  // request still open when the measured period ended; it is neither counted nor timed.
  const latencies: number[] = []
  const errors = Number(m[2]) - Number(m[3]) + Number(codes[3]) + Number(codes[4])
  try {
    for (const line of readFileSync(o.logFile, 'utf8').split('\n')) {
      const [, code, us] = line.split('\t')
      if (code === undefined || us === undefined || code === '0') continue
      latencies.push(Number(us) / 1000)
    }
  } finally {
    rmSync(o.logFile, { force: true })
  }
  const sorted = Float64Array.from(latencies).sort()
  const done = Number(m[2])
  return {
    client: `h2load -c${o.connections} -m${o.streams}${o.rpsPerConnection === undefined ? '' : ` --rps ${o.rpsPerConnection}`}`,
    requests: done,
    errors,
    seconds: o.seconds,
    perSec: Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? done / o.seconds),
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
  }
}
