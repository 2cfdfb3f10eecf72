// GET /admin/metrics/snapshot.json: raw counters and latency buckets per concrete client, read
// after real requests through a real proxy to real backends; and the proxy names that admin
// address to namerd on every watch (l5d-watcher-admin), which is how namerd finds it.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { LATENCY_BOUNDS_MS, ProxySnapshot } from '@switchyard/wire'
import t from 'tap'
import { ProxyConfig } from '../src/config/schema.js'
import { inet, localConfig, recordingBackend, runProxy, send } from './router-helpers.js'

async function snapshot(admin: string, query = ''): Promise<ProxySnapshot> {
  const res = await fetch(`${admin}/admin/metrics/snapshot.json${query}`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/json/)
  return ProxySnapshot.parse(await res.json())
}

t.test('counts every request per concrete client, with buckets that add up', async (t) => {
  const good = await recordingBackend(t, 'good')
  const bad = await recordingBackend(t, 'bad', (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' })
    res.end('down')
  })
  const proxy = await runProxy(
    t,
    localConfig(`/svc/good => ${inet(good.port)}; /svc/bad => ${inet(bad.port)}`),
  )
  const before = await snapshot(proxy.admin)
  t.same(before.bounds, [...LATENCY_BOUNDS_MS])
  t.same(before.clients, {}, 'no client before any request')
  for (let i = 0; i < 7; i++)
    t.equal((await send(proxy.port, { headers: { host: 'good' } })).status, 200)
  for (let i = 0; i < 3; i++)
    t.equal((await send(proxy.port, { headers: { host: 'bad' } })).status, 503)

  const after = await snapshot(proxy.admin)
  t.equal(after.instance, before.instance, 'one instance per process')
  t.equal(after.startedAt, before.startedAt)
  t.ok(Date.parse(after.at) >= Date.parse(before.at))
  const g = after.clients[inet(good.port)]
  const b = after.clients[inet(bad.port)]
  t.match(g, { requests: 7, success: 7, failures: 0 })
  t.match(b, { requests: 3, success: 0, failures: 3 })
  for (const c of [g, b]) {
    t.equal(c?.buckets.length, LATENCY_BOUNDS_MS.length + 1)
    t.equal(
      c?.buckets.reduce((x, y) => x + y, 0),
      c?.requests,
      'every request in one bucket',
    )
  }

  const only = await snapshot(proxy.admin, `?client=${encodeURIComponent(inet(bad.port))}`)
  t.same(Object.keys(only.clients), [inet(bad.port)], '?client= keeps only that client')
  const both = await snapshot(
    proxy.admin,
    `?client=${encodeURIComponent(inet(bad.port))}&client=${encodeURIComponent(inet(good.port))}`,
  )
  t.same(Object.keys(both.clients).sort(), [inet(good.port), inet(bad.port)].sort(), 'repeatable')
  const none = await snapshot(proxy.admin, '?client=/%23/nothing')
  t.same(none.clients, {}, 'an unknown client is just absent')

  const index = await (await fetch(`${proxy.admin}/`, { headers: { accept: '*/*' } })).text()
  t.match(index, '/admin/metrics/snapshot.json', 'listed on the index')
})

/** A namerd stand-in: answers every watch with one dtab and keeps it open; records the heads. */
async function fakeNamerd(t: { teardown(fn: () => unknown): void }) {
  const watches: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => {
    if (req.url?.includes('watch') === true) watches.push(req.headers)
    res.writeHead(200, { 'content-type': 'application/json', etag: '"1"' })
    res.write('[{"prefix":"/svc","dst":"/$/inet/127.0.0.1/1"}]\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, watches }
}

function namerdConfig(dst: string, top: Record<string, unknown> = {}) {
  return ProxyConfig.parse({
    admin: { ip: '127.0.0.1', port: 0 },
    ...top,
    routers: [
      {
        label: 'out',
        interpreter: { kind: 'io.l5d.namerd.http', dst, namespace: 'internal' },
        servers: [{ ip: '127.0.0.1', port: 0 }],
      },
    ],
  })
}

t.test('every watch names the admin address, even one bound to port 0', async (t) => {
  const namerd = await fakeNamerd(t)
  const proxy = await runProxy(t, namerdConfig(namerd.url))
  t.ok(namerd.watches.length >= 1, 'watched')
  for (const h of namerd.watches) {
    t.equal(h['l5d-watcher-admin'], proxy.running.admin)
    t.equal(h['l5d-watcher-id'], proxy.running.id)
  }
})

t.test('namerd.advertiseAdmin overrides it', async (t) => {
  const namerd = await fakeNamerd(t)
  await runProxy(t, namerdConfig(namerd.url, { namerd: { advertiseAdmin: '0.0.0.0:9990' } }))
  t.ok(namerd.watches.length >= 1)
  for (const h of namerd.watches) t.equal(h['l5d-watcher-admin'], '0.0.0.0:9990')
})

t.test('an advertiseAdmin that is not ip:port is a config error naming the key', async (t) => {
  const r = ProxyConfig.safeParse({
    ...namerdConfig('http://127.0.0.1:1'),
    namerd: { advertiseAdmin: 'proxy-1' },
  })
  t.notOk(r.success)
  t.match(JSON.stringify(r.error?.issues), /advertiseAdmin.*ip:port/)
})
