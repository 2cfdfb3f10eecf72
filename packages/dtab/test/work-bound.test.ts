// Generated recursive dtabs (self-references, unions of self-references, alts, deep chains)
// through bind, delegate and resolve (bind then a weighted pick): each returns, with a result
// or a typed error, having spent no more than its work bound plus the one lookup that crossed
// it. The work is counted, not timed.
import {
  BindWorkLimitError,
  type Bound,
  bind,
  compilePicker,
  Dtab,
  DtabError,
  type Dtab as DtabT,
  delegate,
  delegateTreeJson,
  interpreterLookup,
  type Lookup,
  NameTree,
  NODE_STEPS,
  Path,
  type Work,
} from '@switchyard/dtab'
import fc from 'fast-check'
import t from 'tap'

/** Small, so that many cases reach it; the arithmetic is the same at the default. */
const MAX_WORK = 20_000
const DEPTH = 100

const prefix = fc.constantFrom('/', '/s', '/s/a', '/s/*', '/t', '/c0')
// Leaves that refer back to the prefixes above (and grow the path), and a few that bind.
const leafPath = fc.constantFrom(
  '/s',
  '/s/a',
  '/s/b',
  '/t',
  '/t/x',
  '/c0',
  '/$/inet/h/1',
  '/$/nil',
  '/u',
)
const weight = fc.constantFrom('', '0 * ', '1 * ', '2.5 * ', '9 * ')

const treeText: fc.Arbitrary<string> = fc.letrec<{ tree: string }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafPath,
    fc.constantFrom('~', '!', '$'),
    fc
      .array(fc.tuple(weight, tie('tree')), { minLength: 2, maxLength: 4 })
      .map((ms) => `(${ms.map(([w, m]) => `${w}${m}`).join(' & ')})`),
    fc.array(tie('tree'), { minLength: 2, maxLength: 3 }).map((ms) => `(${ms.join(' | ')})`),
  ),
})).tree

/** `/c0 => /c1 & /c1/x; /c1 => ...`: a chain of `n` unions, each doubling the names below. */
const chain = fc
  .integer({ min: 0, max: 40 })
  .map((n) => Array.from({ length: n }, (_, i) => `/c${i}=>/c${i + 1} & /c${i + 1}/x`))

const dtabArb: fc.Arbitrary<DtabT> = fc
  .tuple(fc.array(fc.tuple(prefix, treeText), { minLength: 1, maxLength: 6 }), chain)
  .map(([entries, links]) =>
    Dtab.read([...entries.map(([p, d]) => `${p}=>${d}`), ...links].join(';')),
  )
const start = fc.constantFrom('/s', '/s/a', '/t', '/c0', '/u')

const size = (t: NameTree<unknown>): number =>
  t.type === 'union'
    ? 1 + t.branches.reduce((n, b) => n + size(b.tree), 0)
    : t.type === 'alt'
      ? 1 + t.trees.reduce((n, m) => n + size(m), 0)
      : 1
const leaves = (t: NameTree<Path>): Path[] =>
  t.type === 'leaf'
    ? [t.value]
    : t.type === 'union'
      ? t.branches.flatMap((b) => leaves(b.tree))
      : t.type === 'alt'
        ? t.trees.flatMap(leaves)
        : []

/**
 * What one lookup can cost at most: every dentry examined, and every dst built with the longest
 * path the bind can reach (each of the DEPTH rewrites appends at most the longest leaf path).
 */
function oneLookupBound(dtab: DtabT, startPath: Path): number {
  const longestLeaf = Math.max(0, ...dtab.flatMap((d) => leaves(d.dst).map((p) => p.length)))
  const longestPath = startPath.length + (DEPTH + 1) * longestLeaf
  let steps = 0
  for (const d of dtab) {
    steps += 1 + d.prefix.length + longestPath
    steps += NODE_STEPS * size(d.dst) + leaves(d.dst).length * (longestLeaf + longestPath)
  }
  return steps
}

/** A lookup that records the largest number of steps a single call added. */
function measured(dtab: DtabT): { lookup: Lookup; largest: () => number; calls: () => number } {
  const inner = interpreterLookup(dtab)
  let largest = 0
  let calls = 0
  const lookup: Lookup = (path, work) => {
    calls++
    const before = work?.spent ?? 0
    const r = inner(path, work)
    largest = Math.max(largest, (work?.spent ?? 0) - before)
    return r
  }
  return { lookup, largest: () => largest, calls: () => calls }
}

const typed = (err: unknown) => err instanceof DtabError

t.test(
  'bind and resolve return within their work bound, with a result or a typed error',
  async (t) => {
    let limited = 0
    let bound = 0
    fc.assert(
      fc.property(
        dtabArb,
        start,
        fc.boolean(),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (dtab, p, keepAlts, u) => {
          const m = measured(dtab)
          const work: Work = { spent: 0 }
          let tree: NameTree<Bound>
          try {
            tree = bind(m.lookup, NameTree.read(p), DEPTH, { keepAlts, work, maxWork: MAX_WORK })
          } catch (err) {
            if (!typed(err)) throw err
            if (err instanceof BindWorkLimitError) limited++
            return work.spent <= MAX_WORK + m.largest() + NODE_STEPS
          }
          bound++
          // resolve: one weighted pick from the bound tree, which is no bigger than the work.
          const pick = compilePicker(tree)(() => u)
          return (
            ['bound', 'neg', 'fail', 'empty'].includes(pick.type) &&
            work.spent <= MAX_WORK + m.largest() + NODE_STEPS &&
            size(tree) * NODE_STEPS <= work.spent &&
            m.calls() * NODE_STEPS <= work.spent
          )
        },
      ),
      { numRuns: 1500 },
    )
    t.ok(limited > 0, `${limited} cases reached the work limit`)
    t.ok(bound > 0, `${bound} cases bound`)
  },
)

t.test('delegate returns within its work bound, a tree whose JSON renders', async (t) => {
  let limited = 0
  fc.assert(
    fc.property(dtabArb, start, (dtab, p) => {
      const work: Work = { spent: 0 }
      let json: string
      try {
        const tree = delegate(dtab, Path.read(p), { work, maxWork: MAX_WORK, maxDepth: DEPTH })
        if (tree.type === 'exception' && tree.error instanceof BindWorkLimitError) limited++
        json = delegateTreeJson(tree)
      } catch (err) {
        if (!typed(err)) throw err
        json = '{}'
      }
      JSON.parse(json)
      return work.spent <= MAX_WORK + oneLookupBound(dtab, Path.read(p)) + NODE_STEPS
    }),
    { numRuns: 1500 },
  )
  t.ok(limited > 0, `${limited} cases reached the work limit`)
})

t.test('at the default bound, the same generated dtabs end within it', async (t) => {
  fc.assert(
    fc.property(dtabArb, start, (dtab, p) => {
      const m = measured(dtab)
      const work: Work = { spent: 0 }
      try {
        bind(m.lookup, NameTree.read(p), DEPTH, { work })
      } catch (err) {
        if (!typed(err)) throw err
      }
      const delegated: Work = { spent: 0 }
      try {
        delegate(dtab, Path.read(p), { work: delegated })
      } catch (err) {
        if (!typed(err)) throw err
      }
      return (
        work.spent <= 1_000_000 + m.largest() + NODE_STEPS &&
        delegated.spent <= 1_000_000 + oneLookupBound(dtab, Path.read(p)) + NODE_STEPS
      )
    }),
    { numRuns: 60 },
  )
  t.pass('no counterexample')
})
