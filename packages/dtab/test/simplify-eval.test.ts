// NameTree.simplify (a fixpoint that keeps evaluation) and NameTree.eval (the set of leaves, or
// undefined for Neg and Fail), semantics §12.
import { NameTree, Path } from '@switchyard/dtab'
import t from 'tap'

type Tree = NameTree<Path>
const leaf = (p: string): Tree => NameTree.leaf(Path.read(p))
const w = (weight: number, tree: Tree) => NameTree.weighted(weight, tree)
const { Neg, Fail, Empty } = NameTree
const simp = (s: string) => NameTree.show(NameTree.simplify(NameTree.read(s)))
const ev = (tree: Tree): string[] | undefined => {
  const r = NameTree.eval(tree)
  return r === undefined ? undefined : [...r].map(Path.show).sort()
}

t.test('simplify: an empty alt is Neg and a one-member alt is its simplified member', async (t) => {
  t.strictSame(NameTree.simplify(NameTree.alt()), Neg)
  t.strictSame(NameTree.simplify(NameTree.alt(NameTree.alt(Neg, leaf('/a')))), leaf('/a'))
})

t.test('simplify: an alt skips Neg members and stops at the first Fail, keeping it', async (t) => {
  t.equal(simp('~ | /a | ! | /b'), '/a | !')
  t.strictSame(NameTree.simplify(NameTree.read('! | /a')), Fail)
  t.strictSame(NameTree.simplify(NameTree.read('~ | ~')), Neg)
  t.strictSame(NameTree.simplify(NameTree.read('~ | /a')), leaf('/a'), 'one survivor stands alone')
  t.equal(simp('/a | ~ | /b'), '/a | /b')
})

t.test('simplify: Empty is a member like any other, in an alt and in a union', async (t) => {
  t.equal(simp('$ | /a'), '$ | /a')
  t.equal(simp('~ | $'), '$')
  t.equal(simp('$ & /a'), '$ & /a')
})

t.test('simplify: an empty union is Neg and a one-member union loses its weight', async (t) => {
  t.strictSame(NameTree.simplify(NameTree.union()), Neg)
  t.strictSame(NameTree.simplify(NameTree.union(w(2, NameTree.read('~ | /a')))), leaf('/a'))
})

t.test('simplify: a union drops Fail and Neg members, unlike an alt', async (t) => {
  t.equal(simp('/a & ! & ~'), '/a')
  t.strictSame(
    NameTree.simplify(NameTree.read('2*/a & ~')),
    leaf('/a'),
    'a lone survivor without its weight',
  )
  t.strictSame(NameTree.simplify(NameTree.read('! & ~')), Neg)
  t.strictSame(NameTree.simplify(NameTree.read('! & !')), Neg, 'Fail members vanish, leaving Neg')
})

t.test('simplify: survivors keep their weights, not renormalised', async (t) => {
  t.equal(simp('2*/a & 3*/b & ~'), '2.00*/a & 3.00*/b')
  t.strictSame(
    NameTree.simplify(NameTree.read('2*/a & ! & 3*/b')),
    NameTree.union(w(2, leaf('/a')), w(3, leaf('/b'))),
  )
})

t.test('simplify: members are simplified first', async (t) => {
  t.strictSame(NameTree.simplify(NameTree.read('(~ | /a) & (! | /b)')), leaf('/a'))
  t.equal(simp('(~ | /a) & (~ | /b)'), '/a & /b')
  t.equal(simp('(! & ~) | /b'), '/b', 'a union that simplifies to Neg is skipped in an alt')
})

t.test('simplify: no flattening and no de-duplication', async (t) => {
  t.equal(simp('(/a | /b) | /c'), '(/a | /b) | /c')
  t.equal(simp('(/a & /b) & /c'), '(/a & /b) & /c')
  t.equal(simp('/a & /a'), '/a & /a')
  t.equal(simp('/a | /a'), '/a | /a')
})

t.test('simplify leaves atoms alone', async (t) => {
  for (const atom of [leaf('/a'), Neg, Fail, Empty]) t.strictSame(NameTree.simplify(atom), atom)
})

t.test('simplify is a fixpoint on these examples', async (t) => {
  for (const s of [
    '~ | /a | ! | /b',
    '2*/a & 3*/b & ~',
    '(~ | /a) & (~ | /b)',
    '(/a | ~) | (~ | /b)',
  ]) {
    const once = NameTree.simplify(NameTree.read(s))
    t.ok(NameTree.equals(NameTree.simplify(once), once), s)
  }
})

t.test('Finagle’s NameTree.eval/simplified cases, before and after simplify', async (t) => {
  const cases: [string, string[] | undefined][] = [
    ['~', undefined],
    ['/ok', ['/ok']],
    ['/ok & /ok1', ['/ok', '/ok1']],
    ['/ok & ~ & /blah & $', ['/blah', '/ok']],
    ['$ & $ & $', []],
    ['~ & ~ & (~ | ~)', undefined],
    ['~ | /foo | /bar', ['/foo']],
    ['~ | $ | /blah', []],
    ['~ | (~ | $) | /blah', []],
    ['(~|$|/foo) & (/bar|/blah) & ~ & /FOO', ['/FOO', '/bar']],
    ['! | /ok', undefined],
    ['/ok & !', ['/ok']],
    ['! & ! & !', undefined],
    ['~ | /ok | !', ['/ok']],
  ]
  for (const [s, want] of cases) {
    const tree = NameTree.read(s)
    t.strictSame(ev(tree), want, `eval ${s}`)
    t.strictSame(ev(NameTree.simplify(tree)), want, `eval simplified ${s}`)
  }
})

t.test('eval: Empty is the empty set, a success that stops an alt', async (t) => {
  t.strictSame(ev(Empty), [])
  t.strictSame(ev(NameTree.read('$ | /a')), [])
})

t.test('eval: Fail makes the whole alt fail', async (t) => {
  t.equal(ev(NameTree.read('~ | ! | /a')), undefined)
  t.equal(ev(Fail), undefined)
})

t.test('eval: an empty alt or union is Neg', async (t) => {
  t.equal(ev(NameTree.alt()), undefined)
  t.equal(ev(NameTree.union()), undefined)
  t.strictSame(ev(NameTree.alt(NameTree.union(), leaf('/a'))), ['/a'], 'an alt moves past it')
})

t.test('eval: a one-member union is its member, so Union(!) stops an alt', async (t) => {
  t.equal(ev(NameTree.alt(NameTree.union(w(1, Fail)), leaf('/a'))), undefined)
  t.strictSame(ev(NameTree.alt(NameTree.union(w(1, Neg)), leaf('/a'))), ['/a'])
  t.strictSame(ev(NameTree.union(w(0, leaf('/z')))), ['/z'])
  t.equal(ev(NameTree.alt(NameTree.alt(Fail), leaf('/a'))), undefined, 'a one-member alt likewise')
})

t.test('eval ignores weights and de-duplicates leaves by value', async (t) => {
  t.strictSame(ev(NameTree.read('0*/a & 5*/b')), ['/a', '/b'])
  t.strictSame(ev(NameTree.read('/a & /a & /b')), ['/a', '/b'])
  t.equal(NameTree.eval(NameTree.read('/a & /a'))?.size, 1)
})

t.test('evalBy evaluates other leaf types with the given key', async (t) => {
  const tree = NameTree.union(
    NameTree.weighted(1, NameTree.leaf({ id: 'x', n: 1 })),
    NameTree.weighted(1, NameTree.leaf({ id: 'x', n: 2 })),
    NameTree.weighted(1, NameTree.leaf({ id: 'y', n: 3 })),
  )
  const set = NameTree.evalBy(tree, (v) => v.id)
  t.strictSame(
    [...(set ?? [])].map((v) => v.id),
    ['x', 'y'],
  )
  t.equal(
    NameTree.evalBy(NameTree.Neg, (v: string) => v),
    undefined,
  )
})
