// Printing name trees, dentries and dtabs exactly as Finagle's show does (semantics §7).
import { Dentry, Dtab, NameTree, Path } from '@switchyard/dtab'
import t from 'tap'

type Tree = NameTree<Path>
const leaf = (p: string): Tree => NameTree.leaf(Path.read(p))
const w = (weight: number, tree: Tree) => NameTree.weighted(weight, tree)
const union = (...branches: ReturnType<typeof w>[]): Tree => NameTree.union(...branches)
const alt = (...trees: Tree[]): Tree => NameTree.alt(...trees)
const show = NameTree.show
const reshow = (s: string) => show(NameTree.read(s))

t.test('atoms print as !, ~, $ and the path', async (t) => {
  t.equal(show(NameTree.Fail), '!')
  t.equal(show(NameTree.Neg), '~')
  t.equal(show(NameTree.Empty), '$')
  t.equal(show(leaf('/a/b')), '/a/b')
  t.equal(show(leaf('/')), '/')
  t.equal(reshow('! | ~ | $'), '! | ~ | $')
})

t.test('separators are | and & with single spaces', async (t) => {
  t.equal(reshow('/a|/b'), '/a | /b')
  t.equal(reshow('/a   &   /b'), '/a & /b')
})

t.test('a weight is glued to its operand with two decimals', async (t) => {
  t.equal(reshow('2 * /b & /a'), '2.00*/b & /a')
  t.equal(reshow('3 * (/a & /b) & /c'), '3.00*(/a & /b) & /c')
  t.equal(reshow('.5*/a & 1.*/b & 0*/c'), '0.50*/a & /b & 0.00*/c')
})

t.test('1 * a & 9 * b prints as a & 9.00*b, as namerd stores it', async (t) => {
  t.equal(reshow('1 * /tmp/world-v2 & 9 * /tmp/world-v1'), '/tmp/world-v2 & 9.00*/tmp/world-v1')
})

t.test('a weight is omitted exactly when it is 1.0', async (t) => {
  t.equal(show(union(w(1, leaf('/a')), w(1, leaf('/b')))), '/a & /b')
  t.equal(show(union(w(0.999, leaf('/a')), w(1, leaf('/b')))), '1.00*/a & /b')
  t.equal(show(union(w(1.0000000000000002, leaf('/a')), w(1, leaf('/b')))), '1.00*/a & /b')
})

t.test('a union inside an alt has no parentheses', async (t) => {
  t.equal(reshow('/a & /b | /c'), '/a & /b | /c')
  t.equal(reshow('(/a & /b) | /c'), '/a & /b | /c')
  t.equal(reshow('/c | 2*/a & /b'), '/c | 2.00*/a & /b')
})

t.test(
  'an alt inside a union, a union in a union and an alt in an alt are parenthesised',
  async (t) => {
    t.equal(reshow('/a & (/b | /c)'), '/a & (/b | /c)')
    t.equal(reshow('(/a & /b) & /c'), '(/a & /b) & /c')
    t.equal(reshow('(/a | /b) | /c'), '(/a | /b) | /c')
    t.equal(reshow('/a | (/b | /c)'), '/a | (/b | /c)')
    t.equal(reshow('2 * (/a | /b) & /c'), '2.00*(/a | /b) & /c')
  },
)

t.test('a single-member union or alt prints as its member, weight dropped', async (t) => {
  t.equal(show(union(w(2, leaf('/a')))), '/a')
  t.equal(show(alt(leaf('/a'))), '/a')
  t.equal(show(alt(alt(alt(leaf('/a'))))), '/a')
  t.equal(show(union(w(3, alt(leaf('/a'), leaf('/b'))))), '/a | /b', 'collapsed at the top level')
  t.equal(
    show(alt(union(w(1, alt(leaf('/a'), leaf('/b')))), leaf('/c'))),
    '(/a | /b) | /c',
    'collapsed inside an alt, where an alt still takes parentheses',
  )
  t.equal(
    show(union(w(2, alt(union(w(5, leaf('/b'))))), w(1, leaf('/c')))),
    '2.00*/b & /c',
    'collapsed inside a union; the outer weight stays',
  )
  t.equal(
    show(union(w(1, leaf('/x')), w(1, alt(union(w(1, alt(leaf('/a'), leaf('/b')))))))),
    '/x & (/a | /b)',
  )
})

t.test('empty alts and unions print as nothing on top, () inside a union', async (t) => {
  t.equal(show(alt()), '')
  t.equal(show(union()), '')
  t.equal(show(union(w(1, alt()), w(1, leaf('/a')))), '() & /a')
  t.equal(show(union(w(2, union()), w(1, leaf('/a')))), '2.00*() & /a')
  // Derived from Finagle's show1: an empty alt in an alt takes parentheses, an empty union
  // in an alt prints as nothing.
  t.equal(show(alt(alt(), leaf('/a'))), '() | /a')
  t.equal(show(alt(union(), leaf('/a'))), ' | /a')
})

t.test(
  'a weight that does not fit two decimals comes back rounded from a round trip',
  async (t) => {
    const tree = union(w(0.125, leaf('/a')), w(1, leaf('/b')))
    t.equal(show(tree), '0.13*/a & /b')
    t.strictSame(NameTree.read(show(tree)), union(w(0.13, leaf('/a')), w(1, leaf('/b'))))
    const dtab = Dtab.read('/s => 0.125*/a & /b')
    t.equal(
      Dtab.show(Dtab.fromJson(Dtab.toJson(dtab))),
      '/s=>0.13*/a & /b',
      'a namerd JSON round trip too',
    )
    t.notOk(Dtab.equals(Dtab.read(Dtab.show(dtab)), dtab))
  },
)

t.test('what empty alts and unions print does not read back', async (t) => {
  t.throws(() => NameTree.read(show(alt())))
  t.throws(() => NameTree.read(show(union(w(1, alt()), w(1, leaf('/a'))))))
})

t.test('leaves print with Path.show escapes', async (t) => {
  t.equal(show(NameTree.leaf(['caf\xc3\xa9', 'x'])), '/\\x63\\x61\\x66\\xc3\\xa9/x')
})

t.test('showWith prints other leaf types with the given function', async (t) => {
  const tree = NameTree.union(
    NameTree.weighted(2, NameTree.leaf(42)),
    NameTree.weighted(1, NameTree.alt(NameTree.leaf(7), NameTree.Neg)),
  )
  t.equal(
    NameTree.showWith(tree, (n) => `#${n}`),
    '2.00*#42 & (#7 | ~)',
  )
})

t.test('a dentry prints as prefix=>dst with no spaces around =>', async (t) => {
  t.equal(Dentry.show(Dentry.read('/a/* => /b | /c')), '/a/*=>/b | /c')
  t.equal(Dentry.show(Dentry.read('/ => !')), '/=>!')
  t.equal(Dentry.show(Dentry.nop), '/\\x2f=>~', 'the nop prefix is one slash byte')
})

t.test('a dtab prints its dentries joined by ; with no trailing ; and no spaces', async (t) => {
  t.equal(
    Dtab.show(Dtab.read('/host/world => 1 * /tmp/world-v2 & 9 * /tmp/world-v1; /x => /y;')),
    '/host/world=>/tmp/world-v2 & 9.00*/tmp/world-v1;/x=>/y',
  )
  t.equal(Dtab.show(Dtab.empty), '')
})

t.test('Dtab.toString is the Scala debugging form', async (t) => {
  t.equal(Dtab.toString(Dtab.read('/a => /b; /c => /d')), 'Dtab(/a=>/b;/c=>/d)')
  t.equal(Dtab.toString(Dtab.empty), 'Dtab()')
})
