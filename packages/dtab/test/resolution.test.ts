// Binding through namers, delegation trees of failing branches, and weighted picking.
import {
  type Bound,
  bind,
  bound,
  compilePicker,
  Dtab,
  delegate,
  delegateToNameTree,
  delegateTreeJson,
  inetAddress,
  interpreterLookup,
  type MountedNamer,
  type Name,
  NamerFailedError,
  NameTree,
  namersLookup,
  Path,
  pick,
} from '@switchyard/dtab'
import t from 'tap'

/** A namer that binds /#/test/<svc> for the listed services and fails for "broken". */
function testNamer(services: string[]): MountedNamer {
  return {
    prefix: Path.read('/#/test'),
    namer: {
      lookup(path) {
        const [svc] = path
        if (svc === 'broken') throw new NamerFailedError('error naming /#/test/broken')
        if (svc === undefined || !services.includes(svc)) return NameTree.Neg
        return NameTree.leaf<Name>(
          bound(Path.concat(Path.read('/#/test'), [svc]), Path.drop(path, 1)),
        )
      },
    },
  }
}

const show = (tree: NameTree<Bound>) => NameTree.showWith(tree, (b) => Path.show(b.id))
const bindWith = (dtab: string, path: string, namers: MountedNamer[] = [testNamer(['a', 'b'])]) =>
  bind(interpreterLookup(Dtab.read(dtab), namers), NameTree.leaf(Path.read(path)))

t.test(
  'a mounted namer sees the path after its prefix; Neg moves on to the next namer',
  async (t) => {
    const first = testNamer(['a'])
    const second = testNamer(['b'])
    t.equal(
      show(
        bind(
          interpreterLookup(Dtab.empty, [first, second]),
          NameTree.leaf(Path.read('/#/test/b/rest')),
        ),
      ),
      '/#/test/b',
    )
    const leaf = namersLookup([first], Path.read('/#/test/a/x/y'))
    t.same(
      leaf,
      NameTree.leaf(bound(Path.read('/#/test/a'), Path.read('/x/y'))),
      'the residual is what the namer did not use',
    )
    t.equal(namersLookup([first], Path.read('/#/other/a')).type, 'neg')
  },
)

t.test(
  'an alt binds lazily: the first branch that is not Neg wins, later ones are never looked up',
  async (t) => {
    t.equal(show(bindWith('/s=>/#/test/missing | /#/test/a | /#/test/broken', '/s')), '/#/test/a')
    t.equal(show(bindWith('/s=>! | /#/test/a', '/s')), '!', 'Fail stops an alt')
    t.equal(show(bindWith('/s=>$ | /#/test/a', '/s')), '$', 'Empty is a result')
    t.throws(
      () => bindWith('/s=>/#/test/broken | /#/test/a', '/s'),
      { message: 'error naming /#/test/broken' },
      'an error fails the whole bind',
    )
  },
)

t.test(
  'a union drops members that fail with an error, Neg or Fail, and keeps weights',
  async (t) => {
    t.equal(
      show(bindWith('/s=>2*/#/test/a & /#/test/broken & 3*/#/test/b', '/s')),
      '2.00*/#/test/a & 3.00*/#/test/b',
    )
    t.equal(
      show(bindWith('/s=>/#/test/a & /#/test/missing', '/s')),
      '/#/test/a',
      'a single survivor stands alone',
    )
    t.throws(() => bindWith('/s=>/#/test/broken & /#/test/broken', '/s'), {
      message: 'error naming /#/test/broken',
    })
  },
)

t.test('inetAddress reads host and port of /$/inet ids', async (t) => {
  t.same(inetAddress(Path.read('/$/inet/127.0.0.1/8080')), { host: '127.0.0.1', port: 8080 })
  t.same(inetAddress(Path.read('/$/inet/8080')), { host: '', port: 8080 })
  t.equal(inetAddress(Path.read('/$/inet/h/x')), undefined)
  t.equal(inetAddress(Path.read('/#/io.l5d.fs/x')), undefined)
})

t.test(
  'delegation records each failing branch as an exception node and keeps the rest',
  async (t) => {
    const tree = delegate(Dtab.read('/s=>/#/test/broken | /#/test/a'), Path.read('/s'), {
      namers: [testNamer(['a'])],
    })
    t.equal(
      delegateTreeJson(tree),
      '{"type":"alt","path":"/s","alt":[' +
        '{"type":"exception","path":"/#/test/broken","dentry":{"prefix":"/s","dst":"/#/test/broken | /#/test/a"},"message":"error naming /#/test/broken"},' +
        '{"type":"leaf","path":"/#/test/a","dentry":{"prefix":"/s","dst":"/#/test/broken | /#/test/a"},"bound":{"id":"/#/test/a","path":"/"}}]}',
    )
    t.throws(() => delegateToNameTree(tree), { message: 'error naming /#/test/broken' })
  },
)

t.test('alternatives from several dentries are spliced into one alt', async (t) => {
  const tree = delegate(
    Dtab.read('/s=>/#/test/a;/s=>/#/test/b | /#/test/missing'),
    Path.read('/s'),
    { namers: [testNamer(['a', 'b'])] },
  )
  t.equal(tree.type, 'alt')
  if (tree.type !== 'alt') return
  t.same(
    tree.trees.map((m) => m.type),
    ['leaf', 'neg', 'leaf'],
    'the last dentry first, its alt members spliced in, then the earlier dentry',
  )
})

t.test('a loop in an alt branch becomes an exception; the other branch still shows', async (t) => {
  const tree = delegate(Dtab.read('/loop=>/loop/x;/s=>/loop | /#/test/a'), Path.read('/s'), {
    namers: [testNamer(['a'])],
  })
  const json = delegateTreeJson(tree)
  t.match(json, /"type":"exception","path":"\/s".*"message":"Max recursion level reached."/)
  t.match(json, /"type":"leaf","path":"\/#\/test\/a"/)
})

t.test('picks follow the weights: 1 & 9 gives 10% and 90%', async (t) => {
  const tree = bindWith('/s=>/#/test/a & 9*/#/test/b', '/s')
  const picker = compilePicker(tree)
  let seed = 7
  // A seeded linear congruential generator: deterministic, and uniform enough for counting.
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  const counts = new Map<string, number>()
  for (let i = 0; i < 10000; i++) {
    const p = picker(random)
    const key = p.type === 'bound' ? Path.show(p.bound.id) : p.type
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  t.ok(
    Math.abs((counts.get('/#/test/a') ?? 0) - 1000) < 150,
    `about 1000 picks of a: ${counts.get('/#/test/a')}`,
  )
  t.ok(
    Math.abs((counts.get('/#/test/b') ?? 0) - 9000) < 150,
    `about 9000 picks of b: ${counts.get('/#/test/b')}`,
  )
})

t.test('picking at the edges of the weights', async (t) => {
  const a = bound(Path.read('/a'))
  const b = bound(Path.read('/b'))
  const u = (wa: number, wb: number) =>
    NameTree.union(NameTree.weighted(wa, NameTree.leaf(a)), NameTree.weighted(wb, NameTree.leaf(b)))
  const id = (r: ReturnType<typeof pick>) => (r.type === 'bound' ? Path.show(r.bound.id) : r.type)
  t.equal(id(pick(u(0, 1), () => 0)), '/b', 'a zero-weight member is never picked, even at 0')
  t.equal(id(pick(u(1, 0), () => 0.999999)), '/a')
  t.equal(id(pick(u(0, 0), () => 0.25)), '/a', 'all zero: uniform')
  t.equal(id(pick(u(0, 0), () => 0.75)), '/b')
  const faulty = NameTree.union(
    NameTree.weighted(9, NameTree.leaf(a)),
    NameTree.weighted(1, NameTree.Empty as NameTree<Bound>),
  )
  t.equal(
    id(pick(faulty, () => 0.95)),
    'empty',
    'the /$/nil fault-injection branch yields no endpoints',
  )
  t.equal(
    id(pick(NameTree.alt<Bound>(NameTree.Neg, NameTree.leaf(b)))),
    '/b',
    'an alt takes its first non-Neg member',
  )
})
