// The split a dtab asks for (dashboard/shares.ts): each destination's share of the requests a
// proxy's picker draws from a bound tree, and the logical services a dtab names.
import {
  type Bound,
  bind,
  compilePicker,
  Dtab,
  interpreterLookup,
  type NameTree,
  NameTree as NT,
  Path,
} from '@switchyard/dtab'
import fc from 'fast-check'
import t from 'tap'
import { expectedShares, servicePaths } from '../src/dashboard/shares.js'

const leaf = (name: string): NameTree<Bound> => ({
  type: 'leaf',
  value: { type: 'bound', id: ['#', 'io.l5d.fs', name], residual: [] },
})
const union = (...branches: [number, NameTree<Bound>][]): NameTree<Bound> => ({
  type: 'union',
  branches: branches.map(([weight, tree]) => ({ weight, tree })),
})
const alt = (...trees: NameTree<Bound>[]): NameTree<Bound> => ({ type: 'alt', trees })
const NEG: NameTree<Bound> = { type: 'neg' }
const FAIL: NameTree<Bound> = { type: 'fail' }

const shares = (tree: NameTree<Bound>) => {
  const s = expectedShares(tree)
  return { ids: Object.fromEntries(s.ids), none: s.none }
}

t.test('a leaf takes everything', async (t) => {
  t.same(shares(leaf('v1')), { ids: { '/#/io.l5d.fs/v1': 1 }, none: 0 })
})

t.test('a union splits by weight, nested unions multiply down', async (t) => {
  t.same(shares(union([9, leaf('v1')], [1, leaf('v2')])), {
    ids: { '/#/io.l5d.fs/v1': 0.9, '/#/io.l5d.fs/v2': 0.1 },
    none: 0,
  })
  const s = expectedShares(union([1, leaf('a')], [1, union([3, leaf('b')], [1, leaf('c')])]))
  t.equal(s.ids.get('/#/io.l5d.fs/a'), 0.5)
  t.equal(s.ids.get('/#/io.l5d.fs/b'), 0.375)
  t.equal(s.ids.get('/#/io.l5d.fs/c'), 0.125)
  // The same id in two members adds up.
  t.same(shares(union([1, leaf('a')], [3, leaf('a')])).ids, { '/#/io.l5d.fs/a': 1 })
})

t.test('zero weights: never picked, unless every weight is zero (then alike)', async (t) => {
  t.same(shares(union([0, leaf('a')], [2, leaf('b')])).ids, { '/#/io.l5d.fs/b': 1 })
  t.same(shares(union([0, leaf('a')], [0, leaf('b')])).ids, {
    '/#/io.l5d.fs/a': 0.5,
    '/#/io.l5d.fs/b': 0.5,
  })
})

t.test(
  'neg and fail reach no destination; an alt passes on what its first member negs',
  async (t) => {
    t.same(shares(NEG), { ids: {}, none: 1 })
    t.same(shares(FAIL), { ids: {}, none: 1 })
    t.same(shares(union([9, leaf('a')], [1, FAIL])), { ids: { '/#/io.l5d.fs/a': 0.9 }, none: 0.1 })
    t.same(shares(alt(NEG, leaf('b'))), { ids: { '/#/io.l5d.fs/b': 1 }, none: 0 })
    // Half of the draws find neg in the first member and go on to the second.
    t.same(shares(alt(union([1, leaf('a')], [1, NEG]), leaf('b'))), {
      ids: { '/#/io.l5d.fs/a': 0.5, '/#/io.l5d.fs/b': 0.5 },
      none: 0,
    })
    // A fail stops the alt.
    t.same(shares(alt(FAIL, leaf('b'))), { ids: {}, none: 1 })
  },
)

t.test('a transformer prefix is stripped, as the proxies label their clients', async (t) => {
  const tree: NameTree<Bound> = {
    type: 'leaf',
    value: {
      type: 'bound',
      id: ['%', 'io.l5d.port', '4141', '#', 'io.l5d.fs', 'x'],
      residual: [],
    },
  }
  t.same(shares(tree).ids, { '/#/io.l5d.fs/x': 1 })
})

t.test('a tree bound through a real dtab: the shift of the blue-green story', async (t) => {
  const dtab = Dtab.read(
    '/svc => /$/inet/127.0.0.1; /svc/world => 9 * /$/inet/127.0.0.1/8001 & 1 * /$/inet/127.0.0.1/8002',
  )
  const tree = bind(interpreterLookup(dtab), NT.leaf(Path.read('/svc/world')))
  t.same(shares(tree), {
    ids: { '/$/inet/127.0.0.1/8001': 0.9, '/$/inet/127.0.0.1/8002': 0.1 },
    none: 0,
  })
})

// Bound trees of every shape: leaves of a few ids, neg, fail, unions and alts, nested.
const ids = ['a', 'b', 'c', 'd']
// `weight` is any double for the sums; the comparison with the picker keeps to weights a dtab
// would hold (0, or 1e-6 and up): at subnormal weights the picker's own arithmetic rounds (a
// member of weight 0 beside one of 5e-324 is drawn half the time), which no share models.
const trees = (weight: fc.Arbitrary<number>) =>
  fc.letrec<{ tree: NameTree<Bound> }>((rec) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...ids).map(leaf),
      fc.constantFrom(NEG, FAIL),
      fc
        .array(fc.tuple(weight, rec('tree')), {
          minLength: 1,
          maxLength: 4,
        })
        .map((bs) => union(...bs)),
      fc.array(rec('tree'), { minLength: 1, maxLength: 3 }).map((ts) => alt(...ts)),
    ),
  })).tree
const anyTree = trees(fc.double({ min: 0, max: 1e6, noNaN: true }))
const dtabTree = trees(fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1e6, noNaN: true })))
const onlyBound = (tree: NameTree<Bound>): boolean =>
  tree.type === 'leaf' ||
  (tree.type === 'union' && tree.branches.every((b) => onlyBound(b.tree))) ||
  (tree.type === 'alt' && tree.trees.length > 0 && onlyBound(tree.trees[0]!))

t.test('property: the shares and the part that finds nothing sum to 1', async (t) => {
  fc.assert(
    fc.property(anyTree, (tree) => {
      const s = expectedShares(tree)
      let sum = s.none
      for (const p of s.ids.values()) {
        if (!(p > 0 && p <= 1 + 1e-12)) return false
        sum += p
      }
      return Math.abs(sum - 1) < 1e-9
    }),
    { numRuns: 2000 },
  )
  t.pass('2000 trees')
})

t.test('property: a tree whose draws always bind splits all of its requests', async (t) => {
  fc.assert(
    fc.property(anyTree.filter(onlyBound), (tree) => {
      const s = expectedShares(tree)
      let sum = 0
      for (const p of s.ids.values()) sum += p
      return s.none < 1e-12 && Math.abs(sum - 1) < 1e-9
    }),
    { numRuns: 1000 },
  )
  t.pass('1000 trees')
})

t.test('property: the shares are what the proxy picker draws (10,000 seeded draws)', async (t) => {
  fc.assert(
    fc.property(dtabTree, fc.integer({ min: 1, max: 2 ** 31 - 1 }), (tree, seed) => {
      // A small LCG: the same draws every run for a given seed.
      let x = seed
      const random = () => {
        x = (x * 48271) % 2147483647
        return x / 2147483647
      }
      const pick = compilePicker(tree)
      const counts = new Map<string, number>()
      const n = 10_000
      for (let i = 0; i < n; i++) {
        const p = pick(random)
        const key = p.type === 'bound' ? Path.show(p.bound.id) : 'none'
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      const s = expectedShares(tree)
      const expected = new Map([...s.ids, ['none', s.none]])
      for (const key of new Set([...counts.keys(), ...expected.keys()])) {
        // Five standard deviations of a binomial share at n draws, at least 0.01.
        const p = expected.get(key) ?? 0
        const tol = Math.max(0.01, 5 * Math.sqrt((p * (1 - p)) / n))
        if (Math.abs((counts.get(key) ?? 0) / n - p) > tol) return false
      }
      return true
    }),
    { numRuns: 100 },
  )
  t.pass('100 trees')
})

t.test('servicePaths: prefixes under /svc/ without wildcards, in order, once each', async (t) => {
  const dtab = Dtab.read(
    '/svc => /host; /svc/world => /srv/world-v1; /svc/*/x => /a; /host/world => /b; /svc/api => /c; /svc/world => /d',
  )
  t.same(servicePaths(dtab, 20), ['/svc/world', '/svc/api'])
  t.same(servicePaths(dtab, 1), ['/svc/world'])
  t.same(servicePaths(Dtab.empty, 20), [])
})

t.test('servicePaths: services reached from /svc by following path dentries back', async (t) => {
  // The repository's blue-green example (test/e2e/rollouts-harness.ts INITIAL_DTAB).
  const blueGreen = Dtab.read(
    '/srv => /#/io.l5d.fs; /host => /srv; /svc => /host; /host/world => /srv/world-v1',
  )
  t.same(servicePaths(blueGreen, 20), ['/svc/world'])
  // Two hops back, through a union and an alt; a prefix ending at the root names no service.
  const chain = Dtab.read(
    '/svc => /a; /a => 1 * /b & 1 * /c; /c => /d | /e; /e/api/v1 => /x; /b/web => /y; /d => /z',
  )
  t.same(servicePaths(chain, 20).sort(), ['/svc/api/v1', '/svc/web'])
  // Wildcard prefixes are neither seeds nor steps back.
  t.same(servicePaths(Dtab.read('/svc => /host; /host/*/x => /y; /*/world => /z'), 20), [])
  // Seeds: the ids the proxies have clients for, traced back through `/svc => /#/io.l5d.fs`.
  t.same(
    servicePaths(Dtab.read('/svc => /#/io.l5d.fs'), 20, [
      Path.read('/#/io.l5d.fs/world-v1'),
      Path.read('/#/other/x'),
    ]),
    ['/svc/world-v1'],
  )
  t.same(servicePaths(blueGreen, 0), [], 'max 0: none')
})

t.test(
  'servicePaths: hostile dtabs (cycles, long chains, many dentries) end, bounded',
  async (t) => {
    const cycle = Dtab.read('/a => /b; /b => /a; /svc => /a; /a/x => /c')
    t.same(servicePaths(cycle, 20), ['/svc/x'])
    // A chain longer than SERVICE_DEPTH: the service at its far end is not found, and that is fine.
    const long = Array.from({ length: 30 }, (_, i) => `/h${i + 1} => /h${i}`).join('; ')
    t.same(servicePaths(Dtab.read(`/svc => /h29; ${long}; /h0/far => /z`), 20), [])
    const wide = Array.from({ length: 2000 }, (_, i) => `/host/s${i} => /z`).join('; ')
    const started = Date.now()
    const found = servicePaths(Dtab.read(`/svc => /host; ${wide}`), 20)
    t.equal(found.length, 20, 'at most max')
    t.ok(Date.now() - started < 1000, `bounded work: ${Date.now() - started} ms`)
  },
)

t.test(
  'property: servicePaths names concrete paths under /svc/, each once, at most max',
  async (t) => {
    const elem = fc.constantFrom('svc', 'host', 'srv', 'a', 'world', '*')
    const path = fc.array(elem, { minLength: 1, maxLength: 4 }).map((es) => `/${es.join('/')}`)
    const dst = fc
      .array(
        elem.filter((e) => e !== '*'),
        { minLength: 1, maxLength: 4 },
      )
      .map((es) => `/${es.join('/')}`)
    const dentry = fc.tuple(path, dst).map(([p, d]) => `${p} => ${d}`)
    fc.assert(
      fc.property(
        fc.array(dentry, { maxLength: 12 }),
        fc.integer({ min: 0, max: 25 }),
        (ds, max) => {
          const got = servicePaths(Dtab.read(ds.join('; ')), max)
          return (
            got.length <= max &&
            new Set(got).size === got.length &&
            got.every((p) => p.startsWith('/svc/') && !p.includes('*'))
          )
        },
      ),
      { numRuns: 300 },
    )
    t.pass('300 dtabs')
  },
)
