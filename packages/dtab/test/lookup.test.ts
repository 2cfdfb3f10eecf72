// Dtab.lookup: every matching dentry, the last one first, each contributing its dst with the
// rest of the path appended to every leaf; not simplified (semantics §9).
import { Dtab, NameTree, Path } from '@switchyard/dtab'
import t from 'tap'

const lookup = (dtab: string, path: string) => Dtab.lookup(Dtab.read(dtab), Path.read(path))
const lookupShow = (dtab: string, path: string) => NameTree.show(lookup(dtab, path))
const leaf = (p: string) => NameTree.leaf(Path.read(p))

t.test('lookup returns every matching dentry, the last one first', async (t) => {
  t.equal(lookupShow('/a=>/b;/a/b=>/c;/a/b/c=>/d', '/a/b/c/e'), '/d/e | /c/c/e | /b/b/c/e')
  t.strictSame(
    lookup('/a=>/b;/a/b=>/c;/a/b/c=>/d', '/a/b/c/e'),
    NameTree.alt(leaf('/d/e'), leaf('/c/c/e'), leaf('/b/b/c/e')),
  )
})

t.test('the longest prefix does not win: reversing the entries reverses the result', async (t) => {
  t.equal(lookupShow('/a/b/c=>/d;/a/b=>/c;/a=>/b', '/a/b/c/e'), '/b/b/c/e | /c/c/e | /d/e')
})

t.test('no matching dentry gives Neg', async (t) => {
  t.strictSame(lookup('/a=>/b', '/c'), NameTree.Neg)
  t.strictSame(lookup('', '/a'), NameTree.Neg)
  t.strictSame(lookup('/a/b=>/c', '/a'), NameTree.Neg, 'a prefix longer than the path')
})

t.test('one matching dentry gives its tree, not an alt of one', async (t) => {
  t.strictSame(lookup('/a=>/b;/x=>/y', '/a/c'), leaf('/b/c'))
  t.strictSame(lookup('/a=>!', '/a'), NameTree.Fail)
  t.strictSame(lookup('/a=>$', '/a/b'), NameTree.Empty)
})

t.test('a single match whose dst is ~ is exactly Neg, the same as no match', async (t) => {
  t.strictSame(lookup('/a=>~', '/a'), NameTree.Neg)
  t.strictSame(lookup('/a=>~', '/a'), lookup('', '/a'))
})

t.test('the rest of the path is appended to every leaf of the dst', async (t) => {
  t.equal(lookupShow('/a=>2*/b & /c', '/a/x'), '2.00*/b/x & /c/x')
  t.equal(lookupShow('/a=>/b | (/c & ~) | !', '/a/x/y'), '/b/x/y | /c/x/y & ~ | !')
  t.strictSame(
    lookup('/a=>2*/b & /c', '/a/x'),
    NameTree.union(NameTree.weighted(2, leaf('/b/x')), NameTree.weighted(1, leaf('/c/x'))),
    'weights are kept',
  )
  t.equal(lookupShow('/a=>/b', '/a'), '/b', 'nothing to append when the path is the prefix')
})

t.test('a wildcard consumes the element it matched', async (t) => {
  t.equal(lookupShow('/a/*/c=>/d', '/a/b/c/e'), '/d/e')
  t.equal(lookupShow('/svc/*=>/host', '/svc/web/x'), '/host/x')
  t.equal(lookupShow('/*=>/$/inet/127.1/8080', '/anything/rest'), '/$/inet/127.1/8080/rest')
})

t.test('the result is not simplified', async (t) => {
  t.equal(lookupShow('/a=>/b;/a=>~', '/a'), '~ | /b')
  t.equal(lookupShow('/a=>~;/a=>~', '/a'), '~ | ~')
  t.strictSame(lookup('/a=>~;/a=>~', '/a'), NameTree.alt(NameTree.Neg, NameTree.Neg))
  t.equal(lookupShow('/a=>/b;/a=>!', '/a'), '! | /b')
})

t.test('a dst that is itself an alt gives a nested alt', async (t) => {
  t.equal(lookupShow('/a=>/b | /c;/a=>/d', '/a/x'), '/d/x | (/b/x | /c/x)')
  t.strictSame(
    lookup('/a=>/b | /c;/a=>/d', '/a/x'),
    NameTree.alt(leaf('/d/x'), NameTree.alt(leaf('/b/x'), leaf('/c/x'))),
  )
})

t.test('the empty prefix matches every path, system paths and the empty path too', async (t) => {
  t.equal(lookupShow('/=>/x', '/$/inet/h/1'), '/x/$/inet/h/1')
  t.equal(lookupShow('/=>/x', '/#/io.l5d.fs/a'), '/x/#/io.l5d.fs/a')
  t.equal(lookupShow('/=>/x', '/'), '/x')
})

t.test('matching is byte-wise: an escaped prefix matches the plain path', async (t) => {
  t.equal(lookupShow('/\\x61=>/b', '/a/c'), '/b/c')
  t.equal(lookupShow('/a=>/b', '/A'), '~')
})
