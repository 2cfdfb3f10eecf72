// Watch streams over raw HTTP (reference §3): framing, RV semantics, ERROR 410, bookmarks,
// timeoutSeconds, selector transitions, and the test controls that end or cut watches.
import type { JsonObject } from '@switchyard/kube-fake'
import t from 'tap'
import { DTABS, dtab, json, metaOf, openWatch, rvOf, send, startWithCrds } from './helpers.js'

t.test('headers arrive at once, before any event: 200, application/json, chunked', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const w = await openWatch(api, `${DTABS}?watch=1&resourceVersion=${api.revision}`)
  t.equal(w.status, 200)
  t.equal(w.headers['content-type'], 'application/json')
  t.equal(w.headers['transfer-encoding'], 'chunked')
  t.same(w.lines, [])
  w.close()
})

t.test('watch=1, watch=true and bare ?watch stream; watch=0 and watch=false list', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  api.put(dtab('a'))
  for (const q of ['watch=1', 'watch=true', 'watch', 'watch=TRUE', 'watch=yes']) {
    const w = await openWatch(api, `${DTABS}?${q}`)
    const [line] = await w.waitLines(1)
    t.equal(JSON.parse(line ?? '').type, 'ADDED', q)
    w.close()
  }
  for (const q of ['watch=0', 'watch=false', 'watch=False']) {
    const r = await send(api, 'GET', `${DTABS}?${q}`)
    t.equal(json(r).kind, 'DTabList', q)
  }
})

t.test(
  'RV unset or "0" sends synthetic ADDED; RV N starts at exact with no replay of older state',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.put(dtab('a'))
    const b = api.put(dtab('b'))
    for (const rv of ['', '&resourceVersion=0']) {
      const w = await openWatch(api, `${DTABS}?watch=1${rv}`)
      await w.waitLines(2)
      t.same(
        w.events().map((e) => [e.type, (e.object.metadata as JsonObject).name]),
        [
          ['ADDED', 'a'],
          ['ADDED', 'b'],
        ],
      )
      w.close()
    }
    const exact = await openWatch(api, `${DTABS}?watch=1&resourceVersion=${rvOf(b)}`)
    api.put(dtab('c'))
    await exact.waitLines(1)
    t.same(
      exact.events().map((e) => e.type),
      ['ADDED'],
    )
    t.equal(metaOf(exact.events()[0]?.object).name, 'c')
    exact.close()
  },
)

t.test('a watch from an RV inside the history replays the later events in order', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const a = api.put(dtab('a'))
  api.put({ ...dtab('a'), dentries: [] })
  api.remove({ apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', namespace: 'default', name: 'a' })
  const w = await openWatch(api, `${DTABS}?watch=1&resourceVersion=${rvOf(a)}`)
  await w.waitLines(2)
  t.same(
    w.events().map((e) => [e.type, rvOf(e.object)]),
    [
      ['MODIFIED', '2'],
      ['DELETED', '3'],
    ],
  )
  w.close()
})

t.test('a too-old RV: HTTP 200, one ERROR 410 Expired line, then a clean end', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  api.put(dtab('a'))
  api.put(dtab('b'))
  api.compact()
  const w = await openWatch(api, `${DTABS}?watch=1&resourceVersion=1`)
  t.equal(w.status, 200)
  t.equal(await w.ended, 'end')
  t.same(w.lines, [
    '{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (2)","reason":"Expired","code":410}}',
  ])
})

t.test("expiredReason: 'Gone' mimics pre-1.18 servers", async (t) => {
  const api = await startWithCrds({ expiredReason: 'Gone' })
  t.teardown(() => api.close())
  api.put(dtab('a'))
  api.put(dtab('b'))
  api.compact()
  const w = await openWatch(api, `${DTABS}?watch=1&resourceVersion=1`)
  await w.ended
  t.equal(w.events()[0]?.object.reason, 'Gone')
  t.equal(w.events()[0]?.object.code, 410)
})

t.test('the event history is bounded: an RV that fell out of it is expired', async (t) => {
  const api = await startWithCrds({ eventHistory: 3 })
  t.teardown(() => api.close())
  for (let i = 0; i < 6; i++) api.put(dtab(`d${i}`))
  const old = await openWatch(api, `${DTABS}?watch=1&resourceVersion=2`)
  await old.ended
  t.equal(old.events()[0]?.type, 'ERROR')
  const recent = await openWatch(api, `${DTABS}?watch=1&resourceVersion=3`)
  await recent.waitLines(3)
  t.same(
    recent.events().map((e) => rvOf(e.object)),
    ['4', '5', '6'],
  )
  recent.close()
})

t.test('timeoutSeconds ends the body cleanly with no event', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const w = await openWatch(
    api,
    `${DTABS}?watch=1&resourceVersion=${api.revision}&timeoutSeconds=1`,
  )
  t.equal(await w.ended, 'end')
  t.same(w.lines, [])
  t.equal(api.openWatches, 0)
})

t.test(
  'BOOKMARKs only with allowWatchBookmarks, only past the watch start, with kind, apiVersion and RV',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.put(dtab('a'))
    const start = api.revision
    const plain = await openWatch(api, `${DTABS}?watch=1&resourceVersion=${start}`)
    const marked = await openWatch(
      api,
      `${DTABS}?watch=1&resourceVersion=${start}&allowWatchBookmarks=true&labelSelector=team%3Dx`,
    )
    api.sendBookmarks()
    api.put(dtab('b'))
    api.sendBookmarks()
    await marked.waitLines(1)
    await plain.waitLines(1)
    t.same(marked.lines, [
      `{"type":"BOOKMARK","object":{"kind":"DTab","apiVersion":"l5d.io/v1alpha1","metadata":{"resourceVersion":"${api.revision}"}}}`,
    ])
    t.same(
      plain.events().map((e) => e.type),
      ['ADDED'],
      'no bookmark without allowWatchBookmarks',
    )
    plain.close()
    marked.close()
  },
)

t.test(
  'GET B/<name>?watch=1 is a plain get; the old /watch/ path form watches one object',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.put(dtab('a'))
    api.put(dtab('b'))
    const get = await send(api, 'GET', `${DTABS}/a?watch=1`)
    t.equal(get.status, 200)
    t.equal(json(get).kind, 'DTab')
    const w = await openWatch(api, '/apis/l5d.io/v1alpha1/watch/namespaces/default/dtabs/b')
    await w.waitLines(1)
    t.same(
      w.events().map((e) => (e.object.metadata as JsonObject).name),
      ['b'],
    )
    w.close()
  },
)

t.test(
  'selector transitions: starting to match is ADDED, stopping is DELETED with the new RV',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.put(dtab('a'))
    const w = await openWatch(
      api,
      `${DTABS}?watch=1&resourceVersion=${api.revision}&labelSelector=team%3Dblue`,
    )
    const labelled = api.put({ ...dtab('a'), metadata: { name: 'a', labels: { team: 'blue' } } })
    const unlabelled = api.put(dtab('a'))
    await w.waitLines(2)
    t.same(
      w.events().map((e) => [e.type, rvOf(e.object), (e.object.metadata as JsonObject).labels]),
      [
        ['ADDED', rvOf(labelled), { team: 'blue' }],
        ['DELETED', rvOf(unlabelled), { team: 'blue' }],
      ],
    )
    w.close()
  },
)

t.test('endWatches is a clean end; severWatches cuts the connection', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const a = await openWatch(api, `${DTABS}?watch=1`)
  api.endWatches()
  t.equal(await a.ended, 'end')
  const b = await openWatch(api, `${DTABS}?watch=1`)
  api.severWatches()
  t.equal(await b.ended, 'error')
})

t.test(
  'down() cuts watches and refuses connections; up() answers on the same port with the state kept',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.put(dtab('a'))
    const url = api.url
    const w = await openWatch(api, `${DTABS}?watch=1`)
    await api.down()
    t.equal(await w.ended, 'error')
    await t.rejects(send(api, 'GET', DTABS))
    await api.up()
    t.equal(api.url, url)
    const list = json(await send(api, 'GET', DTABS))
    t.equal((list.items as JsonObject[]).length, 1)
  },
)

t.test(
  'a bookmark-enabled watch gets a BOOKMARK about 1 s before its timeoutSeconds end, then a clean end',
  async (t) => {
    const api = await startWithCrds({ bookmarkIntervalMs: 0 })
    t.teardown(() => api.close())
    const w = await openWatch(
      api,
      `${DTABS}?watch=1&resourceVersion=${api.revision}&timeoutSeconds=3&allowWatchBookmarks=true&labelSelector=team%3Dnone`,
    )
    api.put(dtab('unmatched'))
    t.equal(await w.ended, 'end')
    t.same(
      w.events().map((e) => [e.type, rvOf(e.object)]),
      [['BOOKMARK', String(api.revision)]],
    )
  },
)

t.test(
  'bookmarkIntervalMs sends periodic BOOKMARKs, none while nothing new happened',
  async (t) => {
    const api = await startWithCrds({ bookmarkIntervalMs: 100 })
    t.teardown(() => api.close())
    const w = await openWatch(
      api,
      `${DTABS}?watch=1&resourceVersion=${api.revision}&allowWatchBookmarks=1&labelSelector=team%3Dnone`,
    )
    await new Promise((r) => setTimeout(r, 250))
    t.same(w.lines, [], 'no event since the watch started: no bookmark')
    api.put(dtab('unmatched'))
    await w.waitLines(1)
    await new Promise((r) => setTimeout(r, 250))
    t.same(
      w.events().map((e) => [e.type, rvOf(e.object)]),
      [['BOOKMARK', String(api.revision)]],
      'one bookmark per new RV, not one per period',
    )
    w.close()
  },
)
