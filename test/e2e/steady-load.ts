// Steady, open-loop load through a proxy while a rollout runs: requests start on a fixed clock
// (200 a second by default), whether or not earlier ones have answered, as real clients do, so
// a slow or stalled proxy shows up as requests without an answer rather than as a slower test.
// Every answer is sorted by who made it: a world backend (counted per version, failures too: a
// 500 from a failing v2 is that release's answer, not one the rollout caused) or the proxy
// itself (`l5d-err` set, or a 502/503 without a world body), and every request that got no
// answer at all within its timeout is kept with its error. Bounded in time and in count, so a
// test that forgets to stop it still ends.
import { Agent, request } from 'node:http'

export interface SteadyLoadOptions {
  /** The proxy router's port. */
  readonly port: number
  /** Host header, the name the proxy routes by; default `world`. */
  readonly host?: string
  /** Requests started per second; default 200. */
  readonly ratePerSec?: number
  /** Per request: no answer within this is a request without an answer; default 5,000 ms. */
  readonly timeoutMs?: number
  /** Stops starting requests after this long; default 60 s. */
  readonly maxMs?: number
  /** Stops starting requests after this many; default ratePerSec × maxMs. */
  readonly maxRequests?: number
}

/** One request that got no answer, or an answer the proxy made rather than a backend. */
export interface Unanswered {
  /** ms since the load started. */
  readonly at: number
  readonly status: number | null
  /** The l5d-err header, the error, or the first 200 bytes of the body. */
  readonly detail: string
}

export interface SteadyLoadResult {
  readonly started: number
  readonly elapsedMs: number
  /** Backend answers per world version (200s and the backend's own failures). */
  readonly versions: ReadonlyMap<string, number>
  /** Of those, the ones that were not 200, per version. */
  readonly failures: ReadonlyMap<string, number>
  /** Requests the proxy answered itself or that got no answer: zero means no request was lost. */
  readonly unanswered: readonly Unanswered[]
  /** When each version first answered, in ms since the load started. */
  readonly firstAnswerAt: ReadonlyMap<string, number>
}

export interface SteadyLoad {
  /** Backend answers per version so far. */
  count(version: string): number
  /** Stops starting requests, waits for those in flight, and returns the tally. */
  stop(): Promise<SteadyLoadResult>
}

interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

function send(port: number, host: string, agent: Agent, timeoutMs: number): Promise<Reply | Error> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', headers: { host }, agent, timeout: timeoutMs },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          if (body.length < 4096) body += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        res.on('error', resolve)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', resolve)
    req.end()
  })
}

/** The world version that made this answer, or undefined if no world backend made it. */
export function backendVersion(r: Reply): string | undefined {
  if (r.headers['l5d-err'] !== undefined) return undefined
  try {
    const body = JSON.parse(r.body) as { service?: unknown; version?: unknown }
    if (body.service === 'world' && typeof body.version === 'string') return body.version
  } catch {}
  return undefined
}

export function startSteadyLoad(options: SteadyLoadOptions): SteadyLoad {
  const rate = options.ratePerSec ?? 200
  const timeoutMs = options.timeoutMs ?? 5000
  const maxMs = options.maxMs ?? 60_000
  const maxRequests = options.maxRequests ?? Math.ceil((rate * maxMs) / 1000)
  const host = options.host ?? 'world'
  // Enough sockets that the agent never queues: a queued request is not open-loop any more.
  const agent = new Agent({ keepAlive: true, maxSockets: 512 })
  const versions = new Map<string, number>()
  const failures = new Map<string, number>()
  const firstAnswerAt = new Map<string, number>()
  const unanswered: Unanswered[] = []
  const inFlight = new Set<Promise<void>>()
  const t0 = performance.now()
  let started = 0
  let stopped = false

  const one = async () => {
    const r = await send(options.port, host, agent, timeoutMs)
    const at = Math.round(performance.now() - t0)
    if (r instanceof Error) {
      unanswered.push({ at, status: null, detail: r.message })
      return
    }
    const version = backendVersion(r)
    if (version === undefined) {
      const err = r.headers['l5d-err']
      const detail = typeof err === 'string' ? `l5d-err: ${err}` : r.body.slice(0, 200)
      unanswered.push({ at, status: r.status, detail })
      return
    }
    versions.set(version, (versions.get(version) ?? 0) + 1)
    if (!firstAnswerAt.has(version)) firstAnswerAt.set(version, at)
    if (r.status !== 200) failures.set(version, (failures.get(version) ?? 0) + 1)
  }

  // A 10 ms clock that starts however many requests are due by now: timers drift under load,
  // and catching up keeps the rate what was asked for.
  const timer = setInterval(() => {
    const elapsed = performance.now() - t0
    if (elapsed >= maxMs) stopped = true
    const due = Math.min(maxRequests, Math.floor((elapsed * rate) / 1000))
    while (!stopped && started < due) {
      started++
      const p = one().finally(() => inFlight.delete(p))
      inFlight.add(p)
    }
    if (started >= maxRequests) stopped = true
    if (stopped) clearInterval(timer)
  }, 10)

  return {
    count: (version) => versions.get(version) ?? 0,
    async stop() {
      stopped = true
      clearInterval(timer)
      const elapsedMs = Math.round(performance.now() - t0)
      while (inFlight.size > 0) await Promise.all([...inFlight])
      agent.destroy()
      return { started, elapsedMs, versions, failures, unanswered, firstAnswerAt }
    },
  }
}

/** One line for a test's comment: requests, answers per version, failures, unanswered. */
export function describeLoad(r: SteadyLoadResult): string {
  const per = [...r.versions]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([v, n]) => `${v} ${n}${r.failures.has(v) ? ` (${r.failures.get(v)} failed)` : ''}`)
    .join(', ')
  return `${r.started} requests in ${r.elapsedMs} ms: ${per || 'no backend answers'}; ${r.unanswered.length} without a backend answer`
}
