// Concurrent GETs of one namespace share store reads, yet a GET never answers a state older
// than a write that committed before the GET arrived: it joins only a read that started after
// it, never one already in flight.
import type { IncomingMessage } from 'node:http'
import { Dtab } from '@switchyard/dtab'
import t, { type Test as Tap } from 'tap'
import { coalesceReads } from '../src/coalesced-reads.js'
import type { NamerdServer } from '../src/index.js'
import { eventually, startServer } from './helpers.js'
import { observedStore } from './observed-store.js'

const dtabType = { 'content-type': 'application/dtab' }

async function put(base: string, ns: string, body: string): Promise<string> {
  const res = await fetch(`${base}/api/1/dtabs/${ns}`, { method: 'PUT', headers: dtabType, body })
  if (res.status !== 204) throw new Error(`PUT ${ns}: ${res.status} ${await res.text()}`)
  return res.headers.get('etag')!
}

async function get(base: string, ns: string, accept = 'application/dtab') {
  const res = await fetch(`${base}/api/1/dtabs/${ns}`, { headers: { accept } })
  return { status: res.status, etag: res.headers.get('etag'), body: await res.text() }
}

/** Counts the GETs of `url` namerd has received (parsed, not yet answered). */
function countArrivals(t: Tap, server: NamerdServer, url: string): () => number {
  let arrived = 0
  const onRequest = (req: IncomingMessage) => {
    if (req.method === 'GET' && req.url === url) arrived++
  }
  server.app.server.on('request', onRequest)
  t.teardown(() => server.app.server.off('request', onRequest))
  return () => arrived
}

/** Lets GETs that reached namerd get through fastify's hooks to the store. */
const settle = () => new Promise((r) => setTimeout(r, 50))

t.test('concurrent GETs of a namespace cost fewer store reads than requests', async (t) => {
  const o = observedStore()
  const { base, server } = await startServer(t, { store: o.store })
  const v1 = await put(base, 'web', '/svc => /a')
  const arrived = countArrivals(t, server, '/api/1/dtabs/web')

  // Hold the first read so that the others pile up behind it.
  o.hold = true
  const requests = Array.from({ length: 50 }, () => get(base, 'web'))
  await eventually('every GET reached namerd', () => arrived() === 50)
  await settle()
  t.equal(o.held.length, 1, 'one read in flight, the other GETs wait')
  o.hold = false
  o.held[0]!.release()
  const answers = await Promise.all(requests)

  for (const a of answers) t.same(a, { status: 200, etag: v1, body: '/svc=>/a\n' })
  t.equal(
    o.gets.length,
    2,
    `${answers.length} GETs made 2 store reads: the held one, then one for the rest`,
  )
})

t.test(
  'a GET sent after a PUT answered 204 sees that write, even while an older read is in flight',
  async (t) => {
    const o = observedStore()
    const { base, server } = await startServer(t, { store: o.store })
    const v1 = await put(base, 'web', '/svc => /a')

    o.hold = true
    const early = get(base, 'web')
    await eventually('the early read took its snapshot', () => o.held.length === 1)
    t.equal(
      Dtab.show(o.held[0]!.snapshot!.dtab),
      '/svc=>/a',
      'the held read has the state before the write',
    )

    const v2 = await put(base, 'web', '/svc => /b')
    t.not(v2, v1)

    // Several GETs after the 204, each seen by the server while the early read is still held.
    let arrived = 0
    const onRequest = (req: IncomingMessage) => {
      if (req.method === 'GET' && req.url === '/api/1/dtabs/web') arrived++
    }
    server.app.server.on('request', onRequest)
    t.teardown(() => server.app.server.off('request', onRequest))
    const late = Array.from({ length: 5 }, () => get(base, 'web'))
    await eventually('the late GETs reached namerd', () => arrived === 5)
    // Give their handlers the few ticks they need to reach the store wrapper.
    await new Promise((r) => setTimeout(r, 50))
    t.equal(o.held.length, 1, 'no second read starts while one is in flight')

    o.hold = false
    o.held[0]!.release()
    t.same(
      await early,
      { status: 200, etag: v1, body: '/svc=>/a\n' },
      'the early GET: the old state',
    )
    for (const answer of await Promise.all(late)) {
      t.same(
        answer,
        { status: 200, etag: v2, body: '/svc=>/b\n' },
        'a late GET: the write it followed',
      )
    }
  },
)

t.test('read after write holds on the wrapper itself, step by step', async (t) => {
  const o = observedStore()
  const store = coalesceReads(o.store)
  await o.store.put('web', Dtab.read('/svc => /a'))

  o.hold = true
  const first = store.get('web')
  await eventually('the first read is held', () => o.held.length === 1)
  const joined = store.get('web') // arrived while `first` was in flight: must not share it
  await store.put('web', Dtab.read('/svc => /b'))
  const afterWrite = store.get('web')
  t.equal(o.held.length, 1, 'still one read in flight')
  t.equal(o.gets.length, 1)

  o.held[0]!.release()
  t.equal(Dtab.show((await first)!.dtab), '/svc=>/a')
  await eventually('the queued read starts', () => o.held.length === 1)
  t.equal(o.gets.length, 2, 'both waiting GETs share one new read')
  o.hold = false
  o.held[0]!.release()
  const [a, b] = await Promise.all([joined, afterWrite])
  t.equal(a, b, 'the two waiters got the same read')
  t.equal(Dtab.show(b!.dtab), '/svc=>/b', 'and it sees the write')

  // Idle again: the next GET starts a read of its own at once.
  t.equal(Dtab.show((await store.get('web'))!.dtab), '/svc=>/b')
  t.equal(o.gets.length, 3)
})

t.test('a failed read fails only the GETs that waited for it', async (t) => {
  const o = observedStore()
  const store = coalesceReads(o.store)
  await t.rejects(store.get('not a namespace'), { code: 'invalid_namespace' })
  await t.rejects(Promise.all([store.get('no/slash'), store.get('no/slash')]), {
    code: 'invalid_namespace',
  })
  t.equal(await store.get('absent'), null)
})

t.test('repeated GETs of one version are served from one rendering per type', async (t) => {
  const { base } = await startServer(t)
  const v1 = await put(base, 'web', '/svc => /a')
  t.same(await get(base, 'web', 'application/json'), {
    status: 200,
    etag: v1,
    body: '[{"prefix":"/svc","dst":"/a"}]\n',
  })
  t.same(await get(base, 'web', 'text/plain'), { status: 200, etag: v1, body: '/svc=>/a\n' })
  t.same(await get(base, 'web', 'application/json'), {
    status: 200,
    etag: v1,
    body: '[{"prefix":"/svc","dst":"/a"}]\n',
  })
  const v2 = await put(base, 'web', '/svc => /b')
  t.same(
    await get(base, 'web', 'application/json'),
    { status: 200, etag: v2, body: '[{"prefix":"/svc","dst":"/b"}]\n' },
    'a new version is rendered anew',
  )
})
