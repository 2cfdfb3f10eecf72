// GET /api/1/traffic/<ns>: the measured split of a logical service beside the split its dtab
// asks for. Real: a real switchyard-proxy process (the built command) watching namerd for its
// dtab and naming its admin address, two real backends on loopback, requests through the
// proxy, and namerd reading the proxy's metrics snapshots. Then the shift of the blue-green
// story: the old destination keeps its tail of requests with an expected share of 0.
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Dtab } from '@switchyard/dtab'
import { Traffic } from '@switchyard/wire'
import t from 'tap'
import { startProxy } from '../../../test/e2e/mesh.js'
import { eventually, startServer, tempDir, watch } from './helpers.js'
import { backend, send } from './rollouts-world.js'

const NS = 'traffic'

async function traffic(base: string, query = '') {
  const res = await fetch(`${base}/api/1/traffic/${NS}${query}`)
  const text = await res.text()
  if (res.status !== 200) throw new Error(`GET traffic: ${res.status} ${text}`)
  return Traffic.parse(JSON.parse(text))
}

/** `n` requests through the proxy as Host world, `concurrency` at a time. */
async function load(port: number, n: number, concurrency = 8): Promise<void> {
  let left = n
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await send(port)
    }),
  )
}

t.test(
  'the measured split beside the expected one, through a real proxy, and after a shift',
  async (t) => {
    const v1 = await backend(t, 'v1')
    const v2 = await backend(t, 'v2')
    v2.status = 500
    const { base, store, server } = await startServer(t)
    const split = (a: number, b: number) =>
      `/svc/world => ${a} * /$/inet/127.0.0.1/${v1.port} & ${b} * /$/inet/127.0.0.1/${v2.port}`
    await store.create(NS, Dtab.read(split(9, 1)))
    const namerdPort = Number(new URL(base).port)
    const dir = await tempDir(t)
    const config = join(dir, 'proxy.yaml')
    await writeFile(
      config,
      [
        'id: proxy-a',
        'admin: {ip: 127.0.0.1, port: 0}',
        'routers:',
        '  - label: outgoing',
        `    interpreter: {kind: namerd, dst: http://127.0.0.1:${namerdPort}, namespace: ${NS}, retry: {baseSeconds: 0.2, maxSeconds: 1}}`,
        '    servers: [{ip: 127.0.0.1, port: 0}]',
        '',
      ].join('\n'),
    )
    const proxy = await startProxy(t, 'proxy', config)
    await eventually(
      'the proxy watching with its admin address',
      () => server.context.watchers.withAdmin(NS).length > 0,
      10_000,
    )

    // The first request starts reading the proxies; nothing measured yet.
    const first = await traffic(base)
    t.match(first, { namespace: NS, windowSeconds: 10, proxies: { listed: 1, problems: [] } })
    t.equal(first.services.length, 1)
    const world = first.services[0]!
    t.equal(world.path, '/svc/world')
    t.equal(world.error, null)
    const ids = { v1: `/$/inet/127.0.0.1/${v1.port}`, v2: `/$/inet/127.0.0.1/${v2.port}` }
    t.same(
      world.destinations.map((d) => [d.id, d.expectedShare]),
      [
        [ids.v1, 0.9],
        [ids.v2, 0.1],
      ],
    )

    await load(proxy.port, 400)
    const sent = v1.received + v2.received
    let seen = first
    await eventually(
      'the 400 requests measured',
      async () => {
        seen = await traffic(base, '?window=60')
        const d = seen.services[0]!.destinations
        return d.reduce((a, x) => a + x.requests, 0) >= 400
      },
      15_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${JSON.stringify(seen)}`)
    })
    t.equal(seen.proxies.read, 1)
    t.ok(seen.at !== null, 'names when the newest snapshot was taken')
    const [m1, m2] = seen.services[0]!.destinations
    t.equal(m1!.id, ids.v1)
    t.equal(m1!.requests + m2!.requests, sent, 'every request the backends received is counted')
    t.ok(
      m1!.measuredShare! > 0.8 && m1!.measuredShare! < 0.97,
      `v1 took ${m1!.measuredShare} of the requests (0.9 asked)`,
    )
    t.equal(m1!.successRate, 1)
    t.ok(m1!.p99Ms !== null && m1!.p99Ms >= 0)
    t.ok(m1!.ratePerSec > 0)
    t.equal(m2!.successRate, 0, "v2's 500s are failures")

    // The shift: everything to v2. v1 keeps its tail with an expected share of 0.
    v2.status = 200
    const put = await fetch(`${base}/api/1/dtabs/${NS}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/dtab' },
      body: split(0, 1),
    })
    t.equal(put.status, 204)
    await eventually(
      'the proxy on the new dtab',
      async () => {
        const before = v2.received
        await send(proxy.port)
        return v2.received > before && v1.received === m1!.requests
      },
      10_000,
    ).catch(() => {}) // a request may still go to v1 while the watch delivers
    await load(proxy.port, 100)
    await eventually(
      'v2 measured with the whole expected share, v1 with its tail',
      async () => {
        seen = await traffic(base, '?window=60')
        const d = seen.services[0]!.destinations
        const a = d.find((x) => x.id === ids.v1)
        const b = d.find((x) => x.id === ids.v2)
        return a?.expectedShare === 0 && b?.expectedShare === 1 && (b?.requests ?? 0) >= 100
      },
      15_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${JSON.stringify(seen)}`)
    })
    t.equal(seen.version, put.headers.get('etag'))
    const tail = seen.services[0]!.destinations.find((x) => x.id === ids.v1)!
    t.ok(tail.requests >= m1!.requests, 'v1 still shows the requests it took in the window')
    t.equal(seen.services[0]!.destinations[0]!.id, ids.v2, 'the expected destination first')
  },
)

t.test('a proxy whose admin address does not answer is a problem naming it', async (t) => {
  const { base, store } = await startServer(t)
  await store.create(NS, Dtab.read('/svc/a => /$/inet/127.0.0.1/1'))
  // A port that was free a moment ago: nothing listens there now.
  const closed = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
  const w = await watch(t, `${base}/api/1/dtabs/${NS}?watch=1`, {
    'l5d-watcher-id': 'gone-proxy',
    'l5d-watcher-admin': `127.0.0.1:${closed}`,
  })
  t.equal(w.res.status, 200)
  const started = Date.now()
  const body = await traffic(base)
  t.ok(Date.now() - started < 2500, 'answers within about 2 s')
  t.match(body.proxies, {
    listed: 1,
    read: 0,
    problems: [new RegExp(`^proxy gone-proxy \\(admin 127\\.0\\.0\\.1:${closed}\\): GET http`)],
  })
  t.same(
    body.services.map((s) => [s.path, s.destinations.map((d) => [d.expectedShare, d.requests])]),
    [['/svc/a', [[1, 0]]]],
  )
  t.equal(body.services[0]!.destinations[0]!.measuredShare, null)
})

t.test('no proxy watching says so, and why nothing can be measured', async (t) => {
  const { base, store } = await startServer(t)
  await store.create(NS, Dtab.read('/svc/a => /$/inet/127.0.0.1/1; /svc/b => ~'))
  const body = await traffic(base)
  t.match(body.proxies, { listed: 0, read: 0, problems: [/no proxy watching namespace traffic/] })
  t.equal(body.at, null)
  const b = body.services.find((s) => s.path === '/svc/b')!
  t.match(b, { destinations: [], error: /binds to no destination/ })
})

t.test('paths asked for, checked; the window checked; a missing namespace is a 404', async (t) => {
  const { base, store } = await startServer(t)
  await store.create(
    NS,
    Dtab.read('/svc/a => /$/inet/127.0.0.1/1; /svc/*/x => /$/inet/127.0.0.1/2'),
  )
  const asked = await traffic(base, '?path=/svc/other&path=/svc/a&path=/svc/a')
  t.same(
    asked.services.map((s) => s.path),
    ['/svc/other', '/svc/a'],
    'in the order asked, each once',
  )
  t.match(asked.services[0], { destinations: [], error: /\/svc\/other/ })
  t.same(
    (await traffic(base)).services.map((s) => s.path),
    ['/svc/a'],
    'no wildcard prefix',
  )
  t.equal((await traffic(base, '?window=120')).windowSeconds, 120)

  const status = async (url: string) => {
    const res = await fetch(`${base}${url}`)
    return { status: res.status, body: (await res.json()) as { error: string; message: string } }
  }
  const bad = await status(`/api/1/traffic/${NS}?path=svc/no-slash`)
  t.match(bad, { status: 400, body: { error: 'invalid_path', message: /"svc\/no-slash"/ } })
  const many = Array.from({ length: 21 }, (_, i) => `path=/svc/s${i}`).join('&')
  t.match(await status(`/api/1/traffic/${NS}?${many}`), {
    status: 400,
    body: { message: /at most 20/ },
  })
  for (const w of ['0', '121', 'abc', '1.5', '']) {
    t.match(await status(`/api/1/traffic/${NS}?window=${w}`), {
      status: 400,
      body: { error: 'invalid_parameter', message: /window/ },
    })
  }
  t.match(await status('/api/1/traffic/nope'), {
    status: 404,
    body: { error: 'namespace_not_found', message: /"nope"/ },
  })
})

t.test('hostile: odd namespaces and paths are 400 or 404, never a 500', async (t) => {
  const { base } = await startServer(t, {
    auth: { tokens: [{ name: 'viewer', token: 'r', scope: 'read' }] },
  })
  t.equal((await fetch(`${base}/api/1/traffic/${NS}`)).status, 401, 'needs the read scope')
  const auth = { authorization: 'Bearer r' }
  for (const url of [
    '/api/1/traffic/..%2f..%2fetc',
    `/api/1/traffic/${'x'.repeat(1000)}`,
    '/api/1/traffic/a/b',
    `/api/1/traffic/${NS}?path=${encodeURIComponent('/svc/\u0000')}`,
    `/api/1/traffic/${NS}?path=${'/a'.repeat(5000)}`,
  ]) {
    const res = await fetch(`${base}${url}`, { headers: auth })
    t.ok([400, 404, 414].includes(res.status), `${url.slice(0, 60)}: ${res.status}`)
  }
})
