import { Addr } from '@switchyard/namers'
import t from 'tap'
import { request } from 'undici'
import { Client } from '../src/balance/client.js'
import type { EndpointNode } from '../src/balance/endpoint.js'
import { backend, bound, endpoint, front, newClient, seeded } from './forward-helpers.js'

function shares(client: Client, n: number): Map<string, number> {
  const counts = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const e = client.pick()!
    counts.set(e.key, (counts.get(e.key) ?? 0) + 1)
  }
  return new Map([...counts].map(([k, v]) => [k, v / n]))
}

t.test('P2C spreads idle traffic evenly across equal endpoints', async (t) => {
  const client = newClient([1001, 1002, 1003], { random: seeded(1) })
  t.teardown(() => client.close())
  const s = shares(client, 30_000)
  t.equal(s.size, 3)
  for (const share of s.values()) t.ok(Math.abs(share - 1 / 3) < 0.03, `share ${share}`)
})

t.test('P2C follows endpoint_addr_weight (default 1)', async (t) => {
  const client = new Client('/#/w', { random: seeded(2) })
  t.teardown(() => client.close())
  client.setAddr(Addr.bound([endpoint(1001, 3), endpoint(1002)]))
  const s = shares(client, 40_000)
  t.ok(Math.abs(s.get('127.0.0.1:1001')! - 0.75) < 0.04, `weight 3 got ${s.get('127.0.0.1:1001')}`)
  t.ok(Math.abs(s.get('127.0.0.1:1002')! - 0.25) < 0.04, `weight 1 got ${s.get('127.0.0.1:1002')}`)
})

t.test('P2C steers away from the endpoint with more requests outstanding', async (t) => {
  const client = newClient([1001, 1002, 1003], { random: seeded(3) })
  t.teardown(() => client.close())
  const busy = client.pick()!
  for (let i = 0; i < 10; i++) client.begin(busy)
  const s = shares(client, 10_000)
  // The busy endpoint wins only when it is drawn twice: about 1/9 of the time.
  t.ok((s.get(busy.key) ?? 0) < 0.15, `busy endpoint got ${s.get(busy.key)}`)
  for (let i = 0; i < 10; i++) client.end(busy, 'ignore')
  t.equal(client.pending, 0)
})

t.test('real requests are spread over every backend', async (t) => {
  const bs = await Promise.all([0, 1, 2].map(() => backend((_req, res) => res.end('ok'))))
  const client = newClient(
    bs.map((b) => b.port),
    { random: seeded(4) },
  )
  const f = await front(client)
  t.teardown(async () => {
    await f.close()
    await client.close()
    await Promise.all(bs.map((b) => b.close()))
  })
  await Promise.all(Array.from({ length: 60 }, async () => (await request(f.url)).body.text()))
  for (const b of bs) t.ok(b.requests >= 8, `a backend got ${b.requests} of 60`)
})

t.test(
  'an endpoint is ejected after 5 consecutive 5xx and revived by a probe after the backoff',
  async (t) => {
    let healthy = false
    const bad = await backend((_req, res) => {
      res.statusCode = healthy ? 200 : 500
      res.end(healthy ? 'ok' : 'boom')
    })
    const good = await backend((_req, res) => res.end('ok'))
    const client = newClient([bad.port, good.port], {
      random: seeded(5),
      failureAccrual: { consecutiveFailures: 5, backoff: { kind: 'constant', ms: 100 } },
    })
    const f = await front(client)
    t.teardown(async () => {
      await f.close()
      await client.close()
      await bad.close()
      await good.close()
    })
    t.equal(client.available, 2)
    while (bad.requests < 5) await (await request(f.url)).body.text()
    t.equal(client.available, 1, 'ejected after the 5th failure')
    t.match(
      client.endpoints().find((e) => e.endpoint.endsWith(`:${bad.port}`)),
      {
        ejected: true,
        consecutiveFailures: 5,
      },
    )
    const before = bad.requests
    for (let i = 0; i < 20; i++) await (await request(f.url)).body.text()
    t.equal(bad.requests, before, 'an ejected endpoint gets no traffic during its backoff')

    healthy = true
    await new Promise((r) => setTimeout(r, 150))
    await (await request(f.url)).body.text()
    t.equal(bad.requests, before + 1, 'the first request after the backoff is the probe')
    t.equal(client.available, 2, 'a successful probe revives the endpoint')
  },
)

t.test('a failed probe ejects the endpoint again', async (t) => {
  const client = newClient([1001, 1002], {
    random: seeded(6),
    failureAccrual: { consecutiveFailures: 2, backoff: { kind: 'constant', ms: 30 } },
  })
  t.teardown(() => client.close())
  const nodes = (client as unknown as { all: { nodes: EndpointNode[] } }).all.nodes
  const a = nodes[0]!
  for (let i = 0; i < 2; i++) {
    client.begin(a)
    client.end(a, 'failure')
  }
  t.equal(client.available, 1)
  await new Promise((r) => setTimeout(r, 50))
  const probe = client.pick()!
  t.equal(probe, a, 'the due probe goes first')
  client.begin(probe)
  t.not(client.pick(), a, 'only one probe at a time')
  client.end(probe, 'failure')
  t.equal(client.available, 1)
  t.ok(a.ejectedUntil > Date.now(), 'ejected for a new backoff')
})

t.test('with every endpoint ejected the balancer still chooses among all of them', async (t) => {
  const client = newClient([1001, 1002], {
    random: seeded(7),
    failureAccrual: { consecutiveFailures: 1, backoff: { kind: 'constant', ms: 60_000 } },
  })
  t.teardown(() => client.close())
  for (const n of (client as unknown as { all: { nodes: EndpointNode[] } }).all.nodes) {
    client.begin(n)
    client.end(n, 'failure')
  }
  t.equal(client.available, 0)
  t.equal(client.size, 2)
  t.ok(client.pick(), 'an endpoint is still chosen')
})

t.test('setAddr: bound updates the set, pending keeps it, neg and failed empty it', async (t) => {
  const client = new Client('/#/s')
  t.teardown(() => client.close())
  t.equal(client.pick(), undefined)
  client.setAddr(bound(1001, 1002))
  t.equal(client.size, 2)
  const [kept, removed] = (client as unknown as { all: { nodes: EndpointNode[] } }).all.nodes
  client.setAddr(bound(Number(kept!.key.split(':')[1]), 1003))
  t.equal(client.size, 2)
  t.same(
    client.endpoints().map((e) => e.endpoint),
    [kept!.key, '127.0.0.1:1003'],
    'the kept endpoint keeps its pool and state',
  )
  t.ok(removed!.pool.closed, "a removed endpoint's pool is closed")
  client.setAddr(Addr.pending)
  t.equal(client.size, 2)
  client.setAddr(Addr.neg)
  t.equal(client.size, 0)
  client.setAddr(bound(1001))
  client.setAddr(Addr.failed('gone'))
  t.equal(client.size, 0)
})
