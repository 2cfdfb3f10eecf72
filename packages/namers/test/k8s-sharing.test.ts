// What the io.l5d.k8s namer costs the API server: one pair of watches per Service, shared by
// every port and observer, closed after the last one leaves; nothing at all for names that
// cannot exist; a bounded number kept for names nobody watches any more.

import { setTimeout as sleep } from 'node:timers/promises'
import { Path } from '@switchyard/dtab'
import t from 'tap'
import { Addr } from '../src/addr.js'
import { eventually } from './helpers.js'
import { openNamer, service, slice, startApi, until, WEB, watch } from './k8s-helpers.js'

const watchesOf = (
  api: { requests: readonly { path: string; query: Record<string, string | undefined> }[] },
  resource: string,
) =>
  api.requests.filter((r) => r.path.endsWith(`/${resource}`) && r.query.watch !== undefined).length

t.test('names that cannot exist are Neg without a call to the API server', async (t) => {
  const api = await startApi(t)
  const namer = await openNamer(t, api)
  const hostile = [
    '/default/http',
    '/Bad_Namespace/http/web',
    '/default/http/web.example.com',
    '/default/99999/web',
    `/default/http/${'w'.repeat(64)}`,
    '/default/http/web/extra', // an id has no residual
    '/../http/web',
  ]
  for (const id of hostile) {
    const v = namer.addr(Path.read(id))
    const off = v.subscribe(() => {})
    t.same(v.sample(), Addr.neg, id)
    off()
  }
  t.same(namer.addr(Path.utf8('default', 'http', 'wéb')).sample(), Addr.neg)
  t.equal(api.requests.length, 0, 'no request was made')
  t.same(namer.state().watches, [])
})

t.test('every port and observer of one Service shares one pair of watches', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(
    slice('web-a', 'web', ['10.0.0.1'], {
      ports: [
        { name: 'http', port: 8080 },
        { name: 'admin', port: 9990 },
      ],
    }),
  )
  const namer = await openNamer(t, api)
  const http = watch(t, namer, '/default/http/web')
  const admin = watch(t, namer, '/default/admin/web')
  const numbered = watch(t, namer, '/default/80/web')
  const again = watch(t, namer, '/default/http/web')
  await until(http, 'Bound(10.0.0.1:8080)')
  await until(admin, 'Bound(10.0.0.1:9990)')
  await until(numbered, 'Bound(10.0.0.1:8080)')
  await until(again, 'Bound(10.0.0.1:8080)')
  // The watches start after the lists have answered.
  await eventually('both watches open', () => api.openWatches === 2)
  t.equal(watchesOf(api, 'endpointslices'), 1)
  t.equal(watchesOf(api, 'services'), 1)
  t.equal(namer.state().watches.length, 1)
  t.match(namer.state().watches[0], {
    namespace: 'default',
    service: 'web',
    observers: 4,
    lingering: false,
    synced: true,
    serviceObject: 'present',
    slices: 1,
  })
})

t.test(
  'the watch closes a while after the last observer leaves; lookups keep it meanwhile',
  async (t) => {
    const api = await startApi(t)
    api.put(WEB)
    const namer = await openNamer(t, api, { lingerMs: 300 })
    const v = namer.addr(Path.read('/default/http/web'))
    const off = v.subscribe(() => {})
    await until(v, 'Bound()')
    off()
    t.match(namer.state().watches, [{ observers: 0, lingering: true }])
    // namerd binds again every second: each lookup counts as use.
    for (let i = 0; i < 10; i++) {
      namer.lookup(Path.read('/default/http/web'))
      await sleep(100)
    }
    t.equal(namer.state().watches.length, 1, 'kept alive by lookups')
    await eventually('closed', () => namer.state().watches.length === 0, 5000)
    // Observed again: a new watch, the right answer.
    const w = watch(t, namer, '/default/http/web')
    await until(w, 'Bound()')
  },
)

t.test('many names observed once leave at most maxLingering watches behind', async (t) => {
  const api = await startApi(t)
  api.put(service('web', [{ name: 'http', port: 80 }]))
  const namer = await openNamer(t, api, { maxLingering: 4, lingerMs: 60_000 })
  for (let i = 0; i < 20; i++) {
    const v = namer.addr(Path.read(`/default/http/svc-${i}`))
    const off = v.subscribe(() => {})
    off()
  }
  t.equal(namer.state().watches.length, 4)
})

t.test('closing the namer stops its watches; observed addrs keep their last value', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  await until(web, 'Bound(10.0.0.1:8080)')
  await namer.close()
  api.put(slice('web-a', 'web', ['10.0.0.2']))
  await sleep(200)
  t.equal(Addr.show(web.sample()), 'Bound(10.0.0.1:8080)')
  t.same(namer.state().watches, [])
})
