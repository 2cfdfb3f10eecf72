// The delegator's tree model: namerd's delegation JSON (written here by the same functions
// namerd uses, delegate + delegateTreeJson, and read through the wire schema as the page reads
// it) becomes items that name each step's path, the dentry used (`/svc => /srv`), weights as
// shares, and what each leaf ends in (its bound addresses, neg, fail, an error).
import { type AddrOf, Dtab, delegate, delegateTreeJson, Path } from '@switchyard/dtab'
import { DelegateNode } from '@switchyard/wire'
import fc from 'fast-check'
import t from 'tap'
import {
  allItems,
  boundSummary,
  percent,
  summary,
  type TreeItem,
  toTree,
} from '../src/delegate/model.js'

/** The tree the page draws for `path` through `dtab`, from the JSON namerd would send. */
function treeOf(dtab: string, path: string, addrOf?: AddrOf): TreeItem {
  const json = delegateTreeJson(delegate(Dtab.read(dtab), Path.read(path)), addrOf)
  return toTree(DelegateNode.parse(JSON.parse(json)))
}

const find = (root: TreeItem, pred: (i: TreeItem) => boolean): TreeItem => {
  const found = allItems(root).find(pred)
  if (found === undefined) throw new Error('no such item')
  return found
}

const inet = (port: number): string =>
  `{"type":"bound","addrs":[{"ip":"127.0.0.1","port":${port},"meta":{}}],"meta":{}}`

t.test('each step names its path and the dentry that led there', async (t) => {
  const root = treeOf('/svc => /srv; /srv/world => /$/inet/127.0.0.1/8080', '/svc/world', (b) =>
    Path.show(b.id) === '/$/inet/127.0.0.1/8080' ? inet(8080) : undefined,
  )
  t.equal(root.path, '/svc/world')
  t.equal(root.dentry, null, 'the root has no dentry')
  const srv = find(root, (i) => i.path === '/srv/world')
  t.equal(srv.dentry, '/svc => /srv')
  const leaf = find(root, (i) => i.type === 'leaf')
  t.equal(leaf.dentry, '/srv/world => /$/inet/127.0.0.1/8080')
  t.same(leaf.addresses, ['127.0.0.1:8080'], 'the bound address is shown at the leaf')
  t.equal(leaf.tone, 'ok')
  t.equal(leaf.outcome, 'bound', 'it says it is bound (at its own path)')
})

t.test("a union's branches carry their weight and share; an alt's their order", async (t) => {
  const root = treeOf(
    '/srv/a => /$/inet/127.0.0.1/1 | /$/inet/127.0.0.1/2; /svc/w => 9 * /srv/a & 1 * /srv/b',
    '/svc/w',
  )
  const a = find(root, (i) => i.path === '/srv/a')
  const b = find(root, (i) => i.path === '/srv/b')
  t.equal(a.tag, 'weight 9.00 (90%)')
  t.equal(b.tag, 'weight 1.00 (10%)')
  t.equal(b.outcome, 'neg: no route here', 'a branch that goes nowhere says so in words')
  t.equal(b.tone, 'warn')
  t.same(
    a.children.map((c) => c.tag),
    ['alternative 1 of 2', 'alternative 2 of 2'],
  )
  t.equal(a.outcome, 'alt: the first that resolves wins')
})

t.test('neg, fail, empty and namer errors are said in words', async (t) => {
  t.equal(treeOf('', '/svc/x').outcome, 'neg: no route here', 'no dentry matches')
  const fail = find(treeOf('/a => !', '/a'), (i) => i.type === 'fail')
  t.equal(fail.outcome, 'fail: requests fail here')
  t.equal(fail.tone, 'bad')
  const empty = find(treeOf('/a => $', '/a'), (i) => i.type === 'empty')
  t.equal(empty.outcome, 'empty: no endpoints')
  const err = find(treeOf('/a => /$/nosuch/x', '/a'), (i) => i.type === 'exception')
  t.match(err.outcome, /^error: Unknown namer: nosuch/)
  t.equal(err.tone, 'bad')
})

t.test("a leaf's address states: neg, pending, failed, none, endpoint weights", async (t) => {
  const leafWith = (addr: string) =>
    find(
      treeOf('/a => /$/inet/127.0.0.1/1', '/a', () => addr),
      (i) => i.type === 'leaf',
    )
  t.match(leafWith('{"type":"neg"}').outcome, /neg/)
  t.equal(leafWith('{"type":"neg"}').tone, 'warn')
  t.match(leafWith('{"type":"pending"}').outcome, /pending/)
  const failed = leafWith('{"type":"failed","cause":"no such file"}')
  t.match(failed.outcome, /failed \(no such file\)/)
  t.equal(failed.tone, 'bad')
  t.match(leafWith('{"type":"bound","addrs":[],"meta":{}}').outcome, /no endpoints/)
  const weighted = leafWith(
    '{"type":"bound","addrs":[{"ip":"::1","port":80,"meta":{"endpoint_addr_weight":2.0}},{"ip":"10.0.0.1","port":81,"meta":{}}],"meta":{}}',
  )
  t.same(weighted.addresses, ['[::1]:80 (weight 2.00)', '10.0.0.1:81'])
})

t.test('the summary counts the steps and what the ends come to', async (t) => {
  const root = treeOf(
    '/srv/a => /$/inet/127.0.0.1/1 | /$/inet/127.0.0.1/2; /svc/w => 9 * /srv/a & 1 * /srv/b',
    '/svc/w',
  )
  t.equal(summary(root), '5 steps; ends: 2 bound, 1 neg')
  t.equal(summary(treeOf('', '/x')), '1 step; ends: 1 neg')
  t.equal(
    summary(treeOf('/a => /$/inet/127.0.0.1/1', '/a', () => '{"type":"neg"}')),
    '2 steps; ends: 1 bound, not usable',
  )
})

t.test(
  'the summary names where the path bound (M6: not only at the foot of the tree)',
  async (t) => {
    const root = treeOf('/svc => /srv; /srv/world => /$/inet/127.0.0.1/8080', '/svc/world', (b) =>
      Path.show(b.id) === '/$/inet/127.0.0.1/8080' ? inet(8080) : undefined,
    )
    t.equal(boundSummary(root), 'bound to /$/inet/127.0.0.1/8080 at 127.0.0.1:8080')
    t.equal(boundSummary(treeOf('', '/x')), null, 'neg: bound to nothing')
    const many = treeOf(
      '/svc/w => /$/inet/127.0.0.1/1 & /$/inet/127.0.0.1/2 & /$/inet/127.0.0.1/3 & /$/inet/127.0.0.1/4',
      '/svc/w',
      (b) => inet(Number(Path.show(b.id).split('/').pop())),
    )
    t.equal(
      boundSummary(many),
      'bound to /$/inet/127.0.0.1/1 at 127.0.0.1:1; /$/inet/127.0.0.1/2 at 127.0.0.1:2; /$/inet/127.0.0.1/3 at 127.0.0.1:3 and 1 more',
    )
  },
)

t.test('a residual path is named on the leaf', async (t) => {
  const leaf = find(treeOf('/svc => /$/inet/127.0.0.1/8080', '/svc/ya'), (i) => i.type === 'leaf')
  t.equal(leaf.path, '/$/inet/127.0.0.1/8080/ya')
  t.match(leaf.outcome, /bound as \/\$\/inet\/127\.0\.0\.1\/8080 \(residual \/ya\)/)
})

t.test('shares: rounded to a tenth, 0% for a zero weight or an empty union', async (t) => {
  t.equal(percent(1, 3), '33.3%')
  t.equal(percent(1, 1), '100%')
  t.equal(percent(0, 5), '0%')
  t.equal(percent(1, 0), '0%')
  t.equal(percent(Number.NaN, 1), '0%')
})

// Random dtabs over a few names: every node of namerd's JSON is one item with a unique id, in
// document order, and a union's shares add up to 100% (within rounding).
const name = fc.constantFrom('/a', '/b', '/c', '/a/x', '/$/inet/127.0.0.1/1')
const dst = fc.oneof(
  name,
  fc.tuple(name, name).map(([x, y]) => `${x} | ${y}`),
  fc
    .tuple(fc.integer({ min: 1, max: 9 }), name, fc.integer({ min: 0, max: 9 }), name)
    .map(([w, x, v, y]) => `${w} * ${x} & ${v} * ${y}`),
  fc.constantFrom('~', '!', '$'),
)
const dentry = fc
  .tuple(fc.constantFrom('/a', '/b', '/c', '/a/x'), dst)
  .map(([p, d]) => `${p} => ${d}`)
const dtabText = fc.array(dentry, { maxLength: 5 }).map((ds) => ds.join(';'))

const countNodes = (n: DelegateNode): number => {
  switch (n.type) {
    case 'delegate':
      return 1 + countNodes(n.delegate)
    case 'transformation':
      return 1 + countNodes(n.tree)
    case 'alt':
      return 1 + n.alt.reduce((s, c) => s + countNodes(c), 0)
    case 'union':
      return 1 + n.union.reduce((s, b) => s + countNodes(b.tree), 0)
    default:
      return 1
  }
}

t.test('any delegation: one item per node, unique ids, shares that add up', async () => {
  fc.assert(
    fc.property(dtabText, fc.constantFrom('/a', '/b/z', '/c'), (text, path) => {
      let json: unknown
      try {
        json = JSON.parse(
          delegateTreeJson(delegate(Dtab.read(text), Path.read(path), { maxDepth: 8 })),
        )
      } catch {
        return true // a loop outside any alt or union: namerd answers 500, there is no tree
      }
      const node = DelegateNode.parse(json)
      const items = allItems(toTree(node))
      if (items.length !== countNodes(node)) return false
      if (new Set(items.map((i) => i.id)).size !== items.length) return false
      for (const i of items) {
        if (i.type !== 'union') continue
        const shares = i.children.map((c) => Number(/\(([\d.]+)%\)/.exec(c.tag ?? '')?.[1]))
        const sum = shares.reduce((s, x) => s + x, 0)
        if (sum !== 0 && Math.abs(sum - 100) > 0.05 * shares.length) return false
      }
      return true
    }),
    { numRuns: 300 },
  )
})

t.test('hostile input: a deep chain and odd characters are drawn, not thrown', async (t) => {
  const chain = Array.from({ length: 99 }, (_, i) => `/p${i} => /p${i + 1}`).join(';')
  const root = treeOf(chain, '/p0')
  t.ok(allItems(root).length >= 99, 'every step of a 99-step chain is an item')
  const odd = treeOf('/a => /\\x3c\\x73cript\\x3e', '/a')
  t.ok(
    allItems(odd).some((i) => i.path === '/\\x3c\\x73\\x63\\x72\\x69\\x70\\x74\\x3e'),
    "a path keeps namerd's printed (escaped) form",
  )
})
