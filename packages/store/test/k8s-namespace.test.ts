// A Kubernetes namespace that does not exist (a typo in --k8s-namespace): a real API server
// lists and watches it as empty, reads a missing object as 404 NotFound, and refuses a create
// in it with the namespace's own 404 (its NamespaceLifecycle admission), as the fake does when
// told which namespaces exist.
import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import { StoreUnavailableError } from '../src/index.js'
import { openOn, startFake } from './k8s-harness.js'

t.test(
  'writing into a Kubernetes namespace that does not exist fails at once, saying so',
  async (t) => {
    const api = await startFake({ namespaces: ['default'] })
    t.teardown(() => api.close())
    const store = await openOn(api, { namespace: 'nosuch' })
    t.teardown(() => store.close())
    t.same(await store.list(), [], 'reads see an empty namespace')
    const said = /the Kubernetes namespace nosuch does not exist.*kubectl create namespace nosuch/
    await t.rejects(store.put('internal', Dtab.read('/a=>/b')), {
      name: StoreUnavailableError.name,
      message: said,
    })
    const posts = () => api.requests.filter((r) => r.method === 'POST').length
    t.equal(posts(), 1, 'one create, not a retry loop taking it for a lost race')
    await t.rejects(store.create('internal', Dtab.read('/a=>/b')), { message: said })
    api.addNamespace('nosuch')
    await store.create('internal', Dtab.read('/a=>/b'))
    t.same(await store.list(), ['internal'], 'once the namespace exists')
  },
)
