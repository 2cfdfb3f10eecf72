import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bind, Dtab, interpreterLookup, NameTree, Path } from '@switchyard/dtab'
import t from 'tap'
import { Addr } from '../src/addr.js'
import { mountNamers, NamersConfigError, parseNamersConfig } from '../src/config.js'
import { createAddrResolver } from '../src/resolver.js'
import { tempDir } from './helpers.js'

const issues = (input: unknown): readonly string[] => {
  try {
    parseNamersConfig(input)
  } catch (err) {
    if (err instanceof NamersConfigError) return err.issues
    throw err
  }
  throw new Error('expected a NamersConfigError')
}

t.test('a valid fs namer config parses, with the prefix optional', async (t) => {
  t.same(parseNamersConfig([{ kind: 'io.l5d.fs', rootDir: '/disco' }]), [
    { kind: 'io.l5d.fs', rootDir: '/disco' },
  ])
  t.same(
    parseNamersConfig([
      { kind: 'io.l5d.fs', rootDir: '/disco', prefix: '/fs', experimental: true },
    ]),
    [{ kind: 'io.l5d.fs', rootDir: '/disco', prefix: '/fs', experimental: true }],
  )
  t.same(parseNamersConfig([]), [])
})

t.test('errors name the key and the problem', async (t) => {
  t.same(issues([{ kind: 'io.l5d.fs' }]), [
    'namers[0].rootDir: required: the directory of endpoints files',
  ])
  t.same(issues([{ kind: 'io.l5d.fs', rootDir: '' }]), ['namers[0].rootDir: must not be empty'])
  t.same(issues([{ kind: 'io.l5d.fs', rootDir: 7 }]), [
    'namers[0].rootDir: required: the directory of endpoints files',
  ])
  t.same(issues([{ kind: 'io.l5d.fs', rootDir: '/d', rootdir: '/d' }]), [
    'namers[0]: unknown key "rootdir"',
  ])
  t.same(issues([{ kind: 'io.l5d.fs', rootDir: '/d', prefix: 3 }]), [
    'namers[0].prefix: Invalid input: expected string, received number',
  ])
  t.match(issues([{ kind: 'io.l5d.fs', rootDir: '/d', prefix: '/a b' }]), [
    /^namers\[0\]\.prefix: not a namer prefix: /,
  ])
  t.same(issues([{ kind: 'io.l5d.fs', rootDir: '/d', prefix: '/' }]), [
    'namers[0].prefix: not a namer prefix: namer prefix must not be empty',
  ])
  t.same(issues({ kind: 'io.l5d.fs' }), ['namers: Invalid input: expected array, received object'])
})

t.test('an unknown kind is named, with the kinds we know', async (t) => {
  t.same(
    issues([
      { kind: 'io.l5d.fs', rootDir: '/a' },
      { kind: 'io.l5d.consul', host: 'localhost' },
    ]),
    ['namers[1].kind: unknown namer kind "io.l5d.consul"; known kinds: io.l5d.fs, io.l5d.k8s'],
  )
  t.match(issues([{ rootDir: '/a' }]), [/^namers\[0\]\.kind: unknown namer kind undefined/])
})

t.test('overlapping prefixes are refused, as namerd refuses them', async (t) => {
  t.same(
    issues([
      { kind: 'io.l5d.fs', rootDir: '/a' },
      { kind: 'io.l5d.fs', rootDir: '/b' },
    ]),
    ['namers[1].prefix: Namers must not have overlapping prefixes: /#/io.l5d.fs & /#/io.l5d.fs'],
  )
  t.same(
    issues([
      { kind: 'io.l5d.fs', rootDir: '/a', prefix: '/disco' },
      { kind: 'io.l5d.fs', rootDir: '/b', prefix: 'disco/east' },
    ]),
    ['namers[1].prefix: Namers must not have overlapping prefixes: /#/disco & /#/disco/east'],
  )
  t.same(
    parseNamersConfig([
      { kind: 'io.l5d.fs', rootDir: '/a' },
      { kind: 'io.l5d.fs', rootDir: '/b', prefix: 'east' },
    ]).length,
    2,
  )
})

t.test('mounted namers feed interpreterLookup and the resolver', async (t) => {
  const west = await tempDir(t)
  const east = await tempDir(t)
  await writeFile(join(west, 'world'), '10.0.0.1 80\n')
  await writeFile(join(east, 'world'), '10.1.0.1 80\n')
  const mounted = await mountNamers([
    { kind: 'io.l5d.fs', rootDir: west },
    { kind: 'io.l5d.fs', rootDir: east, prefix: '/east' },
  ])
  t.teardown(() => mounted.close())
  t.same(
    mounted.namers.map((m) => Path.show(m.prefix)),
    ['/#/io.l5d.fs', '/#/east'],
  )

  const lookup = interpreterLookup(Dtab.read('/svc => /#/east | /#/io.l5d.fs'), mounted.namers)
  const bound = bind(lookup, NameTree.read('/svc/world'))
  const id = bound.type === 'leaf' ? bound.value.id : Path.empty
  t.equal(Path.show(id), '/#/east/world')
  const resolver = createAddrResolver(mounted.namers)
  t.equal(Addr.show(resolver.addr(id).sample()), 'Bound(10.1.0.1:80)')
  t.equal(Addr.show(resolver.addr(Path.read('/#/io.l5d.fs/world')).sample()), 'Bound(10.0.0.1:80)')
})

t.test('a namer that cannot open closes the others and reports why', async (t) => {
  const ok = await tempDir(t)
  await t.rejects(
    mountNamers([
      { kind: 'io.l5d.fs', rootDir: ok },
      { kind: 'io.l5d.fs', rootDir: join(ok, 'missing'), prefix: 'b' },
    ]),
    { name: 'FsNamerError', message: /missing/ },
  )
  await t.rejects(mountNamers([{ kind: 'nope' }]), NamersConfigError)
})
