// simplifyDelegateTree: Linkerd's DelegateTree.simplify on hand-built trees (semantics §13.4).
import { type DelegateTree, Dentry, Path, simplifyDelegateTree } from '@switchyard/dtab'
import t from 'tap'

type Tree = DelegateTree<Path>
const P = Path.read
const d = (s: string) => Dentry.read(s)
const nop = Dentry.nop
const delegateNode = (path: string, dentry: Dentry, tree: Tree): Tree => ({
  type: 'delegate',
  path: P(path),
  dentry,
  tree,
})
const alt = (path: string, dentry: Dentry, ...trees: Tree[]): Tree => ({
  type: 'alt',
  path: P(path),
  dentry,
  trees,
})
const union = (path: string, dentry: Dentry, ...branches: [number, Tree][]): Tree => ({
  type: 'union',
  path: P(path),
  dentry,
  branches: branches.map(([weight, tree]) => ({ weight, tree })),
})
const leaf = (path: string, dentry: Dentry): Tree => ({
  type: 'leaf',
  path: P(path),
  dentry,
  value: P(path),
})
const neg = (path: string, dentry: Dentry): Tree => ({ type: 'neg', path: P(path), dentry })
const fail = (path: string, dentry: Dentry): Tree => ({ type: 'fail', path: P(path), dentry })
const empty = (path: string, dentry: Dentry): Tree => ({ type: 'empty', path: P(path), dentry })

t.test('a delegate collapses into a child of the same path, which takes its dentry', async (t) => {
  const orig = delegateNode(
    '/a',
    nop,
    delegateNode(
      '/b',
      d('/a => /b'),
      alt('/b', d('/b => /c|/d'), leaf('/c', d('/b => /c|/d')), leaf('/d', d('/b => /c|/d'))),
    ),
  )
  t.strictSame(
    simplifyDelegateTree(orig),
    delegateNode(
      '/a',
      nop,
      alt('/b', d('/a => /b'), leaf('/c', d('/b => /c|/d')), leaf('/d', d('/b => /c|/d'))),
    ),
  )
})

t.test('a single-branch alt becomes a delegate', async (t) => {
  const orig = delegateNode(
    '/a',
    nop,
    delegateNode('/b', d('/a => /b'), alt('/b', d('/b => /c'), leaf('/c', d('/b => /c')))),
  )
  t.strictSame(
    simplifyDelegateTree(orig),
    delegateNode('/a', nop, delegateNode('/b', d('/a => /b'), leaf('/c', d('/b => /c')))),
  )
})

t.test('a no-branch alt becomes neg, which a delegate does not swallow', async (t) => {
  const orig = delegateNode('/a', nop, delegateNode('/b', d('/a => /b'), alt('/b', d('/b => ~'))))
  t.strictSame(
    simplifyDelegateTree(orig),
    delegateNode('/a', nop, delegateNode('/b', d('/a => /b'), neg('/b', d('/b => ~')))),
  )
})

t.test('a single-branch union becomes a delegate, its weight dropped', async (t) => {
  const orig = delegateNode(
    '/a',
    nop,
    delegateNode('/b', d('/a => /b'), union('/b', d('/b => /c'), [1, leaf('/c', d('/b => /c'))])),
  )
  t.strictSame(
    simplifyDelegateTree(orig),
    delegateNode('/a', nop, delegateNode('/b', d('/a => /b'), leaf('/c', d('/b => /c')))),
  )
})

t.test('a no-branch union becomes neg', async (t) => {
  const orig = delegateNode('/a', nop, delegateNode('/b', d('/a => /b'), union('/b', d('/b => ~'))))
  t.strictSame(
    simplifyDelegateTree(orig),
    delegateNode('/a', nop, delegateNode('/b', d('/a => /b'), neg('/b', d('/b => ~')))),
  )
})

t.test('a delegate keeps a neg, fail or empty child even of the same path', async (t) => {
  for (const child of [neg('/a', d('/a=>~')), fail('/a', d('/a=>!')), empty('/a', d('/a=>$'))]) {
    const tree = delegateNode('/a', nop, child)
    t.strictSame(simplifyDelegateTree(tree), tree, child.type)
  }
})

t.test('a delegate keeps a child of another path', async (t) => {
  const tree = delegateNode('/a', nop, leaf('/b', d('/a=>/b')))
  t.strictSame(simplifyDelegateTree(tree), tree)
})

t.test('an alt splices in member alts of its own path, dropping their dentries', async (t) => {
  const orig = alt(
    '/s',
    nop,
    alt('/s', d('/s=>/x | /y'), leaf('/x', d('/s=>/x | /y')), leaf('/y', d('/s=>/x | /y'))),
    leaf('/z', d('/s=>/z')),
  )
  t.strictSame(
    simplifyDelegateTree(orig),
    alt(
      '/s',
      nop,
      leaf('/x', d('/s=>/x | /y')),
      leaf('/y', d('/s=>/x | /y')),
      leaf('/z', d('/s=>/z')),
    ),
  )
})

t.test('a member is simplified before the splice decision', async (t) => {
  const inner = alt(
    '/s',
    d('/s=>/x | /y'),
    leaf('/x', d('/s=>/x | /y')),
    leaf('/y', d('/s=>/x | /y')),
  )
  const orig = alt('/s', nop, delegateNode('/s', d('/q=>/s'), inner), leaf('/z', d('/s=>/z')))
  t.strictSame(
    simplifyDelegateTree(orig),
    alt(
      '/s',
      nop,
      leaf('/x', d('/s=>/x | /y')),
      leaf('/y', d('/s=>/x | /y')),
      leaf('/z', d('/s=>/z')),
    ),
  )
})

t.test('an alt keeps member alts of another path nested', async (t) => {
  const orig = alt(
    '/s',
    nop,
    alt('/x', d('/s=>/x'), leaf('/a', d('/x=>/a | /b')), leaf('/b', d('/x=>/a | /b'))),
    leaf('/y', d('/s=>/y')),
  )
  t.strictSame(simplifyDelegateTree(orig), orig)
})

t.test('a union simplifies its members but never splices them', async (t) => {
  const member = union('/s', d('/s=>(/a & /b) & /c'), [1, leaf('/a', nop)], [1, leaf('/b', nop)])
  const orig = union('/s', nop, [2, member], [1, alt('/s', nop, leaf('/c', nop))])
  t.strictSame(
    simplifyDelegateTree(orig),
    union('/s', nop, [2, member], [1, delegateNode('/s', nop, leaf('/c', nop))]),
  )
})

t.test('leaves, atoms and exceptions are left as they are', async (t) => {
  const error = new Error('boom')
  const cases: Tree[] = [
    leaf('/a', nop),
    neg('/a', nop),
    fail('/a', nop),
    empty('/a', nop),
    { type: 'exception', path: P('/a'), dentry: nop, error },
  ]
  for (const tree of cases) t.strictSame(simplifyDelegateTree(tree), tree, tree.type)
})
