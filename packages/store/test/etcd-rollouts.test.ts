// The rollout contract on the etcd store, against a real etcd (the harness of etcd.test.ts).
import { randomUUID } from 'node:crypto'
import { Etcd3 } from 'etcd3'
import t from 'tap'
import { openEtcdStore } from '../src/index.js'
import { EtcdServer, etcdMissing } from './etcd-server.js'
import { rolloutContract } from './rollout-contract.js'

const missing = etcdMissing()
if (missing) {
  // CI installs etcd-server, so there a missing etcd is a failure; elsewhere the file is skipped.
  if (process.env.CI) throw new Error(missing)
  t.plan(0, missing)
  process.exit(0)
}

const server = await EtcdServer.start()
t.teardown(() => server.destroy())
const raw = new Etcd3({ hosts: [server.url] })
t.teardown(() => raw.close())

rolloutContract('etcd', async (options) => {
  const root = `/test-${randomUUID()}/`
  const prefix = `${root}dtabs/`
  const open = () => openEtcdStore({ hosts: [server.url], prefix, ...options })
  return {
    store: await open(),
    spec: `etcd:${server.url}${prefix}`,
    reopen: open,
    exitsWithoutClose: false,
    async corruptRollout(ns, id) {
      await raw.put(`${root}dtabs.rollouts/${ns}/${id}`).value('{"id": "not a rollout"')
    },
    async cleanup() {
      await raw.delete().prefix(root)
    },
  }
})
