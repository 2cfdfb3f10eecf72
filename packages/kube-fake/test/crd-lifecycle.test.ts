// Installing, replacing and removing CRDs (reference §2.3 "Right after the CRD is created", §5).
import { CrdError, FakeKubeApi, type JsonObject } from '@switchyard/kube-fake'
import t from 'tap'
import { CRD_DIR, DTABS, dtab, json, metaOf, openWatch, send, startWithCrds } from './helpers.js'

const DTABS_CRD: JsonObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'dtabs.l5d.io' },
  spec: {
    group: 'l5d.io',
    scope: 'Namespaced',
    names: { plural: 'dtabs', kind: 'DTab' },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    ],
  },
}

t.test('installCrdsFrom installs every CRD of deploy/crd and returns their names', async (t) => {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  t.same(await api.installCrdsFrom(CRD_DIR), [
    'dtabhistories.switchyard.io',
    'dtabs.l5d.io',
    'rollouts.switchyard.io',
  ])
  t.equal(
    (await send(api, 'GET', '/apis/switchyard.io/v1alpha1/namespaces/x/dtabhistories')).status,
    200,
  )
  // The YAML's schema as written: x-kubernetes-preserve-unknown-fields keeps what it covers.
  const kept = api.put({
    apiVersion: 'switchyard.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'internal.r1', namespace: 'x' },
    spec: { prefix: '/host/world', thresholds: { maxP99Ms: null } },
    status: { phase: 'pending' },
  })
  t.same(kept.spec, { prefix: '/host/world', thresholds: { maxP99Ms: null } })
  t.same(kept.status, { phase: 'pending' })
})

t.test(
  'installCrd refuses what is not a v1 CRD, or a name that is not <plural>.<group>',
  async (t) => {
    const api = await FakeKubeApi.start()
    t.teardown(() => api.close())
    t.throws(() => api.installCrd({ kind: 'CustomResourceDefinition' }), CrdError)
    t.throws(
      () => api.installCrd({ ...DTABS_CRD, metadata: { name: 'wrong.l5d.io' } }),
      /must be <plural>.<group> \(dtabs.l5d.io\)/,
    )
  },
)

t.test(
  'uninstallCrd deletes its objects (DELETED events), ends its watches, and 404s its paths',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.put(dtab('a'))
    const w = await openWatch(api, `${DTABS}?watch=1&resourceVersion=${api.revision}`)
    api.uninstallCrd('dtabs.l5d.io')
    t.equal(await w.ended, 'end')
    t.same(
      w.events().map((e) => [e.type, metaOf(e.object).name]),
      [['DELETED', 'a']],
    )
    t.equal((await send(api, 'GET', DTABS)).body, '404 page not found\n')
    await api.installCrdsFrom(CRD_DIR)
    t.same(json(await send(api, 'GET', DTABS)).items, [], 'reinstalled empty')
  },
)

t.test('replacing a CRD with a changed one keeps the objects and ends its watches', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  api.put(dtab('a'))
  const w = await openWatch(api, `${DTABS}?watch=1`)
  await w.waitLines(1)
  await api.installCrdsFrom(CRD_DIR)
  t.equal(api.openWatches, 1, 'reinstalling the same CRD changes nothing')
  api.installCrd(DTABS_CRD)
  t.equal(await w.ended, 'end')
  t.equal((json(await send(api, 'GET', DTABS)).items as JsonObject[]).length, 1)
})

t.test('crdNotFoundMs: the plain 404 right after install, then 200', async (t) => {
  const api = await FakeKubeApi.start({ crdNotFoundMs: 300 })
  t.teardown(() => api.close())
  api.installCrd(DTABS_CRD)
  t.equal((await send(api, 'GET', DTABS)).status, 404)
  await new Promise((r) => setTimeout(r, 350))
  t.equal((await send(api, 'GET', DTABS)).status, 200)
})

t.test(
  'crdCreateHoldMs: a create right after install is held until the window ends; GETs are not',
  async (t) => {
    const api = await FakeKubeApi.start({ crdCreateHoldMs: 400 })
    t.teardown(() => api.close())
    const installed = Date.now()
    api.installCrd(DTABS_CRD)
    const list = await send(api, 'GET', DTABS)
    t.equal(list.status, 200)
    const created = await send(api, 'POST', DTABS, dtab('a'))
    t.equal(created.status, 201)
    t.ok(Date.now() - installed >= 390, 'answered only after the hold')
    const later = Date.now()
    await send(api, 'POST', DTABS, dtab('b'))
    t.ok(Date.now() - later < 390, 'the hold is over')
  },
)

t.test('every served version of a CRD reaches the same objects', async (t) => {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  const spec = DTABS_CRD.spec as JsonObject
  const [v] = spec.versions as JsonObject[]
  api.installCrd({
    ...DTABS_CRD,
    spec: {
      ...spec,
      versions: [
        { ...v, storage: false },
        { ...v, name: 'v1', storage: true },
      ],
    },
  })
  api.put(dtab('a'))
  const v1 = json(await send(api, 'GET', '/apis/l5d.io/v1/namespaces/default/dtabs/a'))
  t.equal(v1.apiVersion, 'l5d.io/v1')
  t.equal((await send(api, 'GET', '/apis/l5d.io/v2/namespaces/default/dtabs/a')).status, 404)
})
