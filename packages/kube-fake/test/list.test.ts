// list: selectors, resourceVersion semantics, limit/continue and the 410s (reference §1, §2.2, §3).
import type { JsonObject } from '@switchyard/kube-fake'
import t from 'tap'
import { DTABS, dtab, json, metaOf, rvOf, send, startWithCrds } from './helpers.js'

const names = (list: JsonObject) => (list.items as JsonObject[]).map((i) => metaOf(i).name)

t.test('the list RV is the global revision, which every kind moves', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  api.put(dtab('a'))
  api.put({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'l' },
    spec: {},
  })
  const list = json(await send(api, 'GET', DTABS))
  t.equal(rvOf(list), '2')
  t.equal(rvOf((list.items as JsonObject[])[0]), '1')
})

t.test('labelSelector and fieldSelector metadata.name filter; another field is 400', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  api.put({ ...dtab('a'), metadata: { name: 'a', labels: { team: 'x', tier: '1' } } })
  api.put({ ...dtab('b'), metadata: { name: 'b', labels: { team: 'y' } } })
  api.put(dtab('c'))
  const q = (s: string) => send(api, 'GET', `${DTABS}?${s}`).then(json).then(names)
  t.same(await q('labelSelector=team%3Dx'), ['a'])
  t.same(await q('labelSelector=team'), ['a', 'b'])
  t.same(await q('labelSelector=!team'), ['c'])
  t.same(await q('labelSelector=team%20in%20(x,y),tier!%3D2'), ['a', 'b'])
  t.same(await q('labelSelector=team%20notin%20(x)'), ['b', 'c'])
  t.same(await q('fieldSelector=metadata.name%3Db'), ['b'])
  t.same(await q('fieldSelector=metadata.name!%3Db'), ['a', 'c'])
  const bad = await send(api, 'GET', `${DTABS}?fieldSelector=spec.x%3D1`)
  t.equal(bad.status, 400)
  t.equal(json(bad).message, 'field label not supported: spec.x')
  const garbage = await send(api, 'GET', `${DTABS}?labelSelector=%3D%3D%3D`)
  t.equal(garbage.status, 400)
})

t.test('limit and continue page in key order; remainingItemCount counts the rest', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  for (const n of ['d', 'a', 'c', 'b', 'e']) api.put(dtab(n))
  const first = json(await send(api, 'GET', `${DTABS}?limit=2`))
  t.same(names(first), ['a', 'b'])
  t.equal(metaOf(first).remainingItemCount, 3)
  api.put(dtab('bb'))
  const token = encodeURIComponent(String(metaOf(first).continue))
  const second = json(await send(api, 'GET', `${DTABS}?limit=2&continue=${token}`))
  t.same(names(second), ['c', 'd'], 'the snapshot of the first page: bb is not in it')
  t.equal(rvOf(second), rvOf(first))
  const third = json(
    await send(
      api,
      'GET',
      `${DTABS}?limit=2&continue=${encodeURIComponent(String(metaOf(second).continue))}`,
    ),
  )
  t.same(names(third), ['e'])
  t.equal(metaOf(third).continue, undefined)
  const invalid = await send(api, 'GET', `${DTABS}?limit=2&continue=garbage`)
  t.equal(invalid.status, 400)
  t.match(json(invalid).message, /^invalid continue token: continue key is not valid: /)
  const withRv = await send(api, 'GET', `${DTABS}?limit=2&resourceVersion=3&continue=${token}`)
  t.equal(withRv.status, 400)
  t.equal(json(withRv).message, 'specifying resource version is not allowed when using continue')
})

t.test(
  'an expired continue token is HTTP 410 with a fresh token that lists the remainder',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    for (const n of ['a', 'b', 'c']) api.put(dtab(n))
    const first = json(await send(api, 'GET', `${DTABS}?limit=1`))
    api.put(dtab('bb'))
    api.compact()
    const r = await send(
      api,
      'GET',
      `${DTABS}?limit=1&continue=${encodeURIComponent(String(metaOf(first).continue))}`,
    )
    t.equal(r.status, 410)
    const body = json(r)
    const fresh = String(metaOf(body).continue)
    t.ok(fresh.length > 0)
    t.equal(
      r.body,
      `{"kind":"Status","apiVersion":"v1","metadata":{"continue":"${fresh}"},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.","reason":"Expired","code":410}\n`,
    )
    const rest = json(await send(api, 'GET', `${DTABS}?continue=${encodeURIComponent(fresh)}`))
    t.same(names(rest), ['b', 'bb', 'c'])
  },
)

t.test('limit with an RV is Exact: the state then; compacted it is HTTP 410', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const a = api.put(dtab('a'))
  api.put(dtab('b'))
  api.remove({ apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', name: 'a' })
  const then = json(await send(api, 'GET', `${DTABS}?limit=10&resourceVersion=${rvOf(a)}`))
  t.same(names(then), ['a'])
  t.equal(rvOf(then), rvOf(a))
  const exact = json(
    await send(api, 'GET', `${DTABS}?resourceVersion=${rvOf(a)}&resourceVersionMatch=Exact`),
  )
  t.same(names(exact), ['a'])
  const notOlder = json(await send(api, 'GET', `${DTABS}?resourceVersion=${rvOf(a)}`))
  t.same(names(notOlder), ['b'], 'without limit an RV means "not older than": the current state')
  api.compact()
  const expired =
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The resourceVersion for the provided list is too old.","reason":"Expired","code":410}\n'
  const limited = await send(api, 'GET', `${DTABS}?limit=1&resourceVersion=${rvOf(a)}`)
  t.equal(limited.status, 410)
  t.equal(limited.body, expired)
  const matched = await send(
    api,
    'GET',
    `${DTABS}?resourceVersion=${rvOf(a)}&resourceVersionMatch=Exact`,
  )
  t.equal(matched.status, 410)
  t.equal(matched.body, expired)
})

t.test("expiredReason 'Gone' also names list 410s", async (t) => {
  const api = await startWithCrds({ expiredReason: 'Gone' })
  t.teardown(() => api.close())
  api.put(dtab('a'))
  api.put(dtab('b'))
  api.compact()
  const r = await send(api, 'GET', `${DTABS}?limit=1&resourceVersion=1`)
  t.equal(r.status, 410)
  t.equal(json(r).reason, 'Gone')
})

t.test('bad ListOptions combinations are 422 Invalid on kind ListOptions', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const r = await send(api, 'GET', `${DTABS}?resourceVersionMatch=NotOlderThan`)
  t.equal(r.status, 422)
  t.equal(
    r.body,
    '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ListOptions.meta.k8s.io \\"\\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"ListOptions","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided","field":"resourceVersionMatch"}]},"code":422}\n',
  )
  for (const q of [
    'resourceVersion=0&resourceVersionMatch=Exact',
    'resourceVersion=1&resourceVersionMatch=Sometimes',
    'watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan',
  ]) {
    const bad = await send(api, 'GET', `${DTABS}?${q}`)
    t.equal(bad.status, 422, q)
    t.equal(json(bad).reason, 'Invalid')
  }
})

t.test('an RV newer than the server has is 504 Too large resource version', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const r = await send(api, 'GET', `${DTABS}?resourceVersion=99&resourceVersionMatch=NotOlderThan`)
  t.equal(r.status, 504)
  t.equal(json(r).message, 'Timeout: Too large resource version: 99, current: 0')
})

t.test('RV "0" is served like the watch cache: limit is ignored', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  for (const n of ['a', 'b', 'c']) api.put(dtab(n))
  const list = json(await send(api, 'GET', `${DTABS}?limit=1&resourceVersion=0`))
  t.same(names(list), ['a', 'b', 'c'])
  t.equal(metaOf(list).continue, undefined)
})

t.test(
  'cluster-wide list spans namespaces; built-in list items carry no apiVersion/kind',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.put({ ...dtab('a'), metadata: { name: 'a', namespace: 'one' } })
    api.put({ ...dtab('a'), metadata: { name: 'a', namespace: 'two' } })
    const all = json(await send(api, 'GET', '/apis/l5d.io/v1alpha1/dtabs'))
    t.same(
      (all.items as JsonObject[]).map((i) => metaOf(i).namespace),
      ['one', 'two'],
    )
    api.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: {} })
    const services = json(await send(api, 'GET', '/api/v1/namespaces/default/services'))
    t.equal(services.kind, 'ServiceList')
    t.equal(services.apiVersion, 'v1')
    const [item] = services.items as JsonObject[]
    t.equal(item?.kind, undefined)
    t.equal(metaOf(item).name, 'web')
    t.equal(
      (await send(api, 'GET', '/apis/l5d.io/v1alpha1/dtabs/a')).status,
      404,
      'an object needs its namespace',
    )
  },
)

t.test('every ListOptions rule is reported: several causes in one bracketed message', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const r = await send(api, 'GET', `${DTABS}?watch=1&resourceVersionMatch=Sometimes`)
  t.equal(r.status, 422)
  t.equal(
    json(r).message,
    'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch, resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Unsupported value: "Sometimes": supported values: "Exact", "NotOlderThan", ""]',
  )
  t.equal(((json(r).details as JsonObject).causes as JsonObject[]).length, 3)
})
