import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { bind, Dtab, interpreterLookup, NameTree, Path } from '@switchyard/dtab'
import t from 'tap'
import { Addr } from '../src/addr.js'
import { FsNamer, type FsNamerOptions } from '../src/fs-namer.js'
import { eventually, type Teardown, tempDir } from './helpers.js'

async function open(
  t: Teardown,
  files: Record<string, string> = {},
  options: Partial<FsNamerOptions> = {},
): Promise<{ dir: string; namer: FsNamer }> {
  const dir = await tempDir(t)
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  const namer = await FsNamer.open({ rootDir: dir, ...options })
  t.teardown(() => namer.close())
  return { dir, namer }
}

const p = Path.read
const addrOf = (namer: FsNamer, name: string): Addr => namer.addr(Path.utf8(name)).sample()
const shown = (namer: FsNamer, name: string): string => Addr.show(addrOf(namer, name))
const leafId = (tree: NameTree<unknown>): string | undefined =>
  tree.type === 'leaf' ? Path.show((tree.value as { id: Path }).id) : undefined

/** Writes `text` to a temporary file and renames it over `name`, as editors and tools do. */
async function replace(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.${process.hrtime.bigint()}.tmp`)
  await writeFile(tmp, text)
  await rename(tmp, join(dir, name))
}

t.test(
  'a file in rootDir binds /<file>/rest to /#/io.l5d.fs/<file> with residual /rest',
  async (t) => {
    const { namer } = await open(t, { world: '127.0.0.1 8080\n' })
    t.same(
      namer.lookup(p('/world/api/v1')),
      NameTree.leaf({ type: 'bound', id: p('/#/io.l5d.fs/world'), residual: p('/api/v1') }),
    )
    t.same(
      namer.lookup(p('/world')),
      NameTree.leaf({ type: 'bound', id: p('/#/io.l5d.fs/world'), residual: p('/') }),
    )
  },
)

t.test('a name with no file is Neg, so the interpreter moves on', async (t) => {
  const { namer } = await open(t, { world: '127.0.0.1 8080\n' })
  t.equal(namer.lookup(p('/nope')), NameTree.Neg)
  t.equal(namer.lookup(p('/')), NameTree.Neg)
  t.same(addrOf(namer, 'nope'), Addr.neg)
})

t.test("a file's endpoints are its Addr, weights in the metadata", async (t) => {
  const { namer } = await open(t, { world: '# v1\n127.0.0.1 8080\n127.0.0.1 8081 * 0.23\n' })
  t.equal(
    Addr.toJson(addrOf(namer, 'world')),
    '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8080,"meta":{}},' +
      '{"ip":"127.0.0.1","port":8081,"meta":{"endpoint_addr_weight":0.23}}],"meta":{}}',
  )
})

t.test('an empty file is bound with no endpoints', async (t) => {
  const { namer } = await open(t, { world: '' })
  t.same(addrOf(namer, 'world'), Addr.bound([]))
  t.equal(leafId(namer.lookup(p('/world'))), '/#/io.l5d.fs/world')
})

t.test('a bad line fails that name only, with the file, line and problem', async (t) => {
  const { namer } = await open(t, {
    world: '127.0.0.1 8080\n127.0.0.1:8081\n',
    other: '10.0.0.1 80\n',
  })
  const a = addrOf(namer, 'world')
  t.equal(a.type, 'failed')
  t.match(
    a.type === 'failed' ? a.cause : '',
    /^world:2: expected "<host> <port>".*"127\.0\.0\.1:8081"$/,
  )
  t.equal(leafId(namer.lookup(p('/world'))), '/#/io.l5d.fs/world', 'the name still binds')
  t.equal(shown(namer, 'other'), 'Bound(10.0.0.1:80)')
})

t.test('hostnames in a file are resolved; one that does not resolve fails the name', async (t) => {
  const { namer } = await open(
    t,
    { local: 'localhost 8080\n', bad: '10.0.0.1 80\nnosuch.invalid 80\n' },
    {
      lookupHost: async (host) => {
        if (host === 'localhost') return ['127.0.0.1']
        throw new Error(`getaddrinfo ENOTFOUND ${host}`)
      },
    },
  )
  t.equal(shown(namer, 'local'), 'Bound(127.0.0.1:8080)')
  t.same(
    addrOf(namer, 'bad'),
    Addr.failed(
      'bad:2: cannot resolve host "nosuch.invalid": getaddrinfo ENOTFOUND nosuch.invalid',
    ),
  )
})

t.test('a file over 500 KiB is failed, not read', async (t) => {
  const { namer } = await open(t, { huge: '#'.repeat(600 * 1024) })
  t.match(addrOf(namer, 'huge'), {
    type: 'failed',
    cause: /^huge: file is 614400 bytes; the limit is 512000$/,
  })
})

t.test('adding a file makes the name bind and its Addr bound within a second', async (t) => {
  const { dir, namer } = await open(t)
  const seen: string[] = []
  const off = namer.addr(Path.utf8('world')).subscribe((a) => seen.push(Addr.show(a)))
  t.teardown(off)
  await writeFile(join(dir, 'world'), '10.0.0.1 80\n')
  await eventually('lookup binds', () => namer.lookup(p('/world')).type === 'leaf')
  await eventually('watcher hears the addr', () => seen.length > 0)
  t.same(seen, ['Bound(10.0.0.1:80)'])
})

t.test('removing a file makes the name Neg again', async (t) => {
  const { dir, namer } = await open(t, { world: '10.0.0.1 80\n' })
  const seen: string[] = []
  t.teardown(namer.addr(Path.utf8('world')).subscribe((a) => seen.push(Addr.show(a))))
  await rm(join(dir, 'world'))
  await eventually('lookup is Neg', () => namer.lookup(p('/world')).type === 'neg')
  await eventually('watcher hears Neg', () => seen.includes('Neg'))
})

t.test('editing a file in place updates its Addr', async (t) => {
  const { dir, namer } = await open(t, { world: '10.0.0.1 80\n' })
  await writeFile(join(dir, 'world'), '10.0.0.2 80\n')
  await eventually('new endpoint', () => shown(namer, 'world') === 'Bound(10.0.0.2:80)')
  await writeFile(join(dir, 'world'), '10.0.0.2 80\n10.0.0.3 80 # canary\n')
  await eventually(
    'two endpoints',
    () => shown(namer, 'world') === 'Bound(10.0.0.2:80, 10.0.0.3:80)',
  )
})

t.test('an editor that writes a new file and renames it over the old one is seen', async (t) => {
  const { dir, namer } = await open(t, { world: '10.0.0.1 80\n' })
  const seen: string[] = []
  t.teardown(namer.addr(Path.utf8('world')).subscribe((a) => seen.push(Addr.show(a))))
  // Same size every time, and quicker than any rescan, so only the events tell them apart.
  for (const n of [2, 3, 4]) {
    await replace(dir, 'world', `10.0.0.${n} 80\n`)
    await eventually(`sees 10.0.0.${n}`, () => shown(namer, 'world') === `Bound(10.0.0.${n}:80)`)
  }
  t.same(seen, ['Bound(10.0.0.2:80)', 'Bound(10.0.0.3:80)', 'Bound(10.0.0.4:80)'])
  t.equal(namer.lookup(p('/world')).type, 'leaf', 'never lost in between')
})

t.test('fixing a bad file brings the name back to bound', async (t) => {
  const { dir, namer } = await open(t, { world: '10.0.0.1 eighty\n' })
  t.equal(addrOf(namer, 'world').type, 'failed')
  await replace(dir, 'world', '10.0.0.1 80\n')
  await eventually('bound again', () => shown(namer, 'world') === 'Bound(10.0.0.1:80)')
})

t.test('without fs.watch the periodic rescan still finds changes', async (t) => {
  const { dir, namer } = await open(
    t,
    { world: '10.0.0.1 80\n' },
    { fsWatch: false, rescanIntervalMs: 50 },
  )
  await writeFile(join(dir, 'new'), '10.0.0.9 80\n')
  await replace(dir, 'world', '10.0.0.2 8080\n')
  await eventually('new file', () => namer.lookup(p('/new')).type === 'leaf')
  await eventually('replaced file', () => shown(namer, 'world') === 'Bound(10.0.0.2:8080)')
})

t.test('a directory deleted and made again is watched again', async (t) => {
  const { dir, namer } = await open(t, { world: '10.0.0.1 80\n' }, { rescanIntervalMs: 100 })
  await rm(dir, { recursive: true })
  await eventually('names gone', () => namer.lookup(p('/world')).type === 'neg')
  await mkdir(dir)
  await writeFile(join(dir, 'world'), '10.0.0.2 80\n')
  await eventually('back', () => shown(namer, 'world') === 'Bound(10.0.0.2:80)')
  await writeFile(join(dir, 'world'), '10.0.0.3 80\n')
  await eventually('edits seen again', () => shown(namer, 'world') === 'Bound(10.0.0.3:80)', 500)
})

t.test('a Kubernetes ConfigMap volume (symlinks swapped through ..data) is followed', async (t) => {
  const dir = await tempDir(t)
  const version = async (v: string, text: string) => {
    await mkdir(join(dir, v))
    await writeFile(join(dir, v, 'world'), text)
    await symlink(v, join(dir, '..data_tmp'))
    await rename(join(dir, '..data_tmp'), join(dir, '..data'))
  }
  await version('..2024_01', '10.0.0.1 80\n')
  await symlink('..data/world', join(dir, 'world'))
  const namer = await FsNamer.open({ rootDir: dir })
  t.teardown(() => namer.close())
  t.equal(shown(namer, 'world'), 'Bound(10.0.0.1:80)')
  t.same(
    namer.names().map(Path.show),
    ['/#/io.l5d.fs/world'],
    'the ..data directories are not names',
  )
  await version('..2024_02', '10.0.0.2 80\n')
  await eventually('new version', () => shown(namer, 'world') === 'Bound(10.0.0.2:80)')
})

t.test('names() lists every file as a bound id; a custom prefix mounts elsewhere', async (t) => {
  const { namer } = await open(t, { b: '', a: '' }, { prefix: '/disco' })
  t.same(namer.prefix, p('/#/disco'))
  t.same(namer.names().map(Path.show), ['/#/disco/a', '/#/disco/b'])
  t.equal(leafId(namer.lookup(p('/a'))), '/#/disco/a')
})

t.test('the namer mounted at /#/io.l5d.fs binds names through a dtab', async (t) => {
  const { namer } = await open(t, { 'world-v1': '10.0.0.1 80\n' })
  const namers = [{ prefix: namer.prefix, namer }]
  const lookup = interpreterLookup(Dtab.read('/svc => /#/io.l5d.fs'), namers)
  t.equal(
    NameTree.showWith(bind(lookup, NameTree.read('/svc/world-v1')), (b) => Path.show(b.id)),
    '/#/io.l5d.fs/world-v1',
  )
  t.equal(bind(lookup, NameTree.read('/svc/world-v2')).type, 'neg')
  const fallback = interpreterLookup(
    Dtab.read('/svc => /#/io.l5d.fs | /$/inet/127.0.0.1/9'),
    namers,
  )
  t.equal(
    NameTree.showWith(bind(fallback, NameTree.read('/svc/world-v2')), (b) => Path.show(b.id)),
    '/$/inet/127.0.0.1/9',
  )
})

t.test('open refuses a rootDir that is missing or not a directory', async (t) => {
  const dir = await tempDir(t)
  await t.rejects(FsNamer.open({ rootDir: join(dir, 'missing') }), {
    name: 'FsNamerError',
    message: /rootDir .*missing: .*ENOENT/,
  })
  await writeFile(join(dir, 'file'), '')
  await t.rejects(FsNamer.open({ rootDir: join(dir, 'file') }), { message: /not a directory/ })
})

t.test('after close, nothing changes any more', async (t) => {
  const { dir, namer } = await open(t, { world: '10.0.0.1 80\n' }, { rescanIntervalMs: 20 })
  await namer.close()
  await writeFile(join(dir, 'world'), '10.0.0.2 80\n')
  await writeFile(join(dir, 'new'), '')
  await sleep(150)
  t.equal(shown(namer, 'world'), 'Bound(10.0.0.1:80)')
  t.equal(namer.lookup(p('/new')).type, 'neg')
  await namer.close()
})

t.test('watchers that stop watching leave nothing behind', async (t) => {
  const { namer } = await open(t, { world: '10.0.0.1 80\n' })
  const v = namer.addr(Path.utf8('world'))
  const it = v.changes()
  t.equal((await it.next()).value?.type, 'bound')
  await it.return?.()
  t.equal(v.observers, 0)
})
