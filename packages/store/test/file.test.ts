import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Dtab } from '@switchyard/dtab'
import t from 'tap'
import { Layout, linkRecord } from '../src/file-layout.js'
import { openFileStore, versionToETag } from '../src/index.js'
import { finished, spawnScript } from './child.js'
import { Reader, storeContract } from './contract.js'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'switchyard-file-store-'))
}

/** The record file names of a namespace, ascending. */
async function records(dir: string, ns: string): Promise<string[]> {
  return (await readdir(join(dir, 'dtabs', ns))).filter((n) => n.endsWith('.json')).sort()
}

storeContract('file', async (options) => {
  const dir = await tempDir()
  return {
    store: await openFileStore(dir, options),
    spec: `file:${dir}`,
    reopen: () => openFileStore(dir, options),
    exitsWithoutClose: true,
    async corrupt(ns) {
      // A hand edit: a new newest record that is not JSON.
      const last = (await records(dir, ns)).at(-1)!
      const next = String(Number(last.slice(0, 20)) + 1).padStart(20, '0')
      await writeFile(
        join(dir, 'dtabs', ns, `${next}.json`),
        '{"format": "switchyard.dtab/v1", "dt',
      )
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true })
    },
  }
})

t.test(
  'file: versions count from AAAAAAAAAAE=, one immutable record file per change, holding Dtab.show text',
  async (t) => {
    const dir = await tempDir()
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const store = await openFileStore(dir)
    t.teardown(() => store.close())
    const v1 = await store.create(
      'web',
      Dtab.read('/svc => /host; /host/world => 1 * /v2 & 9 * /v1'),
      { who: 'alice' },
    )
    t.equal(versionToETag(v1), 'AAAAAAAAAAE=')
    const v2 = await store.update('web', Dtab.read('/svc => /host'), v1)
    t.equal(versionToETag(v2), 'AAAAAAAAAAI=')
    t.same(await records(dir, 'web'), ['00000000000000000001.json', '00000000000000000002.json'])
    const first = JSON.parse(
      await readFile(join(dir, 'dtabs', 'web', '00000000000000000001.json'), 'utf8'),
    )
    t.match(first, {
      format: 'switchyard.dtab/v1',
      namespace: 'web',
      seq: 1,
      op: 'create',
      previous: null,
      who: 'alice',
      dtab: '/svc=>/host;/host/world=>/v2 & 9.00*/v1',
    })
    t.same(await readdir(join(dir, 'tmp')), [], 'no temp file is left behind')
  },
)

t.test('file: records are pruned on disk to the history limit, the newest kept', async (t) => {
  const dir = await tempDir()
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = await openFileStore(dir, { historyLimit: 3 })
  t.teardown(() => store.close())
  for (let i = 1; i <= 7; i++) await store.put('web', Dtab.read(`/a => /v${i}`))
  t.same(await records(dir, 'web'), [
    '00000000000000000005.json',
    '00000000000000000006.json',
    '00000000000000000007.json',
  ])
  t.same(
    (await readdir(join(dir, 'dtabs', 'web'))).filter((n) => !n.endsWith('.json')),
    ['floor-00000000000000000005'],
    'a floor marker burns the pruned numbers',
  )
})

t.test('file: a writer whose head was pruned away cannot link below the floor', async (t) => {
  const dir = await tempDir()
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const store = await openFileStore(dir, { historyLimit: 2 })
  t.teardown(() => store.close())
  for (let i = 1; i <= 6; i++) await store.put('web', Dtab.read(`/a => /v${i}`))
  // A stale writer that read version 2 would link record 3, long pruned.
  const stale = {
    format: 'switchyard.dtab/v1' as const,
    namespace: 'web',
    seq: 3,
    op: 'update' as const,
    previous: 2,
    time: new Date().toISOString(),
    who: 'stale',
    dtab: '/a=>/stale',
  }
  t.equal(await linkRecord(new Layout(dir), stale), false, 'the link is taken back')
  t.same(await records(dir, 'web'), ['00000000000000000005.json', '00000000000000000006.json'])
  t.equal(Dtab.show((await store.get('web'))!.dtab), '/a=>/v6')
})

t.test(
  'file: a record whose dtab text does not parse is a corrupt entry naming the file',
  async (t) => {
    const dir = await tempDir()
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const store = await openFileStore(dir)
    t.teardown(() => store.close())
    await store.create('web', Dtab.read('/a => /b'))
    const path = join(dir, 'dtabs', 'web', '00000000000000000002.json')
    const record = {
      format: 'switchyard.dtab/v1',
      namespace: 'web',
      seq: 2,
      op: 'put',
      previous: 1,
      time: new Date().toISOString(),
      who: null,
      dtab: '/a =>',
    }
    await writeFile(path, JSON.stringify(record))
    await t.rejects(store.get('web'), {
      code: 'corrupt_entry',
      message: new RegExp(
        `${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read: not a dtab`,
      ),
    })
  },
)

t.test('file: temp files of writers that died are removed when a store opens', async (t) => {
  const dir = await tempDir()
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await (await openFileStore(dir)).close()
  await writeFile(join(dir, 'tmp', '999999999-dead.json'), '{"half": ')
  await writeFile(join(dir, 'tmp', `${process.pid}-mine.json`), '{}')
  const store = await openFileStore(dir)
  t.teardown(() => store.close())
  t.same(
    await readdir(join(dir, 'tmp')),
    [`${process.pid}-mine.json`],
    'a live writer’s file is kept',
  )
})

t.test(
  "file: another process's writes reach this process's watch, every one, in order",
  async (t) => {
    const dir = await tempDir()
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    // A long poll interval: the changes must come through fs.watch.
    const store = await openFileStore(dir, { pollIntervalMs: 60_000 })
    t.teardown(() => store.close())
    const w = new Reader(store.watch('web'))
    const l = new Reader(store.watchList())
    t.teardown(async () => {
      await w.close()
      await l.close()
    })
    t.equal((await w.next()).type, 'absent')
    t.same((await l.next()).namespaces, [])
    const child = finished(spawnScript('./file-child.ts', ['put', dir, 'web', '20']))
    const seen: string[] = []
    for (let i = 1; i <= 20; i++) {
      const e = await w.next()
      seen.push(e.type === 'dtab' ? Dtab.show(e.dtab) : e.type)
    }
    t.same(
      seen,
      Array.from({ length: 20 }, (_, i) => `/n=>/${i + 1}`),
    )
    t.same((await l.next()).added, ['web'])
    const { code, output } = await child
    t.equal(code, 0, output)
  },
)

t.test(
  'file: compare-and-swap holds across processes: three writers append, none is lost',
  async (t) => {
    const dir = await tempDir()
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const store = await openFileStore(dir)
    t.teardown(() => store.close())
    await store.create('shared', Dtab.empty)
    const children = ['a', 'b', 'c'].map((id) =>
      finished(spawnScript('./file-child.ts', ['append', dir, 'shared', '15', id]), 40_000),
    )
    for (const { code, output } of await Promise.all(children)) t.equal(code, 0, output)
    const final = (await store.get('shared'))!
    t.equal(final.dtab.length, 45, 'every append is there')
    t.equal(new Set(Dtab.show(final.dtab).split(';')).size, 45, 'each once')
  },
)
