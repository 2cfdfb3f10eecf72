// The Prometheus source against a real Prometheus (Debian's 2.42) scraping a real
// switchyard-proxy every 100 ms, with real v1 and v2 backends behind it: the source's counts,
// success rate and p99 are the proxy's own counters over the window, and every way Prometheus
// can fail to answer is `ok: false` with the URL in the problem, never a guess.

import { LATENCY_BOUNDS_MS, quantileOfBuckets } from '@switchyard/wire'
import t from 'tap'
import { prometheusMissing, startPrometheus } from '../../../test/support/prometheus.js'
import { prometheusSource } from '../src/rollouts/sources/prometheus.js'
import { send, world } from './rollouts-world.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One client's counters as the proxy exports them, read from its exposition text. */
interface Counters {
  requests: number
  success: number
  /** Cumulative bucket counts, LATENCY_BOUNDS_MS then +Inf. */
  buckets: number[]
}

async function exported(adminPort: number, id: string): Promise<Counters> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/admin/metrics/prometheus`)).text()
  const label = `client="${id.slice(1)}"`
  const value = (name: string, extra = '') => {
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && l.includes(label) && l.includes(extra))
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return {
    requests: value('rt:client:requests'),
    success: value('rt:client:success'),
    buckets: [...LATENCY_BOUNDS_MS.map(String), '+Inf'].map((le) =>
      value('rt:client:request_latency_ms_bucket', `le="${le}"`),
    ),
  }
}

t.test(
  'the source reads what the proxy counted: requests, success rate and the p99 bucket',
  { skip: prometheusMissing() },
  async (t) => {
    const w = await world(t)
    w.v2.delayMs = 120
    const prom = await startPrometheus(t, { targets: [`127.0.0.1:${w.adminPort}`] })
    // One request to each first: a client's series exist from its first request on, and
    // `increase` cannot see what happened before a series' first sample.
    const toV2 = { 'l5d-dtab': `/svc/world => ${w.v2.id}` }
    t.equal(await send(w.port), 200)
    t.equal(await send(w.port, '/', toV2), 200)
    await prom.targetsUp()
    await sleep(5 * prom.scrapeIntervalMs)

    const before = await exported(w.adminPort, w.v2.id)
    const start = new Date()
    await sleep(3 * prom.scrapeIntervalMs)
    for (let i = 0; i < 40; i += 4) {
      await Promise.all([0, 1, 2, 3].map((k) => send(w.port, i + k < 10 ? '/fail' : '/', toV2)))
    }
    for (let i = 0; i < 20; i++) await send(w.port)
    await sleep(3 * prom.scrapeIntervalMs)
    const after = await exported(w.adminPort, w.v2.id)
    const end = new Date()
    const lagMs = 5 * prom.scrapeIntervalMs
    await sleep(lagMs + 2 * prom.scrapeIntervalMs)

    const source = prometheusSource({ url: prom.url, lagMs })
    t.teardown(() => source.close())
    // The controller asks about a window from its start to now; the source reads it up to lagMs
    // earlier, once Prometheus has its last scrapes, and never from before the window's start.
    const asked = [start, new Date(end.getTime() + lagMs)] as const
    const read = await source.read('internal', { from: [w.v1.id], to: [w.v2.id] }, ...asked)
    if (!read.ok) return t.fail(read.problem)
    const { from, to } = read.reading
    t.equal(after.requests - before.requests, 40, 'the proxy counted 40 requests to v2')

    // increase() extrapolates to the window's ends by at most 1.1 scrape intervals each side.
    const windowS = (end.getTime() - start.getTime()) / 1000
    const slack = (n: number) => Math.ceil((n * 2.2 * prom.scrapeIntervalMs) / 1000 / windowS) + 1
    t.ok(Math.abs(to.requests - 40) <= slack(40), `v2: ${to.requests} requests, about 40`)
    t.ok(Math.abs(from.requests - 20) <= slack(20), `v1: ${from.requests} requests, about 20`)
    t.equal(to.failures + to.successes, to.requests)
    // Both counters come from the same scrapes, so most of the extrapolation cancels out; not
    // all of it: `increase` stops extrapolating a counter back past where it would reach zero,
    // which depends on each counter's own first sample.
    t.ok(
      Math.abs((to.successRate ?? 0) - 0.75) <= 0.03,
      `v2 success rate ${to.successRate}, about 75%`,
    )
    t.equal(from.successRate, 1, 'v1 answered every request')
    t.same(to.ids, [w.v2.id])
    t.ok(to.ratePerSec > 0)
    t.equal(read.reading.proxies, 1, 'one proxy scraped')
    t.equal(read.reading.at.getTime(), end.getTime(), 'read lagMs before the window asked for')

    // The p99 lies in the bucket the proxy's own bucket deltas put the 99th percentile in.
    const deltas = after.buckets.map((c, i) => c - (before.buckets[i] ?? 0))
    const counts = deltas.map((c, i) => c - (i === 0 ? 0 : deltas[i - 1]!))
    const exact = quantileOfBuckets(counts, LATENCY_BOUNDS_MS, 0.99)
    const i = LATENCY_BOUNDS_MS.findIndex((b) => exact !== null && exact <= b)
    const lo = i <= 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!
    const hi = i === -1 ? Number.POSITIVE_INFINITY : LATENCY_BOUNDS_MS[i]!
    t.ok(
      to.p99Ms !== null && to.p99Ms >= lo && to.p99Ms <= hi,
      `v2 p99 ${to.p99Ms} ms within the proxy's bucket (${lo}, ${hi}] (exact ${exact})`,
    )
    t.ok((to.p99Ms ?? 0) >= 100, 'a 120 ms backend is no faster than 100 ms')

    // A window with no traffic to a version: 0 requests, not a problem.
    const quiet = await source.read('internal', { from: [], to: ['/$/inet/127.0.0.1/1'] }, ...asked)
    if (!quiet.ok) return t.fail(quiet.problem)
    t.equal(quiet.reading.to.requests, 0)
    t.equal(quiet.reading.to.successRate, null)
    t.equal(quiet.reading.to.p99Ms, null)
    t.equal(quiet.reading.from.requests, 0, 'no ids, no queries, nothing counted')
  },
)

t.test(
  'a Prometheus that scrapes no proxy is unreadable, and says what to check',
  { skip: prometheusMissing() },
  async (t) => {
    // Its one target is port 1 on loopback: nothing answers there.
    const prom = await startPrometheus(t, { targets: ['127.0.0.1:1'] })
    await sleep(5 * prom.scrapeIntervalMs)
    const source = prometheusSource({ url: prom.url, lagMs: 0 })
    t.teardown(() => source.close())
    const now = Date.now()
    const read = await source.read(
      'internal',
      { from: ['/$/inet/127.0.0.1/2'], to: ['/$/inet/127.0.0.1/3'] },
      new Date(now - 1000),
      new Date(now),
    )
    t.equal(read.ok, false)
    if (!read.ok) {
      t.match(read.problem, `Prometheus at ${prom.url} scrapes no switchyard proxy`)
      t.match(read.problem, '/admin/metrics/prometheus')
    }
  },
)

t.test('an unreachable Prometheus, or something else at its URL, is unreadable', async (t) => {
  const window = [new Date(Date.now() - 1000), new Date()] as const
  const ids = { from: ['/$/inet/127.0.0.1/2'], to: ['/$/inet/127.0.0.1/3'] }

  const dead = prometheusSource({ url: 'http://127.0.0.1:1', lagMs: 0, timeoutMs: 2000 })
  const a = await dead.read('internal', ids, ...window)
  t.equal(a.ok, false)
  if (!a.ok) {
    t.match(a.problem, 'Prometheus at http://127.0.0.1:1 cannot be reached (')
    t.match(a.problem, 'check the URL and that Prometheus is running')
  }
  await dead.close()

  // A proxy's admin port is an HTTP server, but not Prometheus.
  const w = await world(t)
  const wrong = prometheusSource({ url: `http://127.0.0.1:${w.adminPort}`, lagMs: 0 })
  const b = await wrong.read('internal', ids, ...window)
  t.equal(b.ok, false)
  if (!b.ok) {
    t.match(b.problem, `Prometheus at http://127.0.0.1:${w.adminPort} answered HTTP 404`)
    t.match(b.problem, "check that the URL is Prometheus's base URL")
  }
  await wrong.close()
})

t.test('a Prometheus that does not answer in time is unreadable', async (t) => {
  const { createServer } = await import('node:http')
  const server = createServer(() => {}) // takes every request and never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as { port: number }
  const slow = prometheusSource({ url: `http://127.0.0.1:${port}`, lagMs: 0, timeoutMs: 200 })
  const read = await slow.read(
    'internal',
    { from: [], to: ['/$/inet/127.0.0.1/3'] },
    new Date(Date.now() - 1000),
    new Date(),
  )
  t.equal(read.ok, false)
  if (!read.ok) t.match(read.problem, 'did not answer within 200 ms')
  await slow.close()
})

t.test(
  'a query Prometheus refuses (status "error") is unreadable, quoting its error',
  async (t) => {
    const { createServer } = await import('node:http')
    // Answers as Prometheus does to a query it cannot run.
    const server = createServer((_req, res) => {
      res.writeHead(422, { 'content-type': 'application/json' })
      res.end(
        '{"status":"error","errorType":"execution","error":"query timed out in query execution"}',
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => {
      server.closeAllConnections()
      server.close()
    })
    const { port } = server.address() as { port: number }
    const source = prometheusSource({ url: `http://127.0.0.1:${port}`, lagMs: 0 })
    const read = await source.read(
      'internal',
      { from: [], to: ['/$/inet/127.0.0.1/3'] },
      new Date(Date.now() - 1000),
      new Date(),
    )
    t.equal(read.ok, false)
    if (!read.ok) {
      t.match(read.problem, `Prometheus at http://127.0.0.1:${port} refused the query `)
      t.match(read.problem, '(HTTP 422, execution: query timed out in query execution)')
    }
    await source.close()
  },
)
