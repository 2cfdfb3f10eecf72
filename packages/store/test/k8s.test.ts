// The Kubernetes store beyond the contract: namerd's objects exactly (read unchanged, ours in
// namerd's shape, every other field kept), versions as namerd's ETags, errors that say what to
// do (missing CRD, RBAC, a too-narrow CRD schema), history in the cluster, and the store specs.
import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import {
  CorruptEntryError,
  openStore,
  parseStoreSpec,
  StoreSpecError,
  StoreUnavailableError,
  VersionMismatchError,
  versionsEqual,
  versionToETag,
} from '../src/index.js'
import { openOn, startFake } from './k8s-harness.js'

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]
const d = (text: string) => Dtab.read(text)
const REF = { apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', namespace: 'default' } as const

async function setup(t: Tap, options: Parameters<typeof openOn>[1] = {}) {
  const api = await startFake()
  t.teardown(() => api.close())
  const store = await openOn(api, options)
  t.teardown(() => store.close())
  return { api, store }
}

/** The exact body namerd's K8sDtabStore POSTs (namerd-wire.md §3.1). */
const NAMERD_OBJECT = {
  apiVersion: 'l5d.io/v1alpha1',
  kind: 'DTab',
  metadata: { name: 'internal', namespace: 'default' },
  dentries: [
    { prefix: '/svc', dst: '/#/io.l5d.k8s/default/http' },
    { prefix: '/host/world', dst: '1 * /srv/world-v2 & 9 * /srv/world-v1' },
  ],
}

t.test(
  'an object namerd wrote is read as its dtab, at its resourceVersion, and left unchanged',
  async (t) => {
    const { api, store } = await setup(t)
    const stored = api.put(structuredClone(NAMERD_OBJECT))
    const rv = (stored.metadata as { resourceVersion: string }).resourceVersion
    const got = (await store.get('internal'))!
    t.equal(
      Dtab.show(got.dtab),
      '/svc=>/#/io.l5d.k8s/default/http;/host/world=>/srv/world-v2 & 9.00*/srv/world-v1',
    )
    t.equal(new TextDecoder().decode(got.version), rv, 'version = the resourceVersion')
    t.equal(versionToETag(got.version), Buffer.from(rv).toString('base64'), "namerd's ETag")
    t.same(await store.list(), ['internal'])
    const w = store.watch('internal')
    t.equal((await w.next()).value?.type, 'dtab')
    await w.return?.()
    t.same(api.get({ ...REF, name: 'internal' }), stored, 'reading changed nothing')
  },
)

t.test("an object we write is in namerd's exact shape", async (t) => {
  const { api, store } = await setup(t)
  const v = await store.create('web', d('/svc => /#/io.l5d.k8s/default/http; /a => /b | /c'))
  const o = api.get({ ...REF, name: 'web' })!
  t.same(
    Object.keys(o).sort(),
    ['apiVersion', 'dentries', 'kind', 'metadata'],
    'no spec, nothing else',
  )
  t.equal(o.apiVersion, 'l5d.io/v1alpha1')
  t.equal(o.kind, 'DTab')
  t.match(o.metadata, { name: 'web', namespace: 'default' })
  t.same(o.dentries, [
    { prefix: '/svc', dst: '/#/io.l5d.k8s/default/http' },
    { prefix: '/a', dst: '/b | /c' },
  ])
  t.equal(new TextDecoder().decode(v), (o.metadata as { resourceVersion: string }).resourceVersion)
})

t.test(
  'a write keeps every other field of the object as read: labels, annotations, finalizers',
  async (t) => {
    const { api, store } = await setup(t)
    api.put({
      ...structuredClone(NAMERD_OBJECT),
      metadata: {
        name: 'internal',
        namespace: 'default',
        labels: { team: 'routing' },
        annotations: { 'example.com/owner': 'alice' },
        finalizers: ['example.com/keep'],
      },
    })
    const v1 = (await store.get('internal'))!.version
    const v2 = await store.update('internal', d('/svc => /b'), v1)
    await store.put('internal', d('/svc => /c'))
    const o = api.get({ ...REF, name: 'internal' })!
    t.match(o.metadata, {
      labels: { team: 'routing' },
      annotations: { 'example.com/owner': 'alice' },
      finalizers: ['example.com/keep'],
    })
    t.same(o.dentries, [{ prefix: '/svc', dst: '/c' }])
    t.notOk(versionsEqual(v1, v2))
  },
)

t.test(
  'writing the dentries an object already has still makes a new version (an annotation)',
  async (t) => {
    const { api, store } = await setup(t)
    const v1 = await store.put('web', d('/a => /b'))
    const v2 = await store.put('web', d('/a => /b'))
    const v3 = await store.update('web', d('/a => /b'), v2)
    t.notOk(versionsEqual(v1, v2))
    t.notOk(versionsEqual(v2, v3))
    const o = api.get({ ...REF, name: 'web' })!
    t.same(o.dentries, [{ prefix: '/a', dst: '/b' }], 'the dentries are as they were')
    t.match(o.metadata, { annotations: { 'switchyard.io/rewritten': /^\d{4}-/ } })
    t.equal((await store.history('web')).length, 3, 'each write is in history')
  },
)

t.test('objects in another Kubernetes namespace are not this store’s', async (t) => {
  const { api, store } = await setup(t)
  api.put({ ...structuredClone(NAMERD_OBJECT), metadata: { name: 'other', namespace: 'mesh' } })
  t.same(await store.list(), [])
  t.equal(await store.get('other'), null)
  const mesh = await openOn(api, { namespace: 'mesh' })
  t.teardown(() => mesh.close())
  t.same(await mesh.list(), ['other'])
  t.equal(mesh.k8sNamespace, 'mesh')
})

t.test(
  'a dtab namespace that does not exist is said to be no DTab in the Kubernetes namespace looked in',
  async (t) => {
    const { store } = await setup(t)
    const said =
      'namespace "internal" does not exist (no DTab internal in Kubernetes namespace default)'
    await t.rejects(store.delete('internal'), { name: 'NamespaceNotFoundError', message: said })
    const v = await store.create('internal', d('/a=>/b'))
    await store.delete('internal')
    await t.rejects(store.update('internal', d('/a=>/c'), v), { message: said })
    await t.rejects(store.delete('internal', { version: v }), { message: said })
    t.equal(store.notFound('internal').message, said)
    t.match(store.notFound('internal'), { code: 'namespace_not_found', status: 404 })
  },
)

t.test('a version that is no resourceVersion is a mismatch, and nothing is sent', async (t) => {
  const { api, store } = await setup(t)
  await store.create('web', d('/a => /b'))
  api.clearRequests()
  for (const v of [
    new Uint8Array([0xff, 0xfe]),
    new TextEncoder().encode('1 2'),
    new Uint8Array(0),
  ]) {
    await t.rejects(store.update('web', d('/a => /c'), v), { code: 'version_mismatch' })
  }
  t.notOk(
    api.requests.some((r) => r.method === 'PUT'),
    'no replace was attempted',
  )
})

t.test('a missing CRD: every call says to install it', async (t) => {
  const api = await startFake()
  t.teardown(() => api.close())
  api.uninstallCrd('dtabs.l5d.io')
  const store = await openOn(api)
  t.teardown(() => store.close())
  for (const call of [
    () => store.get('web'),
    () => store.list(),
    () => store.create('web', d('/a=>/b')),
  ]) {
    const err = await call().catch((e: unknown) => e)
    t.ok(err instanceof StoreUnavailableError)
    t.match(err, {
      status: 503,
      message:
        /^the CRD dtabs\.l5d\.io is not installed \(the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ does not serve l5d\.io\/v1alpha1 dtabs\): kubectl apply -k deploy\/crd$/,
    })
  }
  await new Promise((r) => setTimeout(r, 100))
  t.match(store.health(), { state: 'starting', problem: /CRD dtabs\.l5d\.io is not installed/ })
})

t.test(
  'RBAC: a refused verb says which, on what, in which namespace, and where to grant it',
  async (t) => {
    const { api, store } = await setup(t)
    api.forbid({ verb: 'create', resource: 'dtabs', group: 'l5d.io' })
    await t.rejects(store.create('web', d('/a => /b')), {
      code: 'store_unavailable',
      message:
        /^forbidden: cannot create dtabs\.l5d\.io "web" in namespace default \(RBAC\): grant it in deploy\/base\/rbac\.yaml/,
    })
    api.allowAll()
    api.forbid({ verb: 'get', resource: 'dtabhistories', group: 'switchyard.io' })
    await store.create('web', d('/a => /b'))
    await t.rejects(store.history('web'), {
      message: /cannot get dtabhistories\.switchyard\.io "web" in namespace default/,
    })
  },
)

t.test('a CRD schema too narrow to keep dentries is detected on write and on read', async (t) => {
  const api = await startFake()
  t.teardown(() => api.close())
  api.uninstallCrd('dtabs.l5d.io')
  api.installCrd({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'dtabs.l5d.io' },
    spec: {
      group: 'l5d.io',
      scope: 'Namespaced',
      names: { plural: 'dtabs', singular: 'dtab', kind: 'DTab' },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object' } },
        },
      ],
    },
  })
  const store = await openOn(api)
  t.teardown(() => store.close())
  await t.rejects(store.create('web', d('/a => /b')), {
    code: 'store_unavailable',
    message:
      /did not keep the dentries of "web" \(the installed CRD dtabs\.l5d\.io prunes them: its schema is too narrow.*kubectl apply -k deploy\/crd/,
  })
  const err = await store.get('web').catch((e: unknown) => e)
  t.ok(err instanceof CorruptEntryError, 'what namerd wrote reads as corrupt, saying why')
  t.match(err, {
    message:
      /has no dentries: .*prunes them \(its schema is too narrow\): kubectl apply -k deploy\/crd/,
  })
})

t.test(
  'history lives in DTabHistory objects beside the DTabs and survives a restart',
  async (t) => {
    const { api, store } = await setup(t)
    const v1 = await store.create('web', d('/a => /b'), { who: 'alice' })
    await store.update('web', d('/a => /c'), v1, { who: 'bob' })
    await store.delete('web', { who: 'carol' })
    const h = api.get({
      apiVersion: 'switchyard.io/v1alpha1',
      kind: 'DTabHistory',
      namespace: 'default',
      name: 'web',
    })!
    t.match(h.entries, [
      { op: 'delete', who: 'carol', dtab: null },
      { op: 'update', who: 'bob', dtab: '/a=>/c' },
      { op: 'create', who: 'alice', dtab: '/a=>/b' },
    ])
    await store.close()
    const again = await openOn(api)
    t.teardown(() => again.close())
    const entries = await again.history('web')
    t.same(
      entries.map((e) => [e.op, e.who]),
      [
        ['delete', 'carol'],
        ['update', 'bob'],
        ['create', 'alice'],
      ],
    )
    const del = entries[0]!
    for (const e of entries.slice(1))
      t.notOk(versionsEqual(del.version, e.version), 'a delete has a version of its own')
    await again.create('web', d('/a => /d'))
    await t.rejects(again.update('web', d('/a => /e'), del.version), VersionMismatchError)
  },
)

t.test('history is bounded by bytes too: the oldest entries go, the newest stays', async (t) => {
  const { api, store } = await setup(t, { historyMaxBytes: 20_000 })
  const big = (i: number) =>
    d(Array.from({ length: 40 }, (_, k) => `/p${k} => /dst-${i}-${'x'.repeat(60)}`).join(';'))
  for (let i = 0; i < 12; i++) await store.put('web', big(i))
  const entries = await store.history('web')
  t.ok(entries.length >= 2 && entries.length < 12, `${entries.length} entries kept`)
  t.equal(entries[0]!.dtab, Dtab.show(big(11)), 'the newest first')
  const o = api.get({
    apiVersion: 'switchyard.io/v1alpha1',
    kind: 'DTabHistory',
    namespace: 'default',
    name: 'web',
  })!
  t.ok(Buffer.byteLength(JSON.stringify(o.entries)) <= 20_000, 'within the budget')
})

t.test(
  'without the history CRD, writes still work and history() says what to install',
  async (t) => {
    const api = await startFake()
    t.teardown(() => api.close())
    api.uninstallCrd('dtabhistories.switchyard.io')
    const warnings: string[] = []
    const store = await openOn(api, {
      logger: { info() {}, warn: (_details, message) => warnings.push(message) },
    })
    t.teardown(() => store.close())
    await store.create('web', d('/a => /b'))
    t.equal(Dtab.show((await store.get('web'))!.dtab), '/a=>/b')
    t.match(warnings, [
      /degraded: dtab writes work, but history is not recorded/,
      /could not be recorded in history/,
    ])
    await t.rejects(store.history('web'), {
      message:
        /^the CRD dtabhistories\.switchyard\.io is not installed .*: kubectl apply -k deploy\/crd$/,
    })
  },
)

t.test('store specs: k8s and k8s:<url>', async (t) => {
  t.same(parseStoreSpec('k8s'), { kind: 'k8s', connection: { kind: 'default' } })
  t.same(parseStoreSpec('k8s:http://127.0.0.1:8001'), {
    kind: 'k8s',
    connection: { kind: 'url', url: 'http://127.0.0.1:8001' },
  })
  t.same(parseStoreSpec('k8s:https://api.example:6443/prefix/'), {
    kind: 'k8s',
    connection: { kind: 'url', url: 'https://api.example:6443/prefix' },
  })
  for (const [spec, problem] of [
    ['k8s:', /"" is not an http\(s\) URL/],
    ['k8s:localhost:8001', /is not an http\(s\) URL .* \(kubectl proxy\)/],
    ['k8s:http://u:p@h:1', /credentials/],
    ['k8s:http://h:1/?x=1', /query/],
  ] as const) {
    t.throws(() => parseStoreSpec(spec), { code: 'invalid_store_spec', message: problem }, spec)
  }
  t.ok(new StoreSpecError('x', 'y').message.includes("'k8s' or 'k8s:<url>'"))
})

t.test(
  'openStore opens the k8s store without calling the API; the first call fails naming the URL',
  async (t) => {
    const store = await openStore('k8s:http://127.0.0.1:9')
    t.teardown(() => store.close())
    t.equal(store.kind, 'k8s')
    await t.rejects(store.list(), {
      code: 'store_unavailable',
      message:
        /^the Kubernetes API at http:\/\/127\.0\.0\.1:9 is unreachable \(list dtabs\.l5d\.io in namespace default\)/,
    })
    await t.rejects(
      openStore({ kind: 'k8s', connection: { kind: 'kubeconfig', path: '/nonexistent/config' } }),
      {
        message: /cannot read the kubeconfig \/nonexistent\/config/,
      },
    )
  },
)

t.test(
  'a state written outside Switchyard (namerd, kubectl) enters history when first written over, so it can be restored',
  async (t) => {
    const { api, store } = await setup(t)
    const stored = api.put(structuredClone(NAMERD_OBJECT))
    const rv = (stored.metadata as { resourceVersion: string }).resourceVersion
    t.same(await store.history('internal'), [], 'nothing recorded by reading')
    const v2 = await store.put('internal', d('/svc => /new'), { who: 'alice' })
    const h = await store.history('internal')
    t.same(
      h.map((e) => [e.op, e.who, e.dtab]),
      [
        ['put', 'alice', '/svc=>/new'],
        [
          'put',
          null,
          '/svc=>/#/io.l5d.k8s/default/http;/host/world=>/srv/world-v2 & 9.00*/srv/world-v1',
        ],
      ],
    )
    t.equal(new TextDecoder().decode(h[1]!.version), rv, "at namerd's version")
    t.ok(versionsEqual(h[0]!.previous!, h[1]!.version), 'one chain')
    t.ok(versionsEqual(h[0]!.version, v2))
    await store.put('internal', d('/svc => /newer'))
    t.equal((await store.history('internal')).length, 3, 'recorded once')
  },
)
