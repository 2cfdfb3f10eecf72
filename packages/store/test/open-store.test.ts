import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openStore, parseStoreSpec, StoreSpecError } from '../src/index.js'

t.test('store specs: memory, file:<dir>, etcd:<url>[,<url>...][/<key prefix>]', async (t) => {
  t.same(parseStoreSpec('memory'), { kind: 'memory' })
  t.same(parseStoreSpec('file:/var/lib/switchyard'), { kind: 'file', dir: '/var/lib/switchyard' })
  t.same(parseStoreSpec('file:data/dtabs'), { kind: 'file', dir: 'data/dtabs' })
  t.same(parseStoreSpec('etcd:http://127.0.0.1:2379'), {
    kind: 'etcd',
    hosts: ['http://127.0.0.1:2379'],
    prefix: '/switchyard/dtabs/',
  })
  t.same(parseStoreSpec('etcd:http://10.0.0.1:2379,https://etcd.example:2379/namerd/dtabs'), {
    kind: 'etcd',
    hosts: ['http://10.0.0.1:2379', 'https://etcd.example:2379'],
    prefix: '/namerd/dtabs',
  })
  t.same(parseStoreSpec('etcd:http://127.0.0.1:2379/'), {
    kind: 'etcd',
    hosts: ['http://127.0.0.1:2379'],
    prefix: '/switchyard/dtabs/',
  })
})

t.test(
  'a spec that cannot be understood says what was wrong and which forms there are',
  async (t) => {
    const cases: [string, RegExp][] = [
      ['', /unknown kind of store/],
      ['zk:127.0.0.1:2181', /unknown kind of store/],
      ['file:', /the directory is missing/],
      ['etcd:', /"" must start with http/],
      ['etcd:http://', /"http:\/\/" is not a URL/],
      ['etcd:127.0.0.1:2379', /must start with http:\/\/ or https:\/\//],
      ['etcd:ftp://x:1', /must start with http/],
      ['etcd:http://a:1/p,http://b:2', /only the last URL may carry the key prefix/],
      ['etcd:http://u:p@a:1', /credentials/],
    ]
    for (const [spec, problem] of cases) {
      const err = (() => {
        try {
          parseStoreSpec(spec)
        } catch (e) {
          return e
        }
      })()
      t.ok(err instanceof StoreSpecError, JSON.stringify(spec))
      t.match(err, { code: 'invalid_store_spec', message: problem })
      t.match(
        (err as Error).message,
        /expected 'memory', 'file:<dir>', 'etcd:<url>\[,<url>...\]\[\/<key prefix>\]', 'k8s' or 'k8s:<url>'/,
      )
    }
  },
)

t.test('openStore opens the backend a spec names', async (t) => {
  const memory = await openStore('memory')
  t.equal(memory.kind, 'memory')
  await memory.close()
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-open-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = await openStore(`file:${dir}`, { historyLimit: 3 })
  t.equal(file.kind, 'file')
  await file.close()
  const etcd = await openStore('etcd:http://127.0.0.1:1')
  t.equal(etcd.kind, 'etcd', 'opening does not connect; the first call does')
  await t.rejects(etcd.list(), {
    code: 'store_unavailable',
    message: /etcd at http:\/\/127\.0\.0\.1:1/,
  })
  await etcd.close()
})
