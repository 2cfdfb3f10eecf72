// How the route and override caches are bounded by size: the LRU by weight, the routes it
// evicts releasing their addr watches, the one route kept apart for its size, and the override
// parser's cache by the text it holds.
import { Dtab, Path } from '@switchyard/dtab'
import t from 'tap'
import { Lru, OverrideParser, type Route, Routes } from '../src/route/index.js'
import { MAX_PARSED_BYTES } from '../src/route/overrides.js'
import { FakeInterpreter, up } from './route-helpers.js'

// No /svc dentry: a route's tree is the override's alone.
const BASE = '/srv=>/#/io.l5d.fs'

t.test('an LRU bounded by weight evicts the least recently used first', async (t) => {
  const evicted: string[] = []
  const lru = new Lru<string, number>(100, {
    maxWeight: 10,
    weigh: (v) => v,
    onEvict: (_v, k) => evicted.push(k),
  })
  lru.set('a', 4)
  lru.set('b', 4)
  t.equal(lru.get('a'), 4, 'a is now the most recently used')
  lru.set('c', 4)
  t.same(evicted, ['b'], 'b, the least recently used, made room')
  t.equal(lru.weight, 8)
  lru.set('d', 9)
  t.same(evicted, ['b', 'a', 'c'], 'as many as the new weight needs')
  t.equal(lru.weight, 9)
  lru.set('e', 11)
  t.same(evicted, ['b', 'a', 'c', 'd', 'e'], 'an entry heavier than the bound is not kept')
  t.equal(lru.weight, 0)
  t.equal(lru.size, 0)
  lru.set('f', 2)
  lru.set('f', 3)
  t.equal(lru.weight, 3, 'a replaced entry no longer counts')
  lru.clear()
  t.equal(lru.weight, 0)
})

t.test('an LRU without weights counts its entries', async (t) => {
  const lru = new Lru<string, number>(2)
  lru.set('a', 1)
  lru.set('b', 1)
  lru.set('c', 1)
  t.equal(lru.size, 2)
  t.equal(lru.weight, 2)
  t.equal(lru.get('a'), undefined)
})

function interpreter(names: number): FakeInterpreter {
  const i = new FakeInterpreter(BASE)
  for (let n = 0; n < names; n++) i.set(`io.l5d.fs/w${n}`, up(n))
  return i
}

/** A route to a union of `members` names of its own, w<first>..w<first+members-1>. */
function resolveUnion(routes: Routes, n: number, first: number, members: number): Route {
  const union = Array.from({ length: members }, (_, j) => `/srv/w${first + j}`).join(' & ')
  const r = routes.resolve(Path.read(`/svc/x${n}`), Dtab.read(`/svc/x${n} => ${union}`))
  if (r.type !== 'route' || r.error !== undefined) throw new Error('not bound')
  return r
}

t.test('routes evicted for their size release their addr watches', async (t) => {
  const i = interpreter(1000)
  const one = resolveUnion(new Routes(interpreter(100)), 0, 0, 100)
  // Room for three routes of 100 names.
  const routes = new Routes(i, { maxBytes: 3.5 * one.bytes, maxRouteBytes: 2 * one.bytes })
  for (let n = 0; n < 10; n++) {
    resolveUnion(routes, n, n * 100, 100)
    t.ok(routes.bytes <= routes.maxBytes, `${routes.bytes} bytes after route ${n}`)
  }
  t.equal(routes.size, 3)
  t.equal(routes.nodes, 3 * 101, 'a union of 100 leaves each')
  const watched = (n: number) => i.var(`io.l5d.fs/w${n}`).observers
  for (let n = 0; n < 700; n++) if (watched(n) !== 0) t.fail(`w${n} is still watched`)
  for (let n = 700; n < 1000; n++) if (watched(n) !== 1) t.fail(`w${n} is not watched`)
  routes.invalidate()
  t.equal(routes.bytes, 0)
  t.equal(routes.nodes, 0)
  t.equal(watched(999), 0)
})

t.test('one route over the per-route cap is kept apart, until the next replaces it', async (t) => {
  const i = interpreter(400)
  const routes = new Routes(i, { maxRouteBytes: 60_000 })
  const small = resolveUnion(routes, 0, 0, 2)
  t.ok(small.bytes < 60_000)
  const large = resolveUnion(routes, 1, 100, 100)
  t.ok(large.bytes > 60_000)
  t.equal(routes.size, 2)
  t.equal(resolveUnion(routes, 1, 100, 100), large, 'asked again, it is not bound again')
  t.equal(i.var('io.l5d.fs/w100').observers, 1)
  const next = resolveUnion(routes, 2, 200, 100)
  t.not(next, large)
  t.equal(routes.size, 2, 'the small route and the new large one')
  t.equal(i.var('io.l5d.fs/w100').observers, 0, 'the one it replaced released its watches')
  t.equal(i.var('io.l5d.fs/w200').observers, 1)
  t.equal(resolveUnion(routes, 0, 0, 2), small, 'the small route stayed cached')
  routes.invalidate()
  t.equal(routes.size, 0)
  t.equal(i.var('io.l5d.fs/w200').observers, 0, 'a base change drops it too')
})

t.test('a route weighs its tree, its distinct leaves and their texts', async (t) => {
  const i = interpreter(10)
  const routes = new Routes(i)
  const r1 = resolveUnion(routes, 0, 0, 1)
  const r10 = resolveUnion(routes, 1, 0, 10)
  t.equal(r1.nodes, 1)
  t.equal(r10.nodes, 11)
  t.ok(r10.bytes > r1.bytes + 10 * 1024, `${r1.bytes} and ${r10.bytes}`)
  const longResidual = routes.resolve(
    Path.read(`/svc/x2/${'r'.repeat(5000)}`),
    Dtab.read('/svc/x2 => /srv/w0'),
  ) as Route
  t.ok(longResidual.bytes > r1.bytes + 5000, 'a long residual counts')
})

t.test('the override parser keeps parses up to a bound on their size', async (t) => {
  const parser = new OverrideParser()
  const parses = 200
  for (let n = 0; n < parses; n++) {
    // About 15 KB each, as much as a request head can carry.
    const union = Array.from({ length: 1500 }, (_, j) => `/a/${j}`).join('&')
    const parsed = parser.parse({ 'l5d-dtab': `/svc/x${n} => ${union}` })
    t.equal(parsed.ok, true)
    if (parser.bytes > MAX_PARSED_BYTES) t.fail(`${parser.bytes} bytes after parse ${n}`)
  }
  t.ok(parser.size < parses / 10, `${parser.size} large parses kept`)
  // Short overrides, as real traffic sends them: the count decides.
  for (let n = 0; n < 2000; n++) parser.parse({ 'l5d-dtab': `/svc/world => /srv/world-v${n}` })
  t.equal(parser.size, 1000)
})
