// The test-facing API: put/remove/get/list through the write path, the request log, discovery.
import { FakeKubeApi, FakeKubeError, type JsonObject } from '@switchyard/kube-fake'
import t from 'tap'
import { DTABS, dtab, json, metaOf, openWatch, rvOf, send, startWithCrds } from './helpers.js'

const REF = { apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', namespace: 'default', name: 'a' }

t.test(
  'put creates, then replaces without an RV; each write takes the next global RV and is watched',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const w = await openWatch(api, `${DTABS}?watch=1&resourceVersion=0`)
    const created = api.put(dtab('a'))
    t.equal(rvOf(created), '1')
    const lease = api.put({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l' },
      spec: {},
    })
    t.equal(rvOf(lease), '2')
    const replaced = api.put({
      ...dtab('a'),
      metadata: { name: 'a', resourceVersion: '1' },
      dentries: [],
    })
    t.equal(rvOf(replaced), '3')
    t.equal(metaOf(replaced).uid, metaOf(created).uid)
    t.equal(metaOf(replaced).generation, 2)
    t.equal(rvOf(api.put({ ...dtab('a'), dentries: [] })), '3', 'a no-op put keeps the RV')
    await w.waitLines(2)
    t.same(
      w.events().map((e) => e.type),
      ['ADDED', 'MODIFIED'],
    )
    w.close()
  },
)

t.test('get and remove; remove of a missing object is null', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  t.equal(api.get(REF), null)
  api.put(dtab('a'))
  t.equal(metaOf(api.get(REF)).name, 'a')
  t.same(
    api.list({ apiVersion: REF.apiVersion, kind: REF.kind }).map((o) => metaOf(o).name),
    ['a'],
  )
  const removed = api.remove(REF)
  t.equal(rvOf(removed), String(api.revision), 'the last state with the deletion RV')
  t.equal(api.get(REF), null)
  t.equal(api.remove(REF), null)
})

t.test('put refuses an unknown kind and an invalid object with a FakeKubeError', async (t) => {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  t.throws(() => api.put(dtab('a')), { name: 'FakeKubeError', code: 'unknown_kind' })
  await api.installCrdsFrom(new URL('../../../deploy/crd', import.meta.url).pathname)
  try {
    api.put(dtab('Not_Valid'))
    t.fail('expected a rejection')
  } catch (err) {
    t.ok(err instanceof FakeKubeError)
    if (err instanceof FakeKubeError) {
      t.equal(err.code, 'rejected')
      t.equal(err.status?.reason, 'Invalid')
    }
  }
})

t.test('requests logs method, path and query, bounded by requestLog', async (t) => {
  const api = await startWithCrds({ requestLog: 3 })
  t.teardown(() => api.close())
  await send(api, 'GET', `${DTABS}?labelSelector=a%3Db&limit=5`)
  t.same(api.requests, [
    { method: 'GET', path: DTABS, query: { labelSelector: 'a=b', limit: '5' } },
  ])
  for (let i = 0; i < 5; i++) await send(api, 'GET', `${DTABS}/n${i}`)
  t.same(
    api.requests.map((r) => r.path),
    [`${DTABS}/n2`, `${DTABS}/n3`, `${DTABS}/n4`],
  )
  api.clearRequests()
  t.same(api.requests, [])
})

t.test(
  'built-ins: Service names are DNS-1035 labels; a Service DELETE answers the object',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const SVC = '/api/v1/namespaces/default/services'
    const bad = await send(api, 'POST', SVC, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: '1web' },
      spec: {},
    })
    t.equal(bad.status, 422)
    t.match(
      json(bad).message,
      /^Service "1web" is invalid: metadata.name: Invalid value: "1web": a DNS-1035 label must/,
    )
    t.equal(
      (
        await send(api, 'POST', SVC, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'web' },
          spec: {},
        })
      ).status,
      201,
    )
    const deleted = await send(api, 'DELETE', `${SVC}/web`)
    t.equal(deleted.status, 200)
    t.equal(json(deleted).kind, 'Service')
    const slice = await send(
      api,
      'POST',
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-1' },
        addressType: 'IPv4',
        endpoints: [],
      },
    )
    t.equal(slice.status, 201)
    t.equal(metaOf(json(slice)).generation, 1)
    const removed = await send(
      api,
      'DELETE',
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-1',
    )
    t.same((json(removed).details as JsonObject).kind, 'endpointslices')
  },
)

t.test('generateName makes a name; the body namespace must match the URL', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const r = await send(api, 'POST', DTABS, { ...dtab(''), metadata: { generateName: 'gen-' } })
  t.equal(r.status, 201)
  t.match(metaOf(json(r)).name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
  const other = await send(api, 'POST', DTABS, {
    ...dtab('x'),
    metadata: { name: 'x', namespace: 'elsewhere' },
  })
  t.equal(other.status, 400)
  t.equal(
    json(other).message,
    'the namespace of the provided object does not match the namespace sent on the request',
  )
  const none = await send(api, 'POST', DTABS, { ...dtab(''), metadata: {} })
  t.equal(none.status, 422)
  t.equal(
    json(none).message,
    'DTab.l5d.io "" is invalid: metadata.name: Required value: name or generateName is required',
  )
})

t.test('discovery lists the served groups and resources', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const groups = json(await send(api, 'GET', '/apis'))
  t.ok((groups.groups as JsonObject[]).some((g) => g.name === 'l5d.io'))
  const resources = json(await send(api, 'GET', '/apis/l5d.io/v1alpha1'))
  t.same(
    (resources.resources as JsonObject[]).map((r) => [r.name, r.kind, r.namespaced]),
    [['dtabs', 'DTab', true]],
  )
  t.equal((await send(api, 'GET', '/apis/nosuch.io/v1')).status, 404)
  t.equal((await send(api, 'GET', '/version')).status, 200)
})
