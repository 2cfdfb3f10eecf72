// The watch streams of one namespace share one store watch: N streams open one, every stream
// receives every state, and the store watch closes when the last stream leaves.
import t from 'tap'
import type { WatchersJson } from '../src/index.js'
import { eventually, startServer, watch } from './helpers.js'
import { observedStore } from './observed-store.js'

const WATCHERS = 25

async function put(base: string, ns: string, body: string): Promise<string> {
  const res = await fetch(`${base}/api/1/dtabs/${ns}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dtab' },
    body,
  })
  if (res.status !== 204) throw new Error(`PUT ${ns}: ${res.status} ${await res.text()}`)
  return res.headers.get('etag')!
}

t.test(
  `${WATCHERS} watchers of a namespace open one store watch and all get every state`,
  async (t) => {
    const o = observedStore()
    const { base, server } = await startServer(t, { store: o.store })
    await put(base, 'web', '/svc => /v0')

    const streams = await Promise.all(
      Array.from({ length: WATCHERS }, (_, i) =>
        watch(t, `${base}/api/1/dtabs/web?watch=1`, {
          accept: i % 2 === 0 ? 'application/json' : 'application/dtab',
          'l5d-watcher-id': `w${i}`,
        }),
      ),
    )
    const line = (i: number, n: number) =>
      i % 2 === 0 ? `[{"prefix":"/svc","dst":"/v${n}"}]` : `/svc=>/v${n}`
    for (const [i, s] of streams.entries()) t.equal(await s.lines.next(), line(i, 0))
    t.same(o.watches, ['web'], 'one store watch for all of them')
    t.equal(server.context.dtabWatches.size, 1)

    let version = ''
    for (let n = 1; n <= 3; n++) {
      version = await put(base, 'web', `/svc => /v${n}`)
      for (const [i, s] of streams.entries()) {
        if ((await s.lines.next()) !== line(i, n)) t.fail(`watcher ${i} missed state ${n}`)
      }
    }
    t.pass(`every watcher got states 1 to 3, in each one's own format`)
    await put(base, 'web', '/svc=>/v3')
    for (const s of streams)
      t.equal(await s.lines.quiet(100), true, 'a new version of the same dtab sends nothing')

    const status = (await (await fetch(`${base}/api/1/dtabs/web/watchers`)).json()) as WatchersJson
    t.equal(status.watchers.length, WATCHERS, 'each stream is listed')
    t.ok(
      status.watchers.every((w, i) => w.id === `w${i}` && w.sent === 4),
      'each under its own l5d-watcher-id, with its own count',
    )
    t.not(status.version, version, 'the listing shows the newest version')

    // A watcher that joins later starts from the current state, on the same store watch.
    const late = await watch(t, `${base}/api/1/dtabs/web?watch=1`, { accept: 'text/plain' })
    t.equal(await late.lines.next(), '/svc=>/v3')
    t.equal(o.watches.length, 1)

    for (const s of [...streams, late]) await s.lines.cancel()
    await eventually('the store watch closes with the last stream', () => o.openWatches() === 0)
    t.equal(server.context.dtabWatches.size, 0)

    // The next watcher opens a new one.
    const again = await watch(t, `${base}/api/1/dtabs/web?watch=1`, { accept: 'text/plain' })
    t.equal(await again.lines.next(), '/svc=>/v3')
    t.equal(o.watches.length, 2)
    t.equal(o.openWatches(), 1)
  },
)

t.test('watch streams of different namespaces do not share', async (t) => {
  const o = observedStore()
  const { base } = await startServer(t, { store: o.store })
  await put(base, 'a', '/x => /a')
  await put(base, 'b', '/x => /b')
  const a = await watch(t, `${base}/api/1/dtabs/a?watch=1`, { accept: 'text/plain' })
  const b = await watch(t, `${base}/api/1/dtabs/b?watch=1`, { accept: 'text/plain' })
  t.equal(await a.lines.next(), '/x=>/a')
  t.equal(await b.lines.next(), '/x=>/b')
  await put(base, 'b', '/x => /b2')
  t.equal(await b.lines.next(), '/x=>/b2')
  t.equal(await a.lines.quiet(100), true)
  t.same([...o.watches].sort(), ['a', 'b'])
})

t.test('a bind watch shares the store watch of its namespace with dtab watchers', async (t) => {
  const o = observedStore()
  const { base } = await startServer(t, { store: o.store })
  await put(base, 'web', '/svc => /$/inet/127.0.0.1/1')
  const d = await watch(t, `${base}/api/1/dtabs/web?watch=1`, { accept: 'text/plain' })
  t.equal(await d.lines.next(), '/svc=>/$/inet/127.0.0.1/1')
  const b = await watch(t, `${base}/api/1/bind/web?path=/svc&watch=1`)
  t.match(await b.lines.next(), /127\.0\.0\.1/)
  await put(base, 'web', '/svc => /$/inet/127.0.0.1/2')
  t.equal(await d.lines.next(), '/svc=>/$/inet/127.0.0.1/2')
  t.match(await b.lines.next(), /"port":2/)
  t.same(o.watches, ['web'])
})

t.test('deleting a namespace sends nothing; recreating it sends its dtab', async (t) => {
  const o = observedStore()
  const { base } = await startServer(t, { store: o.store })
  await put(base, 'web', '/svc => /a')
  const streams = await Promise.all(
    [1, 2, 3].map(() => watch(t, `${base}/api/1/dtabs/web?watch=1`, { accept: 'text/plain' })),
  )
  for (const s of streams) t.equal(await s.lines.next(), '/svc=>/a')
  t.equal((await fetch(`${base}/api/1/dtabs/web`, { method: 'DELETE' })).status, 204)
  for (const s of streams) t.equal(await s.lines.quiet(100), true)
  await put(base, 'web', '/svc => /b')
  for (const s of streams) t.equal(await s.lines.next(), '/svc=>/b')
})
