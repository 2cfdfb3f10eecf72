// GET /api/1/overview: every namespace at a glance in one request (the dashboard's first page):
// version, newest history entry, watchers and how many hold the current version, active rollouts.
import { Dtab } from '@switchyard/dtab'
import { Overview } from '@switchyard/wire'
import t from 'tap'
import { sharedOverviews } from '../src/routes/overview.js'
import { eventually, startServer, watch } from './helpers.js'

async function overview(base: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api/1/overview`, { headers })
  if (res.status !== 200) throw new Error(`GET /api/1/overview: ${res.status} ${await res.text()}`)
  return Overview.parse(await res.json())
}

t.test('an empty store has no namespaces', async (t) => {
  const { base } = await startServer(t)
  t.same(await overview(base), { namespaces: [] })
})

t.test('each namespace with its version, last change and watchers, sorted by name', async (t) => {
  const { base, store } = await startServer(t)
  await store.create('web', Dtab.read('/svc => /#/io.l5d.fs'), { who: 'ann', why: 'first' })
  await store.create('api', Dtab.read('/svc => /$/inet/127.0.0.1/1'))
  const put = await fetch(`${base}/api/1/dtabs/web`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dtab' },
    body: '/svc => /#/io.l5d.fs/web-v2',
  })
  t.equal(put.status, 204)
  const webVersion = put.headers.get('etag')

  const first = await overview(base)
  t.same(
    first.namespaces.map((n) => n.namespace),
    ['api', 'web'],
  )
  const web = first.namespaces[1]!
  t.equal(web.version, webVersion)
  t.match(web.lastChange, { op: 'put', who: null })
  t.notOk('why' in (web.lastChange ?? {}), 'a write without a why shows none')
  t.match(first.namespaces[0]!.lastChange, { op: 'create', who: null })
  t.same([web.watchers, web.current, web.activeRollouts], [0, 0, 0])

  // Two proxies watch web; both get the current version.
  for (const id of ['proxy-a', 'proxy-b']) {
    const w = await watch(t, `${base}/api/1/dtabs/web?watch=1`, { 'l5d-watcher-id': id })
    t.equal(w.res.status, 200)
    await w.lines.next()
  }
  await eventually('both watchers current', async () => {
    const w = (await overview(base)).namespaces[1]!
    return w.watchers === 2 && w.current === 2
  })
  t.match((await overview(base)).namespaces[0], { namespace: 'api', watchers: 0, current: 0 })
})

t.test('a namespace deleted is gone from the overview', async (t) => {
  const { base, store } = await startServer(t)
  await store.create('gone', Dtab.read('/a => /b'))
  await store.delete('gone')
  t.same(await overview(base), { namespaces: [] })
})

t.test('it needs the read scope when reads are guarded', async (t) => {
  const { base } = await startServer(t, {
    auth: { tokens: [{ name: 'viewer', token: 'r', scope: 'read' }] },
  })
  const res = await fetch(`${base}/api/1/overview`)
  t.equal(res.status, 401)
  t.same(await overview(base, { authorization: 'Bearer r' }), { namespaces: [] })
})

t.test('active rollouts are counted per namespace', async (t) => {
  const { base, store } = await startServer(t)
  await store.create('web', Dtab.read('/svc/world => /$/inet/127.0.0.1/8001'))
  await store.create('api', Dtab.read('/svc/a => /$/inet/127.0.0.1/8003'))
  const res = await fetch(`${base}/api/1/rollouts/web`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      prefix: '/svc/world',
      from: '/$/inet/127.0.0.1/8001',
      to: '/$/inet/127.0.0.1/8002',
      steps: [10, 100],
      intervalMs: 1000,
      progressDeadlineMs: 10_000,
      thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 10 },
      smoke: null,
      gates: [],
      metrics: { kind: 'proxies' },
      webhook: null,
      reason: 'overview test',
    }),
  })
  t.equal(res.status, 201, await res.clone().text())
  const o = await overview(base)
  t.same(
    o.namespaces.map((n) => [n.namespace, n.activeRollouts]),
    [
      ['api', 0],
      ['web', 1],
    ],
  )
})

t.test(
  'overviews asked for at once share one computation, never one begun before the ask',
  async (t) => {
    let computed = 0
    const gates: (() => void)[] = []
    const shared = sharedOverviews(async () => {
      const n = ++computed
      await new Promise<void>((resolve) => gates.push(resolve))
      return { namespaces: [{ namespace: `run-${n}` }] } as unknown as Overview
    })
    const first = shared()
    // Arrived while run 1 is in flight: they wait for run 2, which starts after run 1 ends.
    const later = [shared(), shared(), shared()]
    t.equal(computed, 1, 'one computation while the first is in flight')
    gates.shift()!()
    t.equal((await first).namespaces[0]!.namespace, 'run-1')
    await new Promise((r) => setImmediate(r))
    t.equal(computed, 2, 'the waiting requests started one more, after the first ended')
    gates.shift()!()
    const answers = await Promise.all(later)
    t.same(
      answers.map((a) => a.namespaces[0]!.namespace),
      ['run-2', 'run-2', 'run-2'],
      'all three got the run that began after they asked',
    )

    // Through the route, with a store slow to list (a file store with many namespaces): 20
    // concurrent GETs cost at most two listings.
    const { base, store } = await startServer(t)
    await store.create('web', Dtab.read('/svc => /#/io.l5d.fs'))
    let lists = 0
    const list = store.list.bind(store)
    store.list = async () => {
      lists++
      await new Promise((r) => setTimeout(r, 100))
      return list()
    }
    const all = await Promise.all(Array.from({ length: 20 }, () => overview(base)))
    t.ok(lists <= 2, `20 requests at once listed the store ${lists} times (at most 2)`)
    t.ok(all.every((o) => o.namespaces[0]?.namespace === 'web'))
  },
)
