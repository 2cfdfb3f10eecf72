// The Prometheus source (docs/design/rollouts.md §4): what each version did over a window, read
// from a Prometheus server that scrapes the proxies' /admin/metrics/prometheus, with the
// queries of promql.ts through `/api/v1/query`. The window is read `lagMs` in the past, so the
// last scrapes of it have landed. Any doubt (an HTTP error, `status: "error"`, a timeout, an
// answer we cannot parse, a Prometheus that scrapes no proxy) is `ok: false` naming the URL and
// what to check: the controller pauses on it, and never judges a guess.
import type { VersionStats } from '@switchyard/wire'
import { z } from 'zod'
import { SANITY_QUERY, versionQueries } from './promql.js'
import type { MetricsSource, ReadResult, VersionIds } from './source.js'

export interface PrometheusSourceOptions {
  /** Prometheus's base URL, e.g. http://prometheus:9090 (a path prefix is kept). */
  readonly url: string
  /** How far in the past the window is read: at least 2 scrape intervals of Prometheus. */
  readonly lagMs: number
  /** Per query; default 5 s. */
  readonly timeoutMs?: number
  /** Told of every query's result, for namerd_rollout_prometheus_queries_total. */
  readonly onQuery?: (result: 'ok' | 'error') => void
}

const DEFAULT_TIMEOUT_MS = 5000
/** An answer bigger than this is not one of our sums. */
const MAX_BODY = 1024 * 1024

/** A sample's value: Prometheus writes floats as strings, NaN and ±Inf included. */
const Sample = z.tuple([z.number(), z.string()])
const QueryAnswer = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({
      resultType: z.literal('vector'),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: Sample })),
    }),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
])

/** A query that could not be answered; its message is the whole `problem`. */
class QueryProblem extends Error {}

export function prometheusSource(options: PrometheusSourceOptions): MetricsSource {
  const base = options.url.replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const closing = new AbortController()

  /** The single value of an instant query at `time`, or null for an empty vector. */
  async function scalar(query: string, time: number): Promise<number | null> {
    const url = `${base}/api/v1/query?query=${encodeURIComponent(query)}&time=${time.toFixed(3)}`
    const where = `Prometheus at ${options.url}`
    let text: string
    let status: number
    try {
      const res = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)]),
      })
      status = res.status
      text = await res.text()
    } catch (err) {
      options.onQuery?.('error')
      const cause = err instanceof Error ? err : new Error(String(err))
      if (cause.name === 'TimeoutError') {
        throw new QueryProblem(
          `${where} did not answer within ${timeoutMs} ms: check that it is up and not overloaded`,
        )
      }
      const detail = (cause.cause as Error | undefined)?.message ?? cause.message
      throw new QueryProblem(
        `${where} cannot be reached (${detail}): check the URL and that Prometheus is running`,
      )
    }
    if (text.length > MAX_BODY) {
      options.onQuery?.('error')
      throw new QueryProblem(`${where} answered ${text.length} bytes to one sum: is it Prometheus?`)
    }
    let parsed: z.infer<typeof QueryAnswer> | undefined
    try {
      const result = QueryAnswer.safeParse(JSON.parse(text))
      if (result.success) parsed = result.data
    } catch {}
    if (parsed === undefined) {
      options.onQuery?.('error')
      throw new QueryProblem(
        `${where} answered HTTP ${status} with no Prometheus query result (${JSON.stringify(text.slice(0, 200))}): check that the URL is Prometheus's base URL, without /api/v1`,
      )
    }
    if (parsed.status === 'error') {
      options.onQuery?.('error')
      throw new QueryProblem(
        `${where} refused the query ${query} (HTTP ${status}, ${parsed.errorType}: ${parsed.error})`,
      )
    }
    options.onQuery?.('ok')
    const [first] = parsed.data.result
    if (first === undefined) return null
    return Number(first.value[1])
  }

  async function version(
    ids: readonly string[],
    windowMs: number,
    time: number,
  ): Promise<VersionStats> {
    if (ids.length === 0) return stats(ids, 0, 0, null, windowMs)
    const q = versionQueries(ids, windowMs)
    const [requests, successes, p99] = await Promise.all([
      scalar(q.requests, time),
      scalar(q.successes, time),
      scalar(q.p99, time),
    ])
    return stats(ids, requests ?? 0, successes ?? 0, p99, windowMs)
  }

  const noScrape = (atMs: number): string =>
    `Prometheus at ${options.url} scrapes no switchyard proxy (no rt:interpreter:connected series at ${new Date(atMs).toISOString()}): check that its scrape_configs list every proxy's admin port with metrics_path /admin/metrics/prometheus`

  return {
    async read(_ns: string, ids: VersionIds, start: Date, end: Date): Promise<ReadResult> {
      if (!(end.getTime() > start.getTime())) {
        return {
          ok: false,
          problem: `an empty window (${start.toISOString()} to ${end.toISOString()}) cannot be read`,
        }
      }
      // The window is [start, end - lag]: it begins at the step's windowStart, never before it
      // (a range of end - start read lagMs in the past would hold lagMs of the step before).
      const atMs = end.getTime() - options.lagMs
      const windowMs = atMs - start.getTime()
      if (windowMs < 1) {
        // Nothing of the window has landed in Prometheus yet: no traffic seen, not a fault.
        return {
          ok: true,
          reading: {
            from: stats(ids.from, 0, 0, null, 1),
            to: stats(ids.to, 0, 0, null, 1),
            proxies: 0,
            at: new Date(start.getTime()),
          },
        }
      }
      const time = atMs / 1000
      try {
        const [proxies, from, to] = await Promise.all([
          scalar(SANITY_QUERY, time),
          version(ids.from, windowMs, time),
          version(ids.to, windowMs, time),
        ])
        if (proxies === null || !(proxies > 0)) return { ok: false, problem: noScrape(atMs) }
        return { ok: true, reading: { from, to, proxies, at: new Date(atMs) } }
      } catch (err) {
        if (err instanceof QueryProblem) return { ok: false, problem: err.message }
        throw err
      }
    },
    /** Prometheus keeps the history, so there is no baseline to take: the probe is the sanity query. */
    async mark(_ns: string, at: Date) {
      const atMs = at.getTime() - options.lagMs
      try {
        const proxies = await scalar(SANITY_QUERY, atMs / 1000)
        if (proxies === null || !(proxies > 0)) return { ok: false, problem: noScrape(atMs) }
        return { ok: true }
      } catch (err) {
        if (err instanceof QueryProblem) return { ok: false, problem: err.message }
        throw err
      }
    },
    async close() {
      closing.abort()
    },
  }
}

/**
 * Prometheus's `increase` extrapolates, so counts come back fractional: rounded here. The
 * success rate is taken from the unrounded sums; NaN or infinite p99 (no samples) is null.
 */
function stats(
  ids: readonly string[],
  requests: number,
  successes: number,
  p99: number | null,
  windowMs: number,
): VersionStats {
  const req = Number.isFinite(requests) ? Math.max(0, requests) : 0
  const ok = Number.isFinite(successes) ? Math.min(req, Math.max(0, successes)) : 0
  const n = Math.round(req)
  const s = Math.min(n, Math.round(ok))
  return {
    ids: [...ids],
    requests: n,
    successes: s,
    failures: n - s,
    successRate: req > 0 ? ok / req : null,
    p99Ms: n > 0 && p99 !== null && Number.isFinite(p99) ? p99 : null,
    ratePerSec: req / (windowMs / 1000),
  }
}
