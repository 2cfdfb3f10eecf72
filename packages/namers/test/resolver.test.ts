import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Path } from '@switchyard/dtab'
import t from 'tap'
import { Addr } from '../src/addr.js'
import { FsNamer } from '../src/fs-namer.js'
import type { HostLookup } from '../src/inet.js'
import { createAddrResolver } from '../src/resolver.js'
import { eventually, type Teardown, tempDir } from './helpers.js'

const p = Path.read
const show = (a: Addr) => Addr.show(a)

async function setup(t: Teardown, lookupHost?: HostLookup) {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'world'), '10.0.0.1 80\n10.0.0.2 80 * 3\n')
  const namer = await FsNamer.open({ rootDir: dir })
  t.teardown(() => namer.close())
  const resolver = createAddrResolver([{ prefix: namer.prefix, namer }], { inet: { lookupHost } })
  return { dir, namer, resolver }
}

t.test('/$/inet ids resolve to their host and port', async (t) => {
  const { resolver } = await setup(t)
  t.equal(show(resolver.addr(p('/$/inet/127.0.0.1/9990')).sample()), 'Bound(127.0.0.1:9990)')
  t.equal(
    Addr.toJson(resolver.addr(p('/$/inet/127.0.0.1/9990')).sample()),
    '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":9990,"meta":{}}],"meta":{}}',
  )
  t.equal(show(resolver.addr(p('/$/inet/1234')).sample()), 'Bound(0.0.0.0:1234)')
})

t.test('an id with a residual is resolved as namerd binds it: the rest is ignored', async (t) => {
  const { resolver } = await setup(t)
  t.equal(show(resolver.addr(p('/$/inet/127.0.0.1/80/extra/path')).sample()), 'Bound(127.0.0.1:80)')
  t.equal(
    show(resolver.addr(p('/#/io.l5d.fs/world/extra')).sample()),
    'Bound(10.0.0.1:80, 10.0.0.2:80)',
  )
})

t.test('/#/io.l5d.fs ids resolve through the file namer', async (t) => {
  const { resolver } = await setup(t)
  const a = resolver.addr(p('/#/io.l5d.fs/world')).sample()
  t.equal(
    Addr.toJson(a),
    '{"type":"bound","addrs":[{"ip":"10.0.0.1","port":80,"meta":{}},' +
      '{"ip":"10.0.0.2","port":80,"meta":{"endpoint_addr_weight":3.0}}],"meta":{}}',
  )
  t.same(resolver.addr(p('/#/io.l5d.fs/nope')).sample(), Addr.neg)
})

t.test('anything else is Neg', async (t) => {
  const { resolver } = await setup(t)
  for (const id of ['/#/io.l5d.k8s/default/http/world', '/svc/world', '/', '/$']) {
    t.same(resolver.addr(p(id)).sample(), Addr.neg, id)
  }
})

t.test('/$/nil is an empty bound set; /$/fail and unknown /$ kinds are failed', async (t) => {
  const { resolver } = await setup(t)
  t.same(resolver.addr(p('/$/nil')).sample(), Addr.bound([]))
  t.same(resolver.addr(p('/$/fail')).sample(), Addr.failed('/$/fail is not a concrete bound id'))
  t.same(
    resolver.addr(p('/$/com.example.Namer/x')).sample(),
    Addr.failed('Unknown namer: com.example.Namer for path: /$/com.example.Namer/x'),
  )
  t.same(
    resolver.addr(p('/$/inet')).sample(),
    Addr.failed('Unknown namer: inet for path: /$/inet'),
    'no port',
  )
})

t.test(
  'a hostname resolves; a name that will not resolve is failed with the message',
  async (t) => {
    const { resolver } = await setup(t, async (host) => {
      if (host === 'world.example') return ['192.0.2.7']
      throw new Error(`getaddrinfo ENOTFOUND ${host}`)
    })
    const first = async (id: string) => {
      for await (const a of resolver.addr(p(id)).changes()) if (a.type !== 'pending') return a
      throw new Error('ended')
    }
    t.equal(show(await first('/$/inet/world.example/8080')), 'Bound(192.0.2.7:8080)')
    t.same(
      await first('/$/inet/nosuch.invalid/80'),
      Addr.failed('getaddrinfo ENOTFOUND nosuch.invalid'),
    )
  },
)

t.test('the Addr of a file id is live: it follows edits, removal and re-creation', async (t) => {
  const { dir, resolver } = await setup(t)
  const seen: string[] = []
  const v = resolver.addr(p('/#/io.l5d.fs/canary'))
  const off = v.subscribe((a) => seen.push(show(a)))
  t.equal(show(v.sample()), 'Neg')
  await writeFile(join(dir, 'canary'), '10.0.0.9 80\n')
  await eventually('bound', () => seen.at(-1) === 'Bound(10.0.0.9:80)')
  off()
  t.equal(v.observers, 0)
})

t.test('watchers of the same id share one var, and nothing is kept once they stop', async (t) => {
  let lookups = 0
  const { resolver } = await setup(t, async () => {
    lookups++
    return ['192.0.2.7']
  })
  const a = resolver.addr(p('/$/inet/world.example/80'))
  const offA = a.subscribe(() => {})
  const b = resolver.addr(p('/$/inet/world.example/80'))
  t.equal(a, b, 'a watched id is shared')
  const offB = b.subscribe(() => {})
  await eventually('resolved', () => a.sample().type === 'bound')
  t.equal(lookups, 1, 'one lookup for two watchers')
  offA()
  offB()
  t.not(resolver.addr(p('/$/inet/world.example/80')), a, 'an unwatched id is not cached')
})
