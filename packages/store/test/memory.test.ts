import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import { openMemoryStore, versionToETag } from '../src/index.js'
import { storeContract } from './contract.js'

storeContract('memory', async (options) => ({
  store: openMemoryStore(options),
  spec: 'memory',
  exitsWithoutClose: true,
  async cleanup() {},
}))

t.test("memory: versions are namerd inMemory's 8-byte counter, from AAAAAAAAAAE=", async (t) => {
  const store = openMemoryStore()
  t.teardown(() => store.close())
  const v1 = await store.create('web', Dtab.read('/a => /b'))
  t.equal(versionToETag(v1), 'AAAAAAAAAAE=')
  const v2 = await store.update('web', Dtab.read('/a => /c'), v1)
  t.equal(versionToETag(v2), 'AAAAAAAAAAI=')
  t.equal(versionToETag(await store.put('web', Dtab.empty)), 'AAAAAAAAAAM=')
  t.equal(
    versionToETag(await store.put('api', Dtab.empty)),
    'AAAAAAAAAAE=',
    'each namespace counts on its own',
  )
})

t.test(
  'memory: starts with configured namespaces at version 1, as namerd inMemory does',
  async (t) => {
    const store = openMemoryStore({
      namespaces: { web: '/svc => /host', api: Dtab.read('/a => /b') },
    })
    t.teardown(() => store.close())
    t.same(await store.list(), ['api', 'web'])
    const web = await store.get('web')
    t.equal(Dtab.show(web!.dtab), '/svc=>/host')
    t.equal(versionToETag(web!.version), 'AAAAAAAAAAE=')
    t.throws(() => openMemoryStore({ namespaces: { 'a/b': '' } }), { code: 'invalid_namespace' })
  },
)
