// Reading name trees: atoms, precedence, no flattening, and the weight quirks (semantics §4).
import { NameTree, Path } from '@switchyard/dtab'
import t from 'tap'

type Tree = NameTree<Path>
const leaf = (p: string): Tree => NameTree.leaf(Path.read(p))
const w = (weight: number, tree: Tree) => NameTree.weighted(weight, tree)
const union = (...branches: ReturnType<typeof w>[]): Tree => NameTree.union(...branches)
const alt = (...trees: Tree[]): Tree => NameTree.alt(...trees)
const { Neg, Fail, Empty } = NameTree

t.test('the atoms: a path, ! (fail), ~ (neg) and $ (empty)', async (t) => {
  t.strictSame(NameTree.read('/foo/bar'), leaf('/foo/bar'))
  t.strictSame(NameTree.read('!'), Fail)
  t.strictSame(NameTree.read('~'), Neg)
  t.strictSame(NameTree.read('$'), Empty)
  t.strictSame(NameTree.read('/'), leaf('/'), 'the empty path is a leaf')
})

t.test('| builds an alt and & builds a union of default weight 1.0', async (t) => {
  t.strictSame(NameTree.read('! | ~ | $'), alt(Fail, Neg, Empty))
  t.strictSame(NameTree.read('  /foo | /bar  '), alt(leaf('/foo'), leaf('/bar')))
  t.strictSame(NameTree.read('  /foo & /bar  '), union(w(1, leaf('/foo')), w(1, leaf('/bar'))))
  t.strictSame(NameTree.read('/a&/b|/c'), NameTree.read('/a & /b | /c'), 'spaces are optional')
})

t.test('| binds loosest, then &, then the weight prefix', async (t) => {
  t.strictSame(
    NameTree.read('/a & /b | /c'),
    alt(union(w(1, leaf('/a')), w(1, leaf('/b'))), leaf('/c')),
  )
  t.strictSame(
    NameTree.read('/a | /b & /c'),
    alt(leaf('/a'), union(w(1, leaf('/b')), w(1, leaf('/c')))),
  )
  t.strictSame(
    NameTree.read('/foo & /bar | /bar & /baz'),
    alt(
      union(w(1, leaf('/foo')), w(1, leaf('/bar'))),
      union(w(1, leaf('/bar')), w(1, leaf('/baz'))),
    ),
  )
  t.strictSame(
    NameTree.read('1 * /foo & 2 * /bar | .5 * /bar & .5 * /baz'),
    alt(
      union(w(1, leaf('/foo')), w(2, leaf('/bar'))),
      union(w(0.5, leaf('/bar')), w(0.5, leaf('/baz'))),
    ),
  )
})

t.test('parentheses group, and a parenthesised single tree is just that tree', async (t) => {
  t.strictSame(NameTree.read('(/a)'), leaf('/a'))
  t.strictSame(NameTree.read('((/a))'), leaf('/a'))
  t.strictSame(
    NameTree.read('/a & (/b | /c)'),
    union(w(1, leaf('/a')), w(1, alt(leaf('/b'), leaf('/c')))),
  )
  t.strictSame(
    NameTree.read('( /a & /b ) | /c'),
    alt(union(w(1, leaf('/a')), w(1, leaf('/b'))), leaf('/c')),
  )
})

t.test('nested alts and unions are not flattened', async (t) => {
  t.strictSame(NameTree.read('(/a | /b) | /c'), alt(alt(leaf('/a'), leaf('/b')), leaf('/c')))
  t.strictSame(NameTree.read('/a | (/b | /c)'), alt(leaf('/a'), alt(leaf('/b'), leaf('/c'))))
  t.strictSame(
    NameTree.read('(/a & /b) & /c'),
    union(w(1, union(w(1, leaf('/a')), w(1, leaf('/b')))), w(1, leaf('/c'))),
  )
})

t.test('a weight on a lone tree is accepted and discarded', async (t) => {
  t.strictSame(NameTree.read('2 * /a'), leaf('/a'))
  t.strictSame(NameTree.read('(2 * /a) & /b'), union(w(1, leaf('/a')), w(1, leaf('/b'))))
  t.strictSame(NameTree.read('2 * (2*/a & /b)'), union(w(2, leaf('/a')), w(1, leaf('/b'))))
  t.strictSame(NameTree.read('3 * /a | /b'), alt(leaf('/a'), leaf('/b')))
  t.strictSame(NameTree.read('0 * ~'), Neg)
})

t.test('weights: .5 and 1. are numbers, 0 is a weight, spaces around * are optional', async (t) => {
  t.strictSame(
    NameTree.read('.5*/a & 1.*/b & 0*/c'),
    union(w(0.5, leaf('/a')), w(1, leaf('/b')), w(0, leaf('/c'))),
  )
  t.strictSame(NameTree.read('2*/a & /b'), NameTree.read('2 * /a & /b'))
  t.strictSame(NameTree.read('2 */a & /b'), NameTree.read('2* /a & /b'))
  t.strictSame(NameTree.read('007 * /a & /b'), union(w(7, leaf('/a')), w(1, leaf('/b'))))
  t.strictSame(
    NameTree.read('123.456*/a & 1000000*/b'),
    union(w(123.456, leaf('/a')), w(1e6, leaf('/b'))),
  )
})

t.test('a weight may prefix any simple tree, not only a path', async (t) => {
  t.strictSame(
    NameTree.read('9 * /a & 1 * $'),
    union(w(9, leaf('/a')), w(1, Empty)),
    'the /$/nil-style fault injection with an Empty atom',
  )
  t.strictSame(NameTree.read('2 * ! & 3 * ~'), union(w(2, Fail), w(3, Neg)))
  t.strictSame(
    NameTree.read('3 * (/a & /b) & /c'),
    union(w(3, union(w(1, leaf('/a')), w(1, leaf('/b')))), w(1, leaf('/c'))),
  )
})

t.test('$ is Empty only as a whole token; inside a path it is a label character', async (t) => {
  t.strictSame(NameTree.read('/$/inet/127.1/8080'), leaf('/$/inet/127.1/8080'))
  t.strictSame(NameTree.read('$ | /$'), alt(Empty, leaf('/$')))
})

t.test('a leaf path keeps its escapes as bytes', async (t) => {
  t.strictSame(NameTree.read('/a\\x2fb'), NameTree.leaf(['a/b']))
})
