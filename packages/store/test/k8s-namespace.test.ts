// A Kubernetes namespace that does not exist (a typo in --k8s-namespace): a real API server
// lists and watches it as empty, reads a missing object as 404 NotFound, and refuses a create
// in it with the namespace's own 404 (its NamespaceLifecycle admission). The fake serves every
// namespace, so a real HTTP server on 127.0.0.1 answers as kube-apiserver does.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import { openK8sStore, StoreUnavailableError } from '../src/index.js'

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

const NOT_FOUND =
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"dtabs.l5d.io \\"internal\\" not found","reason":"NotFound","details":{"name":"internal","group":"l5d.io","kind":"dtabs"},"code":404}'
const NO_NAMESPACE =
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \\"nosuch\\" not found","reason":"NotFound","details":{"name":"nosuch","kind":"namespaces"},"code":404}'

async function apiServer(t: Tap): Promise<{ url: string; posts: () => number }> {
  let posts = 0
  const s = createServer((req, res) => {
    req.resume()
    const url = new URL(req.url ?? '/', 'http://x')
    res.setHeader('content-type', 'application/json')
    if (req.method === 'POST') {
      posts++
      res.writeHead(404).end(NO_NAMESPACE)
    } else if (url.searchParams.has('watch')) {
      res.writeHead(200).write('') // an open, quiet watch
    } else if (url.pathname.endsWith('/dtabs')) {
      res.writeHead(200).end('{"kind":"DTabList","metadata":{"resourceVersion":"100"},"items":[]}')
    } else {
      res.writeHead(404).end(NOT_FOUND)
    }
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections()
        s.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, posts: () => posts }
}

t.test(
  'writing into a Kubernetes namespace that does not exist fails at once, saying so',
  async (t) => {
    const api = await apiServer(t)
    const store = await openK8sStore({
      connection: { kind: 'url', url: api.url },
      namespace: 'nosuch',
    })
    t.teardown(() => store.close())
    t.same(await store.list(), [], 'reads see an empty namespace')
    const said = /the Kubernetes namespace nosuch does not exist.*kubectl create namespace nosuch/
    await t.rejects(store.put('internal', Dtab.read('/a=>/b')), {
      name: StoreUnavailableError.name,
      message: said,
    })
    t.equal(api.posts(), 1, 'one create, not a retry loop taking it for a lost race')
    await t.rejects(store.create('internal', Dtab.read('/a=>/b')), { message: said })
  },
)
