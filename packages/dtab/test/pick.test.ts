// Weighted picking from a bound tree, as Finagle's NameTreeFactory does for Linkerd: member i
// with probability w_i / Σw, uniform when Σw is 0 (semantics §11). Randoms are injected.
import {
  type Bound,
  bind,
  bound,
  compilePicker,
  Dtab,
  interpreterLookup,
  NameTree,
  Path,
  type Pick,
  pick,
  type Random,
} from '@switchyard/dtab'
import t from 'tap'
import { testNamer } from './helpers.js'

type Tree = NameTree<Bound>
const leaf = (id: string): Tree => NameTree.leaf(bound(Path.read(id)))
const unionOf = (...members: [number, Tree][]): Tree =>
  NameTree.union(...members.map(([w, tree]) => NameTree.weighted(w, tree)))
const label = (p: Pick) => (p.type === 'bound' ? Path.show(p.bound.id) : p.type)

/** How often each result comes up over n evenly spaced draws (i + 0.5) / n. */
function overGrid(tree: Tree, n = 1000): Record<string, number> {
  const picker = compilePicker(tree)
  const counts: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const key = label(picker(() => (i + 0.5) / n))
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

/** A random that returns the given values in turn. */
function sequence(...values: number[]): Random {
  let i = 0
  return () => {
    const v = values[i++]
    if (v === undefined) throw new Error('the picker drew more numbers than expected')
    return v
  }
}

t.test('a union picks each member with probability weight over total weight', async (t) => {
  t.strictSame(overGrid(unionOf([1, leaf('/a')], [9, leaf('/b')])), { '/a': 100, '/b': 900 })
  t.strictSame(
    overGrid(unionOf([1, leaf('/a')], [2, leaf('/b')], [3, leaf('/c')], [4, leaf('/d')])),
    { '/a': 100, '/b': 200, '/c': 300, '/d': 400 },
  )
  t.strictSame(overGrid(unionOf([0.5, leaf('/a')], [0.25, leaf('/b')], [0.25, leaf('/c')])), {
    '/a': 500,
    '/b': 250,
    '/c': 250,
  })
})

t.test('a zero-weight member is never picked while another has weight', async (t) => {
  t.strictSame(
    overGrid(unionOf([0, leaf('/a')], [3, leaf('/b')], [0, leaf('/c')], [1, leaf('/d')])),
    { '/b': 750, '/d': 250 },
  )
  t.equal(label(pick(unionOf([0, leaf('/a')], [1, leaf('/b')]), () => 0)), '/b', 'not even at 0')
  t.equal(
    label(pick(unionOf([1, leaf('/a')], [0, leaf('/b')]), () => 1 - Number.EPSILON / 2)),
    '/a',
    'not even at the top of the range',
  )
})

t.test('when every weight is zero the pick is uniform', async (t) => {
  t.strictSame(overGrid(unionOf([0, leaf('/a')], [0, leaf('/b')])), { '/a': 500, '/b': 500 })
  t.strictSame(
    overGrid(unionOf([0, leaf('/a')], [0, leaf('/b')], [0, leaf('/c')], [0, leaf('/d')])),
    { '/a': 250, '/b': 250, '/c': 250, '/d': 250 },
  )
  t.equal(label(pick(unionOf([0, leaf('/a')], [0, leaf('/b')]), () => 0.25)), '/a')
  t.equal(label(pick(unionOf([0, leaf('/a')], [0, leaf('/b')]), () => 0.75)), '/b')
})

t.test('a Neg, Fail or Empty member is picked like any other and yields no endpoint', async (t) => {
  t.strictSame(overGrid(unionOf([9, leaf('/a')], [1, NameTree.Empty])), { '/a': 900, empty: 100 })
  t.strictSame(overGrid(unionOf([1, leaf('/a')], [1, NameTree.Neg])), { '/a': 500, neg: 500 })
  t.strictSame(overGrid(unionOf([3, NameTree.Fail], [1, leaf('/a')])), { fail: 750, '/a': 250 })
})

t.test('a lone leaf, Neg, Fail or Empty picks itself; an empty union is Neg', async (t) => {
  t.strictSame(
    pick(leaf('/a'), () => 0.5),
    { type: 'bound', bound: bound(Path.read('/a')) },
  )
  t.strictSame(pick(NameTree.Neg), { type: 'neg' })
  t.strictSame(pick(NameTree.Fail), { type: 'fail' })
  t.strictSame(pick(NameTree.Empty), { type: 'empty' })
  t.strictSame(pick(NameTree.union()), { type: 'neg' })
})

t.test('an alt takes its first member that is not Neg', async (t) => {
  t.equal(label(pick(NameTree.alt(NameTree.Neg, leaf('/b'), leaf('/c')))), '/b')
  t.equal(label(pick(NameTree.alt(NameTree.Fail, leaf('/b')))), 'fail')
  t.equal(label(pick(NameTree.alt(NameTree.Empty, leaf('/b')))), 'empty')
  t.equal(label(pick(NameTree.alt<Bound>(NameTree.Neg, NameTree.Neg))), 'neg')
  t.equal(
    label(pick(NameTree.alt(unionOf([1, NameTree.Neg], [1, leaf('/x')]), leaf('/b')), () => 0.25)),
    '/b',
    'a union member that draws Neg moves the alt on',
  )
})

t.test('a nested union draws once per level', async (t) => {
  const tree = unionOf([1, unionOf([1, leaf('/a')], [1, leaf('/b')])], [1, leaf('/c')])
  t.equal(label(pick(tree, sequence(0.25, 0.25))), '/a')
  t.equal(label(pick(tree, sequence(0.25, 0.75))), '/b')
  t.equal(label(pick(tree, sequence(0.75))), '/c')
  const counts: Record<string, number> = {}
  for (let i = 0; i < 20; i++) {
    for (let j = 0; j < 20; j++) {
      const key = label(pick(tree, sequence((i + 0.5) / 20, (j + 0.5) / 20, 0.5)))
      counts[key] = (counts[key] ?? 0) + 1
    }
  }
  t.strictSame(counts, { '/a': 100, '/b': 100, '/c': 200 })
})

t.test('a compiled picker can be drawn from again and again', async (t) => {
  const picker = compilePicker(unionOf([1, leaf('/a')], [1, leaf('/b')]))
  t.equal(label(picker(() => 0.1)), '/a')
  t.equal(label(picker(() => 0.9)), '/b')
  t.equal(label(picker(() => 0.1)), '/a')
  for (let i = 0; i < 100; i++) t.match(label(picker()), /^\/[ab]$/, 'Math.random by default')
})

t.test('1 & 9 after bind: the documented 10%/90% split', async (t) => {
  const tree = bind(
    interpreterLookup(Dtab.read('/s=>/#/t/a & 9*/#/t/b'), [testNamer('t', ['a', 'b'])]),
    NameTree.read('/s'),
  )
  t.strictSame(overGrid(tree), { '/#/t/a': 100, '/#/t/b': 900 })
})

t.test('9 * web & 1 * /$/nil after bind fails one pick in ten', async (t) => {
  const tree = bind(
    interpreterLookup(Dtab.read('/s=>9 * /#/t/web & 1 * /$/nil'), [testNamer('t', ['web'])]),
    NameTree.read('/s'),
  )
  t.strictSame(overGrid(tree), { '/#/t/web': 900, empty: 100 })
})
