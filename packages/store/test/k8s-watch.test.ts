// Watches on the Kubernetes store through what a real API server does to them: a watch the
// server ends, a 410 because the watch fell behind the server's history, and the API server
// away for a while (writes refused naming it, reads and watches on the last known state, then
// every change once, in order, when it is back).
import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import { type DtabEvent, StoreUnavailableError } from '../src/index.js'
import { Reader } from './contract.js'
import { openOn, startFake } from './k8s-harness.js'

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]
const d = (text: string) => Dtab.read(text)
const show = (e: DtabEvent) => (e.type === 'dtab' ? `dtab ${Dtab.show(e.dtab)}` : e.type)
const dtabObject = (name: string, dst: string) => ({
  apiVersion: 'l5d.io/v1alpha1',
  kind: 'DTab',
  metadata: { name, namespace: 'default' },
  dentries: [{ prefix: '/a', dst }],
})

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function setup(t: Tap, fakeOptions: Parameters<typeof startFake>[0] = {}) {
  const api = await startFake(fakeOptions)
  t.teardown(() => api.close())
  const store = await openOn(api)
  t.teardown(() => store.close())
  return { api, store }
}

function readers(t: Tap, ...iterators: AsyncIterableIterator<unknown>[]) {
  const rs = iterators.map((i) => new Reader(i))
  t.teardown(async () => {
    for (const r of rs) await r.close()
  })
  return rs
}

t.test('a watch the server ends goes on: every later change once, nothing twice', async (t) => {
  const { api, store } = await setup(t)
  await store.create('web', d('/a => /v1'))
  const [w, l] = readers(t, store.watch('web'), store.watchList()) as [
    Reader<DtabEvent>,
    Reader<{ namespaces: readonly string[] }>,
  ]
  t.equal(show(await w.next()), 'dtab /a=>/v1')
  t.same((await l.next()).namespaces, ['web'])
  for (let i = 0; i < 3; i++) {
    api.endWatches()
    await store.put('web', d(`/a => /after${i}`))
    t.equal(show(await w.next()), `dtab /a=>/after${i}`)
  }
  await store.create('api', d('/a => /b'))
  t.same((await l.next()).namespaces, ['api', 'web'])
  t.ok(await w.quiet(300), 'no state repeated')
  t.ok(await l.quiet(100))
})

t.test(
  'a 410 (the watch fell behind the server history) re-lists: the latest state, once',
  async (t) => {
    const { api, store } = await setup(t, { eventHistory: 3 })
    await store.create('web', d('/a => /v1'))
    await store.create('old', d('/a => /b'))
    const [w, l] = readers(t, store.watch('web'), store.watchList()) as [
      Reader<DtabEvent>,
      Reader<{ namespaces: readonly string[] }>,
    ]
    t.equal(show(await w.next()), 'dtab /a=>/v1')
    t.same((await l.next()).namespaces, ['old', 'web'])
    // Cut the watch, and before it is back, more changes than the server remembers.
    api.severWatches()
    for (let i = 2; i <= 6; i++) api.put(dtabObject('web', `/v${i}`))
    api.remove({ apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', namespace: 'default', name: 'old' })
    t.equal(show(await w.next()), 'dtab /a=>/v6', 'the latest state')
    t.same((await l.next()).namespaces, ['web'])
    t.ok(await w.quiet(300), 'and not the ones in between, nor v1 again')
    await store.put('web', d('/a => /v7'))
    t.equal(show(await w.next()), 'dtab /a=>/v7')
  },
)

t.test(
  'the API server away: writes refused naming it, reads and watches on the last known state, then every change once',
  async (t) => {
    const { api, store } = await setup(t)
    await store.create('web', d('/a => /v1'))
    await store.create('gone', d('/a => /b'))
    const [w, l] = readers(t, store.watch('web'), store.watchList()) as [
      Reader<DtabEvent>,
      Reader<{ namespaces: readonly string[] }>,
    ]
    t.equal(show(await w.next()), 'dtab /a=>/v1')
    t.same((await l.next()).namespaces, ['gone', 'web'])

    await api.down()
    const url = new RegExp(
      `the Kubernetes API at ${api.url.replace(/[.:/]/g, '\\$&')} is unreachable`,
    )
    for (const write of [
      () => store.put('web', d('/a => /x')),
      () => store.create('new', d('/a => /x')),
      () => store.delete('web'),
    ]) {
      const err = await write().catch((e: unknown) => e)
      t.ok(err instanceof StoreUnavailableError, 'refused')
      t.match(err, { code: 'store_unavailable', status: 503, message: url })
    }
    t.equal(Dtab.show((await store.get('web'))!.dtab), '/a=>/v1', 'get: the last known state')
    t.same(await store.list(), ['gone', 'web'], 'list: the last known state')
    await until('stale', () => store.health().state === 'stale')
    t.match(store.health(), { state: 'stale', since: Date, problem: url })
    const late = new Reader(store.watch('web'))
    t.teardown(() => late.close())
    t.equal(
      show(await late.next()),
      'dtab /a=>/v1',
      'a watch started now starts at the last known state',
    )
    t.equal(Dtab.show((await store.get('web'))!.dtab), '/a=>/v1', 'again, while stale')

    // Others change things meanwhile (another namerd, kubectl).
    api.put(dtabObject('web', '/v2'))
    api.put(dtabObject('web', '/v3'))
    api.remove({ apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', namespace: 'default', name: 'gone' })
    api.put(dtabObject('api', '/b'))
    t.ok(await w.quiet(200), 'nothing is invented while away')
    await api.up()

    const seen: string[] = []
    for (;;) {
      seen.push(show(await w.next()))
      if (seen.at(-1) === 'dtab /a=>/v3') break
    }
    t.same(
      seen,
      ['dtab /a=>/v2', 'dtab /a=>/v3'],
      'in order, none lost (a watch resumed from its RV)',
    )
    t.same((await l.next()).namespaces, ['web'], 'gone went first')
    t.same((await l.next()).namespaces, ['api', 'web'], 'then api came')
    t.equal(show(await late.next()), 'dtab /a=>/v2')
    t.equal(show(await late.next()), 'dtab /a=>/v3')
    t.ok(await w.quiet(300), 'no duplicate')
    await until('ok', () => store.health().state === 'ok')
    await store.put('web', d('/a => /v4'))
    t.equal(show(await w.next()), 'dtab /a=>/v4', 'writes work again')
  },
)

t.test(
  'a store opened while the API server is away starts its watches when it comes',
  async (t) => {
    const api = await startFake()
    t.teardown(() => api.close())
    api.put(dtabObject('web', '/v1'))
    await api.down()
    const store = await openOn(api)
    t.teardown(() => store.close())
    const w = new Reader(store.watch('web'))
    t.teardown(() => w.close())
    await t.rejects(store.get('web'), { code: 'store_unavailable' }, 'nothing known yet: no answer')
    await until('the reason', () => {
      const h = store.health()
      return h.state === 'starting' && h.problem !== null
    })
    t.match(store.health(), { state: 'starting', problem: /is unreachable/ })
    t.ok(await w.quiet(200), 'no state before the first list')
    await api.up()
    t.equal(show(await w.next()), 'dtab /a=>/v1')
  },
)
