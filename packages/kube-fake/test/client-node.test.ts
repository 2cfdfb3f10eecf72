// The fake through @kubernetes/client-node, unchanged: CustomObjectsApi, DiscoveryV1Api,
// CoreV1Api, CoordinationV1Api and the Watch class, over a kubeconfig or loadFromClusterAndUser.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node'
import type { FakeKubeApi, JsonObject } from '@switchyard/kube-fake'
import t from 'tap'
import { dtab, metaOf, rvOf, startWithCrds } from './helpers.js'

function kubeConfig(api: FakeKubeApi): KubeConfig {
  const kc = new KubeConfig()
  // client-node 2.x refuses plain http unless skipTLSVerify is true.
  kc.loadFromClusterAndUser({ name: 'fake', server: api.url, skipTLSVerify: true }, { name: 'u' })
  return kc
}

const DT = { group: 'l5d.io', version: 'v1alpha1', namespace: 'default', plural: 'dtabs' }

async function apiError(p: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await p
  } catch (err) {
    if (err instanceof ApiException) return err
    throw err
  }
  throw new Error('expected an ApiException')
}

t.test('CustomObjectsApi: create 201, get, list, replace, merge patch, delete', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const co = kubeConfig(api).makeApiClient(CustomObjectsApi)
  const created = (await co.createNamespacedCustomObject({
    ...DT,
    body: dtab('internal'),
  })) as JsonObject
  t.equal(rvOf(created), String(api.revision))
  t.same(created.dentries, [{ dst: '/#/io.l5d.k8s/default/http', prefix: '/svc' }])
  const got = (await co.getNamespacedCustomObject({ ...DT, name: 'internal' })) as JsonObject
  t.same(got, created)
  const list = (await co.listNamespacedCustomObject(DT)) as JsonObject
  t.equal(list.kind, 'DTabList')
  t.equal((list.items as JsonObject[]).length, 1)
  const changed = { ...got, dentries: [{ prefix: '/svc', dst: '/$/inet/127.1/8080' }] }
  const replaced = (await co.replaceNamespacedCustomObject({
    ...DT,
    name: 'internal',
    body: changed,
  })) as JsonObject
  t.not(rvOf(replaced), rvOf(got))
  t.equal((replaced.metadata as JsonObject).generation, 2)
  const patched = (await co.patchNamespacedCustomObject(
    { ...DT, name: 'internal', body: { metadata: { labels: { a: 'b' } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as JsonObject
  t.same((patched.metadata as JsonObject).labels, { a: 'b' })
  t.equal((patched.metadata as JsonObject).generation, 2, 'a metadata-only change keeps generation')
  const deleted = (await co.deleteNamespacedCustomObject({ ...DT, name: 'internal' })) as JsonObject
  t.equal(deleted.kind, 'Status')
  t.equal(deleted.status, 'Success')
  const missing = await apiError(co.getNamespacedCustomObject({ ...DT, name: 'internal' }))
  t.equal(missing.code, 404)
  t.equal(JSON.parse(String(missing.body)).reason, 'NotFound')
})

t.test(
  'CustomObjectsApi: a stale replace is the 409 Conflict Status in ApiException.body',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const co = kubeConfig(api).makeApiClient(CustomObjectsApi)
    const first = (await co.createNamespacedCustomObject({
      ...DT,
      body: dtab('internal'),
    })) as JsonObject
    await co.replaceNamespacedCustomObject({
      ...DT,
      name: 'internal',
      body: { ...first, dentries: [] },
    })
    const err = await apiError(
      co.replaceNamespacedCustomObject({
        ...DT,
        name: 'internal',
        body: { ...first, dentries: [{ prefix: '/x', dst: '/y' }] },
      }),
    )
    t.equal(err.code, 409)
    t.equal(
      err.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on dtabs.l5d.io \\"internal\\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"internal","group":"l5d.io","kind":"dtabs"},"code":409}\n',
    )
  },
)

t.test('a missing CRD is the plain-text 404 through client-node', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  api.uninstallCrd('dtabs.l5d.io')
  const co = kubeConfig(api).makeApiClient(CustomObjectsApi)
  const err = await apiError(co.listNamespacedCustomObject(DT))
  t.equal(err.code, 404)
  t.equal(err.body, '404 page not found\n')
})

t.test('a kubeconfig file from writeKubeconfig carries the server and the namespace', async (t) => {
  const api = await startWithCrds()
  const dir = await mkdtemp(join(tmpdir(), 'kube-fake-'))
  t.teardown(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })
  const path = await api.writeKubeconfig(dir, { namespace: 'team-a' })
  const kc = new KubeConfig()
  kc.loadFromFile(path)
  t.equal(kc.getCurrentCluster()?.server, api.url)
  t.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'team-a')
  const co = kc.makeApiClient(CustomObjectsApi)
  await co.createNamespacedCustomObject({
    ...DT,
    namespace: 'team-a',
    body: { ...dtab('x'), metadata: { name: 'x' } },
  })
  const stored = api.get({
    apiVersion: 'l5d.io/v1alpha1',
    kind: 'DTab',
    namespace: 'team-a',
    name: 'x',
  })
  t.equal(metaOf(stored).namespace, 'team-a')
})

t.test(
  'the Watch class: list, then watch from the list RV sees ADDED, MODIFIED, DELETED once each',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const kc = kubeConfig(api)
    const co = kc.makeApiClient(CustomObjectsApi)
    api.put(dtab('before'))
    const list = (await co.listNamespacedCustomObject(DT)) as JsonObject
    const listRv = rvOf(list)
    const seen: { type: string; rv: string; name: string }[] = []
    let done: (err: unknown) => void = () => {}
    const finished = new Promise((resolve) => {
      done = resolve
    })
    const controller = await new Watch(kc).watch(
      '/apis/l5d.io/v1alpha1/namespaces/default/dtabs',
      { resourceVersion: listRv },
      (type, object: JsonObject) => {
        seen.push({ type, rv: rvOf(object), name: String((object.metadata as JsonObject).name) })
        if (type === 'DELETED') api.endWatches()
      },
      (err) => done(err),
    )
    t.teardown(() => controller.abort())
    const a = (await co.createNamespacedCustomObject({ ...DT, body: dtab('w1') })) as JsonObject
    const b = (await co.replaceNamespacedCustomObject({
      ...DT,
      name: 'w1',
      body: { ...a, dentries: [] },
    })) as JsonObject
    await co.deleteNamespacedCustomObject({ ...DT, name: 'w1' })
    t.equal(await finished, null, 'endWatches is a clean end: done(null)')
    t.same(seen, [
      { type: 'ADDED', rv: rvOf(a), name: 'w1' },
      { type: 'MODIFIED', rv: rvOf(b), name: 'w1' },
      { type: 'DELETED', rv: String(api.revision), name: 'w1' },
    ])
  },
)

t.test('the Watch class gets ERROR 410 in a 200 for a compacted RV', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const kc = kubeConfig(api)
  api.put(dtab('a'))
  api.put(dtab('b'))
  api.compact()
  const events: { type: string; object: JsonObject }[] = []
  const err = await new Promise((resolve) => {
    void new Watch(kc).watch(
      '/apis/l5d.io/v1alpha1/namespaces/default/dtabs',
      { resourceVersion: '1' },
      (type, object: JsonObject) => events.push({ type, object }),
      resolve,
    )
  })
  t.equal(err, null)
  t.same(events, [
    {
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'too old resource version: 1 (2)',
        reason: 'Expired',
        code: 410,
      },
    },
  ])
})

t.test(
  'DiscoveryV1Api and CoreV1Api: several slices of a Service by the service-name label',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const kc = kubeConfig(api)
    const core = kc.makeApiClient(CoreV1Api)
    await core.createNamespacedService({
      namespace: 'default',
      body: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { ports: [{ name: 'http', port: 80 }] },
      },
    })
    const slice = (name: string, service: string, ip: string): JsonObject => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true }, nodeName: 'node-1' }],
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    })
    api.put(slice('web-1', 'web', '10.1.2.3'))
    api.put(slice('web-2', 'web', '10.1.2.4'))
    api.put(slice('other-1', 'other', '10.9.9.9'))
    const discovery = kc.makeApiClient(DiscoveryV1Api)
    const list = await discovery.listNamespacedEndpointSlice({
      namespace: 'default',
      labelSelector: 'kubernetes.io/service-name=web',
    })
    t.same(
      list.items.map((s) => [
        s.metadata?.name,
        s.endpoints?.[0]?.addresses[0],
        s.endpoints?.[0]?.nodeName,
      ]),
      [
        ['web-1', '10.1.2.3', 'node-1'],
        ['web-2', '10.1.2.4', 'node-1'],
      ],
    )
    t.equal(list.metadata?.resourceVersion, String(api.revision))
    const svc = await core.readNamespacedService({ namespace: 'default', name: 'web' })
    t.equal(svc.spec?.ports?.[0]?.name, 'http')
  },
)

t.test('CoordinationV1Api: two candidates race on one Lease; the loser gets 409', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const leases = kubeConfig(api).makeApiClient(CoordinationV1Api)
  await leases.createNamespacedLease({
    namespace: 'default',
    body: {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'namerd-rollouts' },
      spec: { holderIdentity: '', leaseDurationSeconds: 15 },
    },
  })
  const read = await leases.readNamespacedLease({ namespace: 'default', name: 'namerd-rollouts' })
  const take = (who: string) =>
    leases.replaceNamespacedLease({
      namespace: 'default',
      name: 'namerd-rollouts',
      body: { ...read, spec: { ...read.spec, holderIdentity: who, leaseTransitions: 1 } },
    })
  const won = await take('namerd-0')
  t.equal(won.spec?.holderIdentity, 'namerd-0')
  const lost = await apiError(take('namerd-1'))
  t.equal(lost.code, 409)
  t.equal(
    JSON.parse(String(lost.body)).message,
    'Operation cannot be fulfilled on leases.coordination.k8s.io "namerd-rollouts": the object has been modified; please apply your changes to the latest version and try again',
  )
})
