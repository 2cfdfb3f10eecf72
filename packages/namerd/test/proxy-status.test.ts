// GET /api/1/proxy-status/<ns> and the overview's `current`: what a proxy RUNS, read from its
// admin's /admin/routers.json, not only what namerd sent it. A hung proxy keeps its watch open
// and was sent the new version; it must not be called current (audit H1).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Dtab } from '@switchyard/dtab'
import { Overview, ProxyStatus, ProxyStatusAll } from '@switchyard/wire'
import t from 'tap'
import { ProxyConfirmations } from '../src/routes/proxy-status.js'
import { eventually, startServer, watch } from './helpers.js'

type Teardown = Parameters<typeof startServer>[0] & { equal(a: unknown, b: unknown): unknown }

interface FakeAdmin {
  readonly admin: string
  /** What /admin/routers.json answers: a body, or 'hang' (never answers, as a SIGSTOPped proxy). */
  answer: string | 'hang'
  reads: number
}

/** A proxy's admin port: real HTTP on loopback answering /admin/routers.json as told. */
async function fakeAdmin(t: { teardown(fn: () => unknown): void }): Promise<FakeAdmin> {
  const state = { answer: '[]', reads: 0 }
  const server: Server = createServer((req, res) => {
    if (req.url !== '/admin/routers.json') {
      res.writeHead(404).end()
      return
    }
    state.reads++
    if (state.answer === 'hang') return
    res.writeHead(200, { 'content-type': 'application/json' }).end(state.answer)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const admin = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return Object.assign(state, { admin })
}

const routers = (namespace: string, version: string | null, connected = true) =>
  JSON.stringify([
    {
      label: 'out',
      dstPrefix: '/svc',
      servers: ['127.0.0.1:4140'],
      interpreter: { kind: 'io.l5d.namerd.http', namespace, connected },
      dtab: null,
      version,
      stateAgeSeconds: 1,
    },
  ])

async function json<T>(base: string, path: string, schema: { parse(v: unknown): T }): Promise<T> {
  const res = await fetch(`${base}${path}`)
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`)
  return schema.parse(await res.json())
}

/** namerd with namespace `internal`, one proxy watching it with `admin`; the current ETag. */
async function stack(t: Teardown, admin: FakeAdmin) {
  const { base, store } = await startServer(t)
  await store.create('internal', Dtab.read('/svc => /#/io.l5d.fs'))
  const w = await watch(t, `${base}/api/1/dtabs/internal?watch=1`, {
    'l5d-watcher-id': 'proxy-1',
    'l5d-watcher-admin': admin.admin,
  })
  t.equal(w.res.status, 200)
  await w.lines.next()
  const etag = (await fetch(`${base}/api/1/dtabs/internal`)).headers.get('etag')!
  return { base, store, etag, lines: w.lines }
}

t.test('a proxy that routes on the current version is confirmed and current', async (t) => {
  const admin = await fakeAdmin(t)
  const { base, etag } = await stack(t, admin)
  admin.answer = routers('internal', etag)
  const status = await json(base, '/api/1/proxy-status/internal', ProxyStatus)
  t.equal(status.version, etag)
  t.match(status.proxies, [
    { admin: admin.admin, state: 'confirmed', versions: [etag], why: null, readAt: String },
  ])
  const o = await json(base, '/api/1/overview', Overview)
  t.match(o.namespaces[0], { namespace: 'internal', watchers: 1, current: 1 })
})

t.test('a hung proxy (open watch, silent admin) is not confirmed nor current', async (t) => {
  const admin = await fakeAdmin(t)
  const { base, etag } = await stack(t, admin)
  admin.answer = 'hang'
  const started = Date.now()
  const status = await json(base, '/api/1/proxy-status/internal', ProxyStatus)
  t.ok(Date.now() - started < 2500, 'the answer does not wait past ~2 s')
  t.equal(status.version, etag)
  t.equal(status.proxies.length, 1)
  t.equal(status.proxies[0]!.state, 'unanswered')
  t.match(status.proxies[0]!.why, /routers\.json: no whole answer within 1500 ms/)
  // namerd did send it the current version: the watcher listing says so, the overview does not.
  const o = await json(base, '/api/1/overview', Overview)
  t.match(o.namespaces[0], { namespace: 'internal', watchers: 1, current: 0 })
})

t.test('a proxy still routing on an older version is behind, saying which', async (t) => {
  const admin = await fakeAdmin(t)
  const { base } = await stack(t, admin)
  const old = (await fetch(`${base}/api/1/dtabs/internal`)).headers.get('etag')!
  admin.answer = routers('internal', old, false)
  const put = await fetch(`${base}/api/1/dtabs/internal`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dtab' },
    body: '/svc => /#/io.l5d.fs/v2',
  })
  t.equal(put.status, 204)
  const status = await json(base, '/api/1/proxy-status/internal', ProxyStatus)
  t.not(status.version, old)
  t.match(status.proxies, [
    { state: 'behind', why: /router out routes on v1 \(not connected to namerd\)/ },
  ])
  await eventually('the overview reads its proxy as not current', async () => {
    const o = await json(base, '/api/1/overview', Overview)
    return o.namespaces[0]!.current === 0 && o.namespaces[0]!.watchers === 1
  })
})

t.test('hostile or useless answers are reasons, never a confirmation', async (t) => {
  const admin = await fakeAdmin(t)
  const { base, etag } = await stack(t, admin)
  const cases: [string, RegExp, string][] = [
    ['not json', /the answer is not JSON/, 'unanswered'],
    [JSON.stringify({ routers: [] }), /not a router list/, 'unanswered'],
    [JSON.stringify([{ label: 'x' }]), /not a router list \(0\.interpreter/, 'unanswered'],
    [`[${' '.repeat(1024 * 1024 + 10)}]`, /over 1048576 bytes/, 'unanswered'],
    [routers('other', etag), /no router .* takes its dtab from namespace internal/, 'unknown'],
  ]
  for (const [answer, why, state] of cases) {
    admin.answer = answer
    const c = new ProxyConfirmations({ freshMs: 0 })
    await c.refresh(new Set([admin.admin]))
    const r = c.confirm(admin.admin, 'internal', etag)
    t.equal(r.state, state, answer.slice(0, 40))
    t.match(r.why, why)
  }
  // Through the route too: a refusal is a 200 naming it, the namespace name from the path.
  admin.answer = 'not json'
  const status = await json(base, '/api/1/proxy-status/internal', ProxyStatus)
  t.match(status.proxies, [{ state: 'unanswered', why: /not JSON/ }])
})

t.test('a proxy is read at most every 2 s, and forgotten once its watch ends', async (t) => {
  const admin = await fakeAdmin(t)
  admin.answer = routers('internal', null)
  let now = 1_000_000
  const c = new ProxyConfirmations({ now: () => now })
  const set = new Set([admin.admin])
  await c.refresh(set)
  await c.refresh(set)
  t.equal(admin.reads, 1, 'one read within 2 s')
  t.match(c.confirm(admin.admin, 'internal', 'AAAAAAAAAAE='), {
    state: 'behind',
    why: 'router out routes on no dtab yet',
  })
  now += 2000
  await c.refresh(set)
  t.equal(admin.reads, 2, 'read again after 2 s')
  await c.refresh(new Set())
  t.equal(c.size, 0, 'no entry kept for a proxy nobody watches with')
})

t.test("the dashboard's own watch streams are not counted as proxies", async (t) => {
  const { base, store } = await startServer(t)
  await store.create('internal', Dtab.read('/svc => /#/io.l5d.fs'))
  const w = await watch(t, `${base}/api/1/dtabs/internal?watch=1`, {
    'l5d-watcher-id': 'dashboard',
  })
  await w.lines.next()
  const o = await json(base, '/api/1/overview', Overview)
  t.match(o.namespaces[0], { namespace: 'internal', watchers: 0, current: 0 })
})

t.test("namerd's index lists the route", async (t) => {
  const { base } = await startServer(t)
  const res = await fetch(`${base}/admin`)
  t.equal(res.status, 200)
  t.match(
    await res.text(),
    /\/api\/1\/proxy-status\/<ns>\s+whether each proxy runs the current version/,
  )
})

t.test('the overview never waits on a proxy: a hung one shows on a later poll', async (t) => {
  const admin = await fakeAdmin(t)
  const { base } = await stack(t, admin)
  admin.answer = 'hang'
  const started = Date.now()
  const first = await json(base, '/api/1/overview', Overview)
  t.ok(Date.now() - started < 700, `answered at once (${Date.now() - started} ms), not after 1.5 s`)
  t.match(first.namespaces[0], { namespace: 'internal', watchers: 1, current: 1 })
  await eventually('the read it needed started in the background', async () => admin.reads === 1)
  await eventually('a later overview says the hung proxy is not current', async () => {
    const o = await json(base, '/api/1/overview', Overview)
    return o.namespaces[0]!.current === 0
  })
  const again = Date.now()
  await json(base, '/api/1/overview', Overview)
  t.ok(Date.now() - again < 700, 'still answered at once')
})

t.test('GET /api/1/proxy-status: every watched namespace in one answer', async (t) => {
  const admin = await fakeAdmin(t)
  const other = await fakeAdmin(t)
  const { base, store, etag } = await stack(t, admin)
  await store.create('api', Dtab.read('/svc => /#/io.l5d.fs'))
  await store.create('unwatched', Dtab.read('/svc => /#/io.l5d.fs'))
  const w = await watch(t, `${base}/api/1/dtabs/api?watch=1`, {
    'l5d-watcher-id': 'proxy-2',
    'l5d-watcher-admin': other.admin,
  })
  await w.lines.next()
  const apiTag = (await fetch(`${base}/api/1/dtabs/api`)).headers.get('etag')!
  admin.answer = routers('internal', etag)
  other.answer = routers('api', null)
  const all = await json(base, '/api/1/proxy-status', ProxyStatusAll)
  t.same(
    all.namespaces.map((n) => [n.namespace, n.version, n.proxies.map((p) => [p.admin, p.state])]),
    [
      ['api', apiTag, [[other.admin, 'behind']]],
      ['internal', etag, [[admin.admin, 'confirmed']]],
    ],
    'sorted by namespace, each entry as proxy-status/<ns>; unwatched is not listed',
  )
  const one = await json(base, '/api/1/proxy-status/internal', ProxyStatus)
  t.same(
    one.proxies.map((p) => p.state),
    ['confirmed'],
  )
})

t.test('proxy-status of a namespace that does not exist is 404, as the dtab routes', async (t) => {
  const { base } = await startServer(t)
  const res = await fetch(`${base}/api/1/proxy-status/nope`)
  t.equal(res.status, 404)
  t.match(await res.json(), { error: 'namespace_not_found', message: /"nope" does not exist/ })
})
