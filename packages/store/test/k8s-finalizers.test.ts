// A DTab with finalizers is not deleted by a DELETE: the API server marks it (deletionTimestamp)
// and keeps it until they are removed (the fake does as kube-apiserver). The store takes a DTab
// being deleted for deleted in every read and watch, and refuses to write over it until it is
// gone, saying what holds it.
import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import { type DtabEvent, StoreUnavailableError } from '../src/index.js'
import { Reader } from './contract.js'
import { openOn, startFake } from './k8s-harness.js'

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]
const REF = { apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', namespace: 'default' } as const
const KEEP = 'example.com/keep'

async function setup(t: Tap) {
  const api = await startFake()
  t.teardown(() => api.close())
  const store = await openOn(api)
  t.teardown(() => store.close())
  // A DTab someone (a GitOps tool, a backup operator) put a finalizer on.
  api.put({
    ...REF,
    metadata: { name: 'internal', namespace: 'default', finalizers: [KEEP] },
    dentries: [{ prefix: '/svc', dst: '/#/io.l5d.k8s/default/http' }],
  })
  return { api, store }
}

async function next(reader: Reader<DtabEvent>): Promise<DtabEvent> {
  return reader.next()
}

t.test(
  'deleting a DTab a finalizer holds: deleted for reads and watches at once, though the API server keeps it',
  async (t) => {
    const { api, store } = await setup(t)
    const watch = new Reader(store.watch('internal'))
    t.teardown(() => watch.iterator.return?.())
    t.equal((await next(watch)).type, 'dtab')
    const list = new Reader(store.watchList())
    t.teardown(() => list.iterator.return?.())
    t.same((await list.next()).namespaces, ['internal'])

    await store.delete('internal', { who: 'ops' })
    const kept = api.get({ ...REF, name: 'internal' })
    t.match(kept?.metadata, { deletionTimestamp: String, finalizers: [KEEP] }, 'the object stays')
    t.equal(await store.get('internal'), null)
    t.same(await store.list(), [])
    t.equal((await next(watch)).type, 'deleted')
    t.same((await list.next()).removed, ['internal'])
    t.match(await store.history('internal'), [{ op: 'delete', who: 'ops' }])
  },
)

t.test(
  'while it is being deleted: no create or put (saying what holds it), no update or delete',
  async (t) => {
    const { api, store } = await setup(t)
    const version = (await store.get('internal'))!.version
    await store.delete('internal')
    const held =
      /cannot write namespace "internal": DTab internal in Kubernetes namespace default is being deleted: finalizers "example\.com\/keep" hold it; .*kubectl patch dtab internal -n default --type merge -p '\{"metadata":\{"finalizers":null\}\}'/
    await t.rejects(store.create('internal', Dtab.read('/a=>/b')), {
      name: StoreUnavailableError.name,
      message: held,
    })
    await t.rejects(store.put('internal', Dtab.read('/a=>/b')), { message: held })
    const gone =
      'namespace "internal" does not exist (DTab internal in Kubernetes namespace default is being deleted: finalizers "example.com/keep" hold it)'
    await t.rejects(store.update('internal', Dtab.read('/a=>/b'), version), {
      name: 'NamespaceNotFoundError',
      message: gone,
    })
    await t.rejects(store.delete('internal'), { message: gone })
    t.match(
      api.get({ ...REF, name: 'internal' })?.dentries,
      [{ dst: '/#/io.l5d.k8s/default/http' }],
      'nothing was written over it',
    )

    // Whatever held it lets go: the API server deletes it, and the name is free.
    const object = api.get({ ...REF, name: 'internal' })!
    api.put({ ...object, metadata: { ...(object.metadata as object), finalizers: [] } })
    t.equal(api.get({ ...REF, name: 'internal' }), null)
    await store.create('internal', Dtab.read('/a=>/b'))
    t.equal(Dtab.show((await store.get('internal'))!.dtab), '/a=>/b')
  },
)

t.test('a DTab marked for deletion by someone else is deleted for a watch', async (t) => {
  const { api, store } = await setup(t)
  const watch = new Reader(store.watch('internal'))
  t.teardown(() => watch.iterator.return?.())
  t.equal((await next(watch)).type, 'dtab')
  // kubectl delete dtab internal, through the API as anyone would.
  const res = await fetch(`${api.url}/apis/l5d.io/v1alpha1/namespaces/default/dtabs/internal`, {
    method: 'DELETE',
  })
  t.equal(res.status, 200)
  t.equal((await next(watch)).type, 'deleted')
  t.equal(await store.get('internal'), null)
})
