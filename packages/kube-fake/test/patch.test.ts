// PATCH (merge patch and JSON patch) and deletecollection (reference §1, §2.3).
import type { JsonObject } from '@switchyard/kube-fake'
import t from 'tap'
import { DTABS, dtab, json, metaOf, openWatch, rvOf, send, startWithCrds } from './helpers.js'

const MERGE = { 'content-type': 'application/merge-patch+json' }
const JSON_PATCH = { 'content-type': 'application/json-patch+json' }

t.test('a merge patch applies to the current object: 200, new RV, generation 2', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const created = api.put(dtab('internal'))
  const r = await send(
    api,
    'PATCH',
    `${DTABS}/internal`,
    { dentries: [{ prefix: '/a', dst: '/b' }] },
    MERGE,
  )
  t.equal(r.status, 200)
  const patched = json(r)
  t.same(patched.dentries, [{ dst: '/b', prefix: '/a' }])
  t.not(rvOf(patched), rvOf(created))
  t.equal(metaOf(patched).generation, 2)
  t.equal(metaOf(patched).uid, metaOf(created).uid)
})

t.test(
  'a merge patch carrying a stale resourceVersion is the same 409 as PUT; the current one passes',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const created = api.put(dtab('internal'))
    api.put({ ...dtab('internal'), dentries: [] })
    const stale = await send(
      api,
      'PATCH',
      `${DTABS}/internal`,
      { metadata: { resourceVersion: rvOf(created) }, dentries: [{ prefix: '/x', dst: '/y' }] },
      MERGE,
    )
    t.equal(stale.status, 409)
    t.equal(
      stale.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on dtabs.l5d.io \\"internal\\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"internal","group":"l5d.io","kind":"dtabs"},"code":409}\n',
    )
    const current = await send(
      api,
      'PATCH',
      `${DTABS}/internal`,
      {
        metadata: { resourceVersion: String(api.revision) },
        dentries: [{ prefix: '/x', dst: '/y' }],
      },
      MERGE,
    )
    t.equal(current.status, 200)
  },
)

t.test('a metadata-only merge patch keeps generation; a no-op patch keeps the RV', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  api.put(dtab('internal'))
  const labelled = json(
    await send(api, 'PATCH', `${DTABS}/internal`, { metadata: { labels: { a: 'b' } } }, MERGE),
  )
  t.equal(metaOf(labelled).generation, 1)
  const before = api.revision
  const again = json(
    await send(api, 'PATCH', `${DTABS}/internal`, { metadata: { labels: { a: 'b' } } }, MERGE),
  )
  t.equal(rvOf(again), rvOf(labelled))
  t.equal(api.revision, before)
})

t.test(
  'JSON patch: add, replace, remove; a failing test op is 422 and changes nothing',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.put(dtab('internal'))
    const ok = await send(
      api,
      'PATCH',
      `${DTABS}/internal`,
      [
        { op: 'add', path: '/dentries/-', value: { prefix: '/b', dst: '/c' } },
        { op: 'replace', path: '/dentries/0/dst', value: '/z' },
        { op: 'add', path: '/metadata/labels', value: { x: 'y' } },
        { op: 'remove', path: '/metadata/labels/x' },
      ],
      JSON_PATCH,
    )
    t.equal(ok.status, 200)
    t.same(json(ok).dentries, [
      { dst: '/z', prefix: '/svc' },
      { dst: '/c', prefix: '/b' },
    ])
    const rv = api.revision
    const failed = await send(
      api,
      'PATCH',
      `${DTABS}/internal`,
      [
        { op: 'test', path: '/metadata/resourceVersion', value: '1' },
        { op: 'replace', path: '/dentries', value: [] },
      ],
      JSON_PATCH,
    )
    t.equal(failed.status, 422)
    t.equal(json(failed).reason, 'Invalid')
    t.equal(api.revision, rv)
    const bad = await send(
      api,
      'PATCH',
      `${DTABS}/internal`,
      [{ op: 'frobnicate', path: '/x' }],
      JSON_PATCH,
    )
    t.equal(bad.status, 400)
    t.equal(json(bad).reason, 'BadRequest')
  },
)

t.test(
  'PATCH of a missing object is 404; strategic merge patch on a CR is the exact 415',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const missing = await send(api, 'PATCH', `${DTABS}/nope`, {}, MERGE)
    t.equal(missing.status, 404)
    t.equal(json(missing).message, 'dtabs.l5d.io "nope" not found')
    api.put(dtab('internal'))
    const smp = await send(
      api,
      'PATCH',
      `${DTABS}/internal`,
      {},
      {
        'content-type': 'application/strategic-merge-patch+json',
      },
    )
    t.equal(smp.status, 415)
    t.equal(
      smp.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml","reason":"UnsupportedMediaType","code":415}\n',
    )
    const apply = await send(
      api,
      'PATCH',
      `${DTABS}/internal`,
      {},
      { 'content-type': 'application/apply-patch+yaml' },
    )
    t.equal(apply.status, 415)
    t.match(json(apply).message, /does not implement application\/apply-patch\+yaml/)
  },
)

t.test(
  'deletecollection deletes what the selector matches: 200 with the list, one DELETED event each',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.put({ ...dtab('a'), metadata: { name: 'a', labels: { team: 'x' } } })
    api.put({ ...dtab('b'), metadata: { name: 'b', labels: { team: 'x' } } })
    api.put(dtab('c'))
    const w = await openWatch(api, `${DTABS}?watch=1&resourceVersion=${api.revision}`)
    const r = await send(api, 'DELETE', `${DTABS}?labelSelector=team%3Dx`)
    t.equal(r.status, 200)
    const list = json(r)
    t.equal(list.kind, 'DTabList')
    t.same(
      (list.items as JsonObject[]).map((i) => metaOf(i).name),
      ['a', 'b'],
    )
    await w.waitLines(2)
    t.same(
      w.events().map((e) => [e.type, metaOf(e.object).name]),
      [
        ['DELETED', 'a'],
        ['DELETED', 'b'],
      ],
    )
    w.close()
    t.same(
      (json(await send(api, 'GET', DTABS)).items as JsonObject[]).map((i) => metaOf(i).name),
      ['c'],
    )
  },
)
