// Routes under the dtab core's work limit: an override that makes a name's bind too much work
// is refused (the router answers 400) and cached like any route; a base dtab that does fails
// that name only. Picks draw with the core's one weighted-union sampler.
import { Dtab, MAX_BIND_NESTING, NameTree, Path, weightedIndex } from '@switchyard/dtab'
import t from 'tap'
import { type Route, Routes } from '../src/route/index.js'
import { FakeInterpreter, seeded, up } from './route-helpers.js'

const P = (s: string) => Path.read(s)
const BASE = '/srv=>/#/io.l5d.fs;/svc=>/srv'
const SELF_UNION = '/svc/world => /svc/world/a & /svc/world/b'
const LIMIT = 'Bind work limit reached: binding /svc/world needs more than 1000000 steps'

function routeOf(routes: Routes, dst: string, local = ''): Route {
  const r = routes.resolve(P(dst), Dtab.read(local))
  if (r.type !== 'route') throw new Error('no dtab')
  return r
}

t.test(
  'an override whose union refers to itself is refused, and the refusal is cached',
  async (t) => {
    const i = new FakeInterpreter(BASE)
    i.set('io.l5d.fs/world', up(1))
    const routes = new Routes(i)
    for (const local of [SELF_UNION, '/ => /a & /b']) {
      const refused = routeOf(routes, '/svc/world', local)
      t.match(refused.refusal, LIMIT, local)
      t.equal(refused.workLimited, true)
      t.equal(refused.pick(), undefined)
      t.equal(
        routeOf(routes, '/svc/world', local),
        refused,
        'the same route object: no second bind',
      )
    }
    const plain = routeOf(routes, '/svc/world')
    t.equal(plain.refusal, undefined)
    t.equal(plain.pick()?.idText, '/#/io.l5d.fs/world', 'the name without the override routes')
  },
)

t.test(
  'a base dtab whose union refers to itself fails that name only, with no refusal',
  async (t) => {
    const i = new FakeInterpreter(`${BASE};${SELF_UNION}`)
    i.set('io.l5d.fs/hello', up(2))
    const routes = new Routes(i)
    const world = routeOf(routes, '/svc/world')
    t.equal(world.refusal, undefined, 'not the request’s fault: a 502, not a 400')
    t.equal(world.workLimited, true)
    t.equal(world.pick(), undefined)
    t.match(world.reason(), LIMIT)
    const withOverride = routeOf(routes, '/svc/world', '/x => /y')
    t.equal(withOverride.refusal, undefined, 'an override that adds nothing is not to blame')
    t.match(withOverride.reason(), LIMIT)
    t.equal(routeOf(routes, '/svc/hello').pick()?.idText, '/#/io.l5d.fs/hello')
  },
)

t.test('a route draws its unions with the core sampler, draw for draw', async (t) => {
  const weights = [1, 0, 3, 2.5]
  const names = ['a', 'b', 'c', 'd']
  const dst = names.map((n, k) => `${weights[k]}*/srv/${n}`).join(' & ')
  const i = new FakeInterpreter(`${BASE};/svc/world=>${dst}`)
  for (const [k, n] of names.entries()) i.set(`io.l5d.fs/${n}`, up(k + 1))
  const route = routeOf(new Routes(i), '/svc/world')
  const choose = weightedIndex(weights)
  const routeDraws = seeded(7)
  const coreDraws = seeded(7)
  for (let n = 0; n < 2_000; n++) {
    const picked = route.pick(routeDraws)?.idText
    if (picked !== `/#/io.l5d.fs/${names[choose(coreDraws())]}`) {
      t.fail(`draw ${n}: the route picked ${picked}`)
      return
    }
  }
  t.pass('2,000 identical draws')
})

t.test('weights whose sum overflows a double still split by their ratio', async (t) => {
  const max = `17976931348623157${'0'.repeat(292)}`
  const i = new FakeInterpreter(`${BASE};/svc/world=>${max}*/srv/a & ${max}*/srv/b`)
  i.set('io.l5d.fs/a', up(1))
  i.set('io.l5d.fs/b', up(2))
  const route = routeOf(new Routes(i), '/svc/world')
  t.equal(route.pick(() => 0.25)?.idText, '/#/io.l5d.fs/a')
  t.equal(route.pick(() => 0.75)?.idText, '/#/io.l5d.fs/b')
})

t.test('the deepest route a bind can produce compiles and picks', async (t) => {
  // 9 rewrites through unions nested 99 deep: close to the core's nesting limit.
  const entries = Array.from({ length: 9 }, (_, k) => {
    const next = k < 8 ? `/s${k + 1}` : '/srv/end'
    return `/s${k}=>${'/srv/x & ('.repeat(98)}/srv/x & ${next}${')'.repeat(98)}`
  })
  const i = new FakeInterpreter(`${BASE};${entries.join(';')}`)
  i.set('io.l5d.fs/x', up(1))
  i.set('io.l5d.fs/end', up(9))
  const route = routeOf(new Routes(i), '/s0')
  let depth = 0
  for (let n = route.tree; n.type === 'union'; n = n.branches[1]!.tree) depth++
  t.ok(depth > 850 && depth <= MAX_BIND_NESTING, `${depth} unions deep`)
  // The innermost member is the only one with endpoints: reach it by always drawing the last.
  t.equal(route.pick(() => 0.999_999)?.idText, '/#/io.l5d.fs/end')
  t.equal(NameTree.simplify(route.tree).type, 'union')
})
