// GET /api/1/traffic/<ns> without `path`: the services shown are found from the dtab as Linkerd
// dtabs are written (`/svc => /host; /host/world => ...` names /svc/world), or, when the dtab
// routes /svc as a whole to a namer, from the destinations the proxies have clients for; and the
// numbers say the span they really cover (`coveredSeconds`): 0 on the first answer (one snapshot
// per proxy, nothing to compare), then the span read, which the rate divides by.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Dtab } from '@switchyard/dtab'
import { LATENCY_BOUNDS_MS, type ProxySnapshot, Traffic } from '@switchyard/wire'
import t from 'tap'
import { startServer, watch } from './helpers.js'

const NS = 'defaults'

async function traffic(base: string, query = '') {
  const res = await fetch(`${base}/api/1/traffic/${NS}${query}`)
  const text = await res.text()
  if (res.status !== 200) throw new Error(`GET traffic: ${res.status} ${text}`)
  return Traffic.parse(JSON.parse(text))
}

/** A proxy's admin that answers snapshots whose clients each gained `perRead` requests. */
async function fakeAdmin(
  t: { teardown: (fn: () => unknown) => void },
  clients: readonly string[],
  perRead = 50,
) {
  let reads = 0
  const server: Server = createServer((req, res) => {
    if (req.url !== '/admin/metrics/snapshot.json') {
      res.writeHead(404).end()
      return
    }
    reads++
    const n = reads * perRead
    const buckets = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0)
    buckets[0] = n
    const snapshot: ProxySnapshot = {
      instance: 'fake-1',
      startedAt: new Date(Date.now() - 3_600_000).toISOString(),
      at: new Date().toISOString(),
      bounds: [...LATENCY_BOUNDS_MS],
      clients: Object.fromEntries(
        clients.map((id) => [id, { requests: n, success: n, failures: 0, buckets }]),
      ),
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { admin: `127.0.0.1:${(server.address() as AddressInfo).port}`, reads: () => reads }
}

t.test("the conventional dtab's services are found by following its dentries back", async (t) => {
  const { base, store } = await startServer(t)
  // test/e2e/rollouts-harness.ts INITIAL_DTAB, with inet addresses in place of the fs namer.
  await store.create(
    NS,
    Dtab.read(
      '/srv => /$/inet/127.0.0.1; /host => /srv; /svc => /host; /host/world => /srv/1001; /srv/api => /srv/1002',
    ),
  )
  const body = await traffic(base)
  t.same(
    body.services.map((s) => [s.path, s.error, s.destinations.map((d) => [d.id, d.expectedShare])]),
    [
      ['/svc/world', null, [['/$/inet/127.0.0.1/1001', 1]]],
      ['/svc/api', null, [['/$/inet/127.0.0.1/1002', 1]]],
    ],
  )
})

t.test(
  "/svc routed to a namer as a whole: the proxies' destinations traced back to /svc",
  async (t) => {
    const { base, store } = await startServer(t)
    await store.create(NS, Dtab.read('/svc => /$/inet/127.0.0.1'))
    const proxy = await fakeAdmin(t, [
      '/$/inet/127.0.0.1/2001',
      '/%/io.l5d.port/4141/$/inet/127.0.0.1/2002',
      '/#/io.l5d.fs/elsewhere',
    ])
    await watch(t, `${base}/api/1/dtabs/${NS}?watch=1`, {
      'l5d-watcher-id': 'fake',
      'l5d-watcher-admin': proxy.admin,
    })
    const body = await traffic(base)
    t.equal(body.proxies.read, 1, 'the first answer waits for the first read')
    t.same(
      body.services.map((s) => s.path),
      ['/svc/2001', '/svc/2002'],
      'each destination of the proxy that this dtab reaches from /svc; the one it does not is left out',
    )
  },
)

t.test(
  'coveredSeconds: 0 on the first answer, then the span read, rate = requests / span',
  async (t) => {
    const { base, store } = await startServer(t)
    await store.create(NS, Dtab.read('/svc/world => /$/inet/127.0.0.1/3001'))
    const proxy = await fakeAdmin(t, ['/$/inet/127.0.0.1/3001'], 100)
    await watch(t, `${base}/api/1/dtabs/${NS}?watch=1`, {
      'l5d-watcher-id': 'fake',
      'l5d-watcher-admin': proxy.admin,
    })
    const first = await traffic(base)
    t.equal(first.proxies.read, 1)
    t.equal(first.coveredSeconds, 0, 'one snapshot: nothing covered yet')
    t.equal(first.services[0]!.destinations[0]!.requests, 0)
    // The scraper reads every 2 s: after two more reads the window covers about 4 s.
    await new Promise((r) => setTimeout(r, 4500))
    const later = await traffic(base)
    const d = later.services[0]!.destinations[0]!
    t.ok(
      later.coveredSeconds > 3 && later.coveredSeconds < 5.5,
      `covers about 4 s of the 10 s window: ${later.coveredSeconds}`,
    )
    t.ok(later.coveredSeconds < later.windowSeconds)
    t.ok(d.requests >= 200, `${d.requests} requests`)
    t.ok(
      Math.abs(d.ratePerSec - d.requests / later.coveredSeconds) < 1e-6,
      `rate ${d.ratePerSec} is the requests over the span covered`,
    )
  },
)

t.test('a wildcard path is a 400 that says so', async (t) => {
  const { base, store } = await startServer(t)
  await store.create(NS, Dtab.read('/svc => /$/inet/127.0.0.1'))
  const res = await fetch(`${base}/api/1/traffic/${NS}?path=${encodeURIComponent('/svc/*')}`)
  t.equal(res.status, 400)
  t.match(await res.json(), {
    error: 'invalid_path',
    message: /"\/svc\/\*" has a wildcard: .*ask for each one whole/,
  })
})
