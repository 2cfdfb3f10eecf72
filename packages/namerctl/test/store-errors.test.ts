// namerd's 503s for a store failure, as namerctl shows them: namerd sends `store_unavailable`
// with the store's message for every one, so namerctl's "retry in a moment" must follow only
// those that waiting can fix (the API server away), not an RBAC refusal or a missing CRD,
// whose message already says what to do. namerd in this process on the k8s store, against the
// fake Kubernetes API server; namerctl as a real process.
import { fileURLToPath } from 'node:url'
import { FakeKubeApi } from '@switchyard/kube-fake'
import { openK8sStore } from '@switchyard/store'
import t from 'tap'
import { startServer } from '../../namerd/test/helpers.js'
import { runCli } from './helpers.js'

const CRD_DIR = fileURLToPath(new URL('../../../deploy/crd', import.meta.url))
const RETRY_HINT = 'retry in a moment'

async function setup(t: { teardown(fn: () => unknown): void }) {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  await api.installCrdsFrom(CRD_DIR)
  const store = await openK8sStore({
    connection: { kind: 'url', url: api.url },
    namespace: 'default',
  })
  const namerd = await startServer(t, { store })
  const create = (ns: string) =>
    runCli(['--base-url', namerd.base, 'dtab', 'create', ns, '-'], { stdin: '/a => /b' })
  return { api, create }
}

t.test('an RBAC refusal: the grant to make, and no "retry in a moment"', async (t) => {
  const { api, create } = await setup(t)
  api.forbid({ verb: 'create', resource: 'dtabs', group: 'l5d.io' })
  const r = await create('internal')
  t.equal(r.code, 1)
  t.match(r.stderr, /^Error: unexpected response: 503 Service Unavailable\n {2}namerd: forbidden: /)
  t.match(r.stderr, 'grant it in deploy/base/rbac.yaml')
  t.notMatch(r.stderr, RETRY_HINT)
})

t.test('a missing CRD: the kubectl to run, and no "retry in a moment"', async (t) => {
  const { api, create } = await setup(t)
  api.uninstallCrd('dtabs.l5d.io')
  const r = await create('internal')
  t.equal(r.code, 1)
  t.match(r.stderr, /namerd: the CRD dtabs\.l5d\.io is not installed .*kubectl apply/)
  t.notMatch(r.stderr, RETRY_HINT)
})

t.test('the Kubernetes API away: waiting can fix it, so the hint stays', async (t) => {
  const { api, create } = await setup(t)
  await api.down()
  const r = await create('internal')
  t.equal(r.code, 1)
  t.match(r.stderr, /namerd: the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ is unreachable/)
  t.match(r.stderr, `namerd is busy or its store is unavailable; ${RETRY_HINT}`)
})
