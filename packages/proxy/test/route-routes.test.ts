import { Dtab, delegate, delegateTreeJson, Path } from '@switchyard/dtab'
import { Addr } from '@switchyard/namers'
import t from 'tap'
import { describeNoRoute, type Route, Routes } from '../src/route/index.js'
import { MAX_CAUSE_CHARS } from '../src/route/route.js'
import { FakeInterpreter, seeded, up } from './route-helpers.js'

const P = (s: string) => Path.read(s)
const BASE = '/srv=>/#/io.l5d.fs;/svc=>/srv'

function routeOf(routes: Routes, dst: string, local = ''): Route {
  const r = routes.resolve(P(dst), Dtab.read(local))
  if (r.type !== 'route') throw new Error('no dtab')
  return r
}

t.test('a proxy without a base dtab has no routes yet', async (t) => {
  const routes = new Routes(new FakeInterpreter())
  t.same(routes.resolve(P('/svc/world'), Dtab.empty), { type: 'no-dtab' })
})

t.test('a weighted union splits picks by weight', async (t) => {
  const i = new FakeInterpreter(`${BASE};/svc/world=>1*/srv/world-v2 & 9*/srv/world-v1`)
  i.set('io.l5d.fs/world-v1', up(1))
  i.set('io.l5d.fs/world-v2', up(2))
  const route = routeOf(new Routes(i), '/svc/world')
  const random = seeded(42)
  const counts = new Map<string, number>()
  for (let n = 0; n < 10_000; n++) {
    const leaf = route.pick(random)
    counts.set(leaf!.idText, (counts.get(leaf!.idText) ?? 0) + 1)
  }
  const v2 = counts.get('/#/io.l5d.fs/world-v2') ?? 0
  t.ok(v2 > 850 && v2 < 1150, `about 10% to v2 (got ${v2})`)
  t.equal(v2 + (counts.get('/#/io.l5d.fs/world-v1') ?? 0), 10_000)
})

t.test('an alt falls back to v1 while v2 has no endpoints, and returns when it has', async (t) => {
  const i = new FakeInterpreter(`${BASE};/svc/world=>/srv/world-v2 | /srv/world-v1`)
  i.set('io.l5d.fs/world-v1', up(1))
  i.set('io.l5d.fs/world-v2', Addr.bound([]))
  const route = routeOf(new Routes(i), '/svc/world')
  t.equal(route.pick()?.idText, '/#/io.l5d.fs/world-v1', 'empty v2: v1')
  i.set('io.l5d.fs/world-v2', Addr.failed('bad file'))
  t.equal(route.pick()?.idText, '/#/io.l5d.fs/world-v1', 'failed v2: v1')
  i.set('io.l5d.fs/world-v2', Addr.neg)
  t.equal(route.pick()?.idText, '/#/io.l5d.fs/world-v1', 'neg v2: v1')
  i.set('io.l5d.fs/world-v2', up(2))
  t.equal(route.pick()?.idText, '/#/io.l5d.fs/world-v2', 'v2 with endpoints wins again')
})

t.test('an alt whose only live branch is pending reports pending until it settles', async (t) => {
  const i = new FakeInterpreter(`${BASE};/svc/world=>/srv/world-v2 | /srv/world-v1`)
  i.set('io.l5d.fs/world-v2', Addr.neg)
  const route = routeOf(new Routes(i), '/svc/world')
  t.equal(route.pick(), undefined)
  t.equal(route.reason(), 'pending')
  const settled = route.settled(2000)
  setTimeout(() => i.set('io.l5d.fs/world-v1', up(1)), 10)
  await settled
  t.equal(route.pick()?.idText, '/#/io.l5d.fs/world-v1')
})

t.test('an alt waits for a preferred name still pending instead of falling back', async (t) => {
  // An override's new name is pending until namerd answers; falling back at once would send
  // the tester's request to the base version.
  const i = new FakeInterpreter(`${BASE};/svc/world=>/srv/world-v2 | /srv/world-v1`)
  i.set('io.l5d.fs/world-v1', up(1))
  const route = routeOf(new Routes(i), '/svc/world')
  t.equal(route.pick(), undefined)
  t.equal(route.reason(), 'pending')
  i.set('io.l5d.fs/world-v2', up(2))
  t.equal(route.pick()?.idText, '/#/io.l5d.fs/world-v2')
})

t.test(
  'after waiting, a pending branch is passed over for a later one with endpoints',
  async (t) => {
    const i = new FakeInterpreter(`${BASE};/svc/world=>/srv/world-v2 | /srv/world-v1`)
    i.set('io.l5d.fs/world-v1', up(1))
    const route = routeOf(new Routes(i), '/svc/world')
    t.equal(route.pick(Math.random, true)?.idText, '/#/io.l5d.fs/world-v1')
  },
)

t.test('a union member whose name does not exist takes no share', async (t) => {
  const i = new FakeInterpreter(`${BASE};/svc/world=>1*/srv/world-v2 & 1*/srv/world-v1`)
  i.set('io.l5d.fs/world-v1', up(1))
  i.set('io.l5d.fs/world-v2', Addr.neg)
  const route = routeOf(new Routes(i), '/svc/world')
  const random = seeded(7)
  for (let n = 0; n < 200; n++) t.equal(route.pick(random)?.idText, '/#/io.l5d.fs/world-v1')
  i.set('io.l5d.fs/world-v2', up(2))
  const seen = new Set<string>()
  for (let n = 0; n < 200; n++) seen.add(route.pick(random)!.idText)
  t.equal(seen.size, 2, 'once v2 exists it gets its share')
})

t.test('a name no dentry matches is no route; ! is a bind failure; errors are kept', async (t) => {
  const i = new FakeInterpreter(`${BASE};/svc/broken=>!;/svc/loop=>/svc/loop;/svc/odd=>/$/nope`)
  const routes = new Routes(i)
  const neg = routeOf(routes, '/elsewhere/x')
  t.equal(neg.pick(), undefined)
  t.equal(neg.reason(), 'no route')
  const fail = routeOf(routes, '/svc/broken')
  t.equal(fail.pick(), undefined)
  t.equal(fail.reason(), 'bind failure')
  const loop = routeOf(routes, '/svc/loop')
  t.equal(loop.pick(), undefined)
  t.match(loop.reason(), /Max recursion level: 100 reached/)
  const odd = routeOf(routes, '/svc/odd')
  t.match(odd.reason(), /Unknown namer: nope/)
  const empty = routeOf(routes, '/x/none', '/x=>/#/io.l5d.fs')
  i.set('io.l5d.fs/none', Addr.bound([]))
  t.equal(empty.pick(), undefined)
  t.equal(empty.reason(), 'no endpoints')
})

t.test('a name whose namer failed is reported with its cause, not as "no endpoints"', async (t) => {
  const i = new FakeInterpreter(`${BASE};/svc/alt=>/srv/world-v2 | /srv/world-v1`)
  const routes = new Routes(i)
  const one = routeOf(routes, '/svc/world')
  i.set(
    'io.l5d.fs/world',
    Addr.failed('the Kubernetes API at http://localhost:8001 is unreachable'),
  )
  t.equal(one.pick(), undefined)
  t.equal(
    one.reason(),
    '/#/io.l5d.fs/world failed: the Kubernetes API at http://localhost:8001 is unreachable',
  )
  i.set('io.l5d.fs/world', Addr.bound([]))
  t.equal(one.pick(), undefined)
  t.equal(one.reason(), 'no endpoints', 'an empty set is still "no endpoints"')

  // An Alt with nothing to send to: the failure is what an operator needs, whichever branch.
  const alt = routeOf(routes, '/svc/alt')
  // The base's own /svc=>/srv makes /#/io.l5d.fs/alt the Alt's last branch: it does not exist.
  i.set('io.l5d.fs/alt', Addr.neg)
  i.set('io.l5d.fs/world-v2', Addr.bound([]))
  i.set('io.l5d.fs/world-v1', Addr.failed('forbidden: cannot list services (RBAC)'))
  t.equal(alt.pick(), undefined)
  t.equal(alt.reason(), '/#/io.l5d.fs/world-v1 failed: forbidden: cannot list services (RBAC)')
  i.set('io.l5d.fs/world-v2', Addr.failed('first'))
  alt.pick()
  t.equal(alt.reason(), '/#/io.l5d.fs/world-v2 failed: first', 'the first failed branch')
  i.set('io.l5d.fs/world-v1', up(1))
  t.equal(alt.pick()?.idText, '/#/io.l5d.fs/world-v1', 'a failed branch is still passed over')
  i.set('io.l5d.fs/world-v2', Addr.neg)
  i.set('io.l5d.fs/world-v1', Addr.bound([]))
  alt.pick()
  t.equal(alt.reason(), 'no endpoints')

  // A pending branch still outranks a failed one: the router waits for it, then times out.
  const pending = routeOf(routes, '/svc/late', '/svc/late=>/srv/nothing-yet | /srv/world')
  i.set('io.l5d.fs/world', Addr.failed('down'))
  t.equal(pending.pick(), undefined)
  t.equal(pending.reason(), 'pending')
  t.equal(pending.pick(Math.random, true), undefined)
  t.equal(pending.reason(), 'pending')
})

t.test(
  'a failed cause in a 502 is one line, well-formed and bounded, whatever namerd sent',
  async (t) => {
    const i = new FakeInterpreter(BASE)
    const route = routeOf(new Routes(i), '/svc/world')
    const hostile = `bad\r\nl5d-injected: 1\n\u0000${'\ud800'}x${'y'.repeat(1_000_000)}`
    i.set('io.l5d.fs/world', Addr.failed(hostile))
    route.pick()
    const reason = route.reason()
    t.ok(
      reason.startsWith('/#/io.l5d.fs/world failed: bad l5d-injected: 1 \ufffdxyyy'),
      reason.slice(0, 80),
    )
    t.ok(reason.endsWith('y...'))
    t.ok(reason.length <= '/#/io.l5d.fs/world failed: '.length + MAX_CAUSE_CHARS + 3)
    t.notOk(/\p{Cc}/u.test(reason), 'no control characters')
    t.doesNotThrow(() => encodeURIComponent(reason), 'encodes for l5d-err')
    // Two halves of a character cut apart at the limit: the lone half is replaced.
    i.set('io.l5d.fs/world', Addr.failed(`${'a'.repeat(MAX_CAUSE_CHARS - 1)}\u{1F600}`))
    route.pick()
    t.doesNotThrow(() => encodeURIComponent(route.reason()))
    i.set('io.l5d.fs/world', Addr.failed(''))
    route.pick()
    t.equal(route.reason(), '/#/io.l5d.fs/world failed: (no cause given)')
  },
)

t.test('routes are cached per override and dropped when the base dtab changes', async (t) => {
  const i = new FakeInterpreter(BASE)
  i.set('io.l5d.fs/world', up(1))
  i.set('io.l5d.fs/world-v9', up(9))
  const routes = new Routes(i)
  const a = routeOf(routes, '/svc/world')
  t.equal(routeOf(routes, '/svc/world'), a, 'same name, same route')
  const local = Dtab.read('/svc/world=>/srv/world-v9')
  const o1 = routes.resolve(P('/svc/world'), local)
  t.not(o1, a, 'an override is another route')
  t.equal(
    routes.resolve(P('/svc/world'), Dtab.read('/svc/world=>/srv/world-v9')),
    o1,
    'keyed by text',
  )
  // The override's Alt keeps the base's /srv/world as a fallback: both routes watch it.
  t.equal(i.var('io.l5d.fs/world').observers, 2, 'the routes watch their names')
  i.setDtab(`${BASE};/svc/world=>/srv/world-v9`)
  t.equal(routes.size, 0, 'a base change drops every route')
  t.equal(i.var('io.l5d.fs/world').observers, 0, 'and their watches')
  t.equal(routeOf(routes, '/svc/world').pick()?.idText, '/#/io.l5d.fs/world-v9')
})

t.test('evicted routes release their addr subscriptions', async (t) => {
  const i = new FakeInterpreter(BASE)
  const routes = new Routes(i, { maxRoutes: 2 })
  routeOf(routes, '/svc/a')
  routeOf(routes, '/svc/b')
  t.equal(i.var('io.l5d.fs/a').observers, 1)
  routeOf(routes, '/svc/c')
  t.equal(routes.size, 2)
  t.equal(i.var('io.l5d.fs/a').observers, 0, 'the oldest route let go of /a')
  t.equal(i.var('io.l5d.fs/c').observers, 1)
})

t.test('explain gives the core delegate-tree JSON with current addrs', async (t) => {
  const i = new FakeInterpreter(`${BASE};/svc/world=>/srv/world-v2 | /srv/world-v1`)
  i.set('io.l5d.fs/world-v1', up(1))
  i.set('io.l5d.fs/world-v2', Addr.neg)
  const routes = new Routes(i)
  const json = routes.explain(P('/svc/world'), Dtab.read('/svc/x=>/srv/y'))
  const tree = delegate(
    Dtab.read(`${BASE};/svc/world=>/srv/world-v2 | /srv/world-v1;/svc/x=>/srv/y`),
    P('/svc/world'),
    {
      namers: i.namers,
    },
  )
  const expected = delegateTreeJson(tree, (b) => Addr.toJson(i.addr(b.id).sample())).replace(
    // namerd shows a name that does not exist as neg
    /\{"type":"leaf","path":"\/#\/io.l5d.fs\/world-v2","dentry":(\{[^}]*\}),"bound":\{"addr":\{"type":"neg"\},"id":"[^"]*","path":"\/"\}\}/,
    '{"type":"neg","path":"/#/io.l5d.fs/world-v2","dentry":$1}',
  )
  t.equal(json, expected)
  const parsed = JSON.parse(json) as { type: string; alt: { type: string }[] }
  t.equal(parsed.type, 'alt')
  t.match(
    json,
    /"bound":\{"addr":\{"type":"bound","addrs":\[\{"ip":"127.0.0.1","port":1,"meta":\{\}\}\],"meta":\{\}\},"id":"\/#\/io.l5d.fs\/world-v1","path":"\/"\}/,
  )
  t.match(json, /\{"type":"neg","path":"\/#\/io.l5d.fs\/world-v2"/)
})

t.test('the 502 body lists the service name and the three dtabs', async (t) => {
  const body = describeNoRoute(
    P('/svc/world'),
    Dtab.read('/svc=>/srv'),
    Dtab.read('/svc/world=>/srv/v2'),
  )
  t.equal(
    body,
    'Unable to route request!\n\nservice name: /svc/world\ndtab:\n  /svc=>/srv\n  /svc/world=>/srv/v2\nbase dtab:\n  /svc=>/srv\noverride dtab:\n  /svc/world=>/srv/v2\n',
  )
})
