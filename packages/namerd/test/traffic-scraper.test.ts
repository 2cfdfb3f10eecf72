// The dashboard's traffic scraper keeps the proxies' snapshots under a byte budget for all of
// them together, not only a count per proxy: 1 MiB snapshots x 70 per proxy was ~70 MiB for
// each proxy, unbounded in the number of proxies. The oldest snapshot of the proxy holding the
// most goes first; each proxy keeps its newest two, as a window needs two.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { LATENCY_BOUNDS_MS, type ProxySnapshot } from '@switchyard/wire'
import t from 'tap'
import { snapshotBytes, TrafficScraper } from '../src/dashboard/traffic-scraper.js'
import type { Watcher, WatcherRegistry } from '../src/watchers.js'

const NS = 'budget'

/** A proxy admin answering a snapshot of `clients` clients with long keys (~100 KB each). */
async function bigAdmin(t: { teardown: (fn: () => unknown) => void }, clients: number) {
  let reads = 0
  const server: Server = createServer((_req, res) => {
    reads++
    const buckets = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(reads)
    const snapshot: ProxySnapshot = {
      instance: 'big',
      startedAt: new Date(Date.now() - 60_000).toISOString(),
      at: new Date().toISOString(),
      bounds: [...LATENCY_BOUNDS_MS],
      clients: Object.fromEntries(
        Array.from({ length: clients }, (_, i) => [
          `/#/io.l5d.fs/${'x'.repeat(40)}-${i}`,
          { requests: reads, success: reads, failures: 0, buckets },
        ]),
      ),
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { admin: `127.0.0.1:${(server.address() as AddressInfo).port}`, reads: () => reads }
}

/** The one thing the scraper asks of the registry: who watches the namespace with an admin. */
function registry(admins: readonly string[]): WatcherRegistry {
  const watchers = admins.map((admin, i) => ({ admin, id: `proxy-${i}`, namespace: NS }))
  return { withAdmin: () => watchers as unknown as Watcher[] } as unknown as WatcherRegistry
}

async function scrapeRounds(t: { teardown: (fn: () => unknown) => void }, maxBytes: number) {
  const proxies = await Promise.all([bigAdmin(t, 500), bigAdmin(t, 500), bigAdmin(t, 500)])
  const scraper = new TrafficScraper({
    watchers: registry(proxies.map((p) => p.admin)),
    intervalMs: 10,
    maxBytes,
  })
  t.teardown(() => scraper.close())
  await scraper.want(NS, 2000)
  const until = Date.now() + 10_000
  while (proxies.some((p) => p.reads() < 25) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20))
    void scraper.want(NS, 0)
  }
  await scraper.close()
  return scraper
}

t.test('all proxies together stay under the byte budget, each keeping two', async (t) => {
  // Each snapshot: 500 clients, about 100 KB by the estimate; the budget holds ~8 of them.
  const one = snapshotBytes({
    instance: 'x',
    startedAt: new Date().toISOString(),
    at: new Date().toISOString(),
    bounds: [...LATENCY_BOUNDS_MS],
    clients: Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [
        `/#/io.l5d.fs/${'x'.repeat(40)}-${i}`,
        {
          requests: 1,
          success: 1,
          failures: 0,
          buckets: new Array(LATENCY_BOUNDS_MS.length + 1).fill(1),
        },
      ]),
    ),
  })
  t.ok(one > 80_000, `a snapshot is estimated at ${one} bytes`)
  const budget = one * 8.5
  const scraper = await scrapeRounds(t, budget)
  const rings = scraper.rings(NS)
  t.equal(rings.length, 3)
  const kept = rings.map((r) => r.samples.length)
  t.ok(scraper.bytes <= budget, `${scraper.bytes} bytes kept, budget ${budget}`)
  t.equal(scraper.bytes, one * kept.reduce((a, b) => a + b, 0), 'the count matches what is kept')
  t.ok(
    kept.every((n) => n >= 2),
    `each proxy keeps at least two: ${kept.join(', ')} (25 or more read each)`,
  )
  t.ok(
    Math.max(...kept) - Math.min(...kept) <= 1,
    `shared fairly: the one holding most gives first (${kept.join(', ')})`,
  )
  // The newest are the ones kept: their counters are the highest read.
  for (const r of rings) {
    const last = r.samples.at(-1)!.snapshot
    const first = Object.values(last.clients)[0]!
    t.ok(first.requests >= 25, `newest kept snapshot is a late read (${first.requests})`)
  }
})

t.test(
  'a budget smaller than two snapshots: each proxy keeps exactly its newest two',
  async (t) => {
    const scraper = await scrapeRounds(t, 1)
    t.same(
      scraper.rings(NS).map((r) => r.samples.length),
      [2, 2, 2],
    )
  },
)
