// The limits that keep a hostile dtab from stopping a daemon (limits.ts): nesting and weights
// refused by the parser with an offset, and a bound on the work and depth of one bind or
// delegation, reached with a typed error instead of exponential work or a stack overflow.
import {
  BindWorkLimitError,
  type Bound,
  bind,
  compilePicker,
  Dentry,
  Dtab,
  DtabJsonError,
  DtabParseError,
  delegate,
  delegateToNameTree,
  delegateTreeJson,
  interpreterLookup,
  type Lookup,
  MAX_BIND_NESTING,
  MAX_BIND_WORK,
  MAX_NESTING,
  NameTree,
  NODE_STEPS,
  Path,
  simplifyDelegateTree,
  type Work,
} from '@switchyard/dtab'
import t from 'tap'
import { errorOf, showBound } from './helpers.js'

const nested = (levels: number) => `${'('.repeat(levels)}/a & /b${')'.repeat(levels)}`

t.test(
  'a name tree may nest 100 levels of parentheses; the 101st is refused at its offset',
  async (t) => {
    t.equal(MAX_NESTING, 100)
    t.equal(NameTree.show(NameTree.read(nested(100))), '/a & /b')
    const input = nested(101)
    const err = errorOf(() => NameTree.read(input))
    t.type(err, DtabParseError)
    if (!(err instanceof DtabParseError)) return
    t.equal(err.offset, 100, 'the offset of the 101st (')
    t.equal(err.code, 'dtab_parse')
    t.match(err.message, /^nesting too deep: more than 100 levels of '\(' at '\({100}\[\(\]\/a/)
  },
)

t.test('thousands of nested parentheses are a parse error, not a stack overflow', async (t) => {
  for (const levels of [5_000, 100_000]) {
    const dst = nested(levels)
    for (const [what, read] of [
      ['name tree', () => NameTree.read(dst)],
      ['dentry', () => Dentry.read(`/s=>${dst}`)],
      ['dtab', () => Dtab.read(`/a=>/b;/s=>${dst}`)],
    ] as const) {
      const err = errorOf(read)
      t.type(err, DtabParseError, `${what}, ${levels} levels`)
    }
    const fromJson = errorOf(() => Dtab.fromJson([{ prefix: '/s', dst }]))
    t.type(fromJson, DtabJsonError, `JSON, ${levels} levels`)
    t.type((fromJson as DtabJsonError).cause, DtabParseError)
  }
  // Unbalanced input fails the same way: the limit is reached before the missing ')'.
  t.type(
    errorOf(() => Dtab.read(`/s=>${'('.repeat(50_000)}`)),
    DtabParseError,
  )
})

const nines = '9'.repeat(400)

t.test('a weight too large for a double is refused at the offset of the weight', async (t) => {
  const input = `/s=>${nines} * /b & /c`
  const err = errorOf(() => Dtab.read(input))
  t.type(err, DtabParseError)
  if (!(err instanceof DtabParseError)) return
  t.equal(err.offset, 4)
  t.equal(err.expected, 'finite weight')
  t.equal(
    err.message,
    `weight too large: ${nines} is not a finite number at '/s=>[9]${nines.slice(1)} * /b & /c'`,
  )
  // The largest double is still a weight, and the first integer past it is not.
  const max = `17976931348623157${'0'.repeat(292)}`
  const largest = NameTree.read(`${max} * /a & /b`)
  t.equal(largest.type === 'union' && largest.branches[0]!.weight, Number.MAX_VALUE)
  t.type(
    errorOf(() => NameTree.read(`1${'0'.repeat(309)} * /a & /b`)),
    DtabParseError,
  )
  t.type(
    errorOf(() => NameTree.read(`/a & ${nines}.5 * /b`)),
    DtabParseError,
    'with decimals',
  )
})

t.test('a zero weight stays legal, as in Finagle', async (t) => {
  t.equal(Dtab.show(Dtab.read('/s=>0 * /a & 1 * /b')), '/s=>0.00*/a & /b')
  // Digits too small for a double read as 0, which Finagle's Double.parseDouble does too.
  t.equal(NameTree.show(NameTree.read(`.${'0'.repeat(400)}1 * /a & /b`)), '0.00*/a & /b')
})

/** A lookup through `dtab` that fails the test (by throwing) past `max` calls. */
function boundedLookup(dtab: string, max: number): Lookup & { calls: () => number } {
  const inner = interpreterLookup(Dtab.read(dtab))
  let calls = 0
  const lookup: Lookup = (path, work) => {
    if (++calls > max) throw new Error(`more than ${max} lookups: the bind is not bounded`)
    return inner(path, work)
  }
  return Object.assign(lookup, { calls: () => calls })
}

const selfUnion = '/svc/world => /svc/world/a & /svc/world/b'

t.test(
  'a self-referring union ends with a bind_work_limit error, not exponential work',
  async (t) => {
    for (const [dtab, path] of [
      [selfUnion, '/svc/world'],
      ['/ => /a & /b', '/svc/world'],
    ] as const) {
      for (const keepAlts of [false, true]) {
        const lookup = boundedLookup(dtab, 100_000)
        const work: Work = { spent: 0 }
        const err = errorOf(() => bind(lookup, NameTree.read(path), 100, { keepAlts, work }))
        t.type(err, BindWorkLimitError, `${dtab}, keepAlts ${keepAlts}`)
        if (!(err instanceof BindWorkLimitError)) continue
        t.equal(err.code, 'bind_work_limit')
        t.equal(err.limit, 'work')
        t.equal(
          err.message,
          `Bind work limit reached: binding ${path} needs more than 1000000 steps (a dentry whose union refers to its own prefix doubles the work at each level)`,
        )
        t.ok(
          work.spent >= MAX_BIND_WORK && work.spent < MAX_BIND_WORK + 1000,
          'spent just past the limit',
        )
        t.ok(lookup.calls() < MAX_BIND_WORK / NODE_STEPS, `${lookup.calls()} lookups`)
      }
    }
  },
)

t.test(
  'the work limit is the same error wherever the union sits, and a union does not absorb it',
  async (t) => {
    // A healthy member before or after the loop: the name fails either way, so the answer does
    // not depend on member order (the depth limit, by contrast, drops the failing member).
    for (const dst of ['/$/inet/h/1 & /loop', '/loop & /$/inet/h/1', '/loop | /$/inet/h/1']) {
      for (const keepAlts of [false, true]) {
        const lookup = boundedLookup(`/loop=>/loop/a & /loop/b;/s=>${dst}`, 100_000)
        t.type(
          errorOf(() => bind(lookup, NameTree.read('/s'), 100, { keepAlts })),
          BindWorkLimitError,
          `${dst}, keepAlts ${keepAlts}`,
        )
      }
    }
    // An Alt's fallback after a member that bound is never reached by Finagle; a bind that
    // keeps Alts drops it, whatever its error.
    const fallback = interpreterLookup(
      Dtab.read('/loop=>/loop/a & /loop/b;/s=>/$/inet/h/1 | /loop'),
    )
    for (const keepAlts of [false, true]) {
      t.equal(showBound(bind(fallback, NameTree.read('/s'), 100, { keepAlts })), '/$/inet/h/1')
    }
    // A linear self-reference still binds: the depth limit drops the looping member at the
    // bottom, leaving 100 nested unions.
    const linear = bind(interpreterLookup(Dtab.read('/s=>/$/inet/h/1 & /s/a')), NameTree.read('/s'))
    t.equal(linear.type, 'union')
  },
)

t.test('another name of the same dtab still binds', async (t) => {
  const dtab = Dtab.read(`${selfUnion};/svc/hello=>/$/inet/127.0.0.1/8080`)
  const tree = bind(interpreterLookup(dtab), NameTree.read('/svc/hello'))
  t.equal(showBound(tree), '/$/inet/127.0.0.1/8080')
  t.equal(
    delegateTreeJson(delegate(dtab, Path.read('/svc/hello'))),
    '{"type":"delegate","path":"/svc/hello","delegate":{"type":"leaf","path":"/$/inet/127.0.0.1/8080","dentry":{"prefix":"/svc/hello","dst":"/$/inet/127.0.0.1/8080"},"bound":{"id":"/$/inet/127.0.0.1/8080","path":"/"}}}',
  )
})

t.test('a custom limit is honoured, and a lookup charges the dentries it examines', async (t) => {
  const err = errorOf(() =>
    bind(boundedLookup(selfUnion, 1_000), NameTree.read('/svc/world'), 100, { maxWork: 5_000 }),
  )
  t.match(err, { code: 'bind_work_limit', message: /needs more than 5000 steps/ })
  // A long dtab costs each lookup its length, so a loop through it ends sooner.
  const filler = Array.from({ length: 2_000 }, (_, i) => `/x${i}=>/y`).join(';')
  const lookup = boundedLookup(`${filler};${selfUnion}`, 10_000)
  t.type(
    errorOf(() => bind(lookup, NameTree.read('/svc/world'))),
    BindWorkLimitError,
  )
  t.ok(
    lookup.calls() <= MAX_BIND_WORK / 2_000 + 1,
    `${lookup.calls()} lookups of a 2,000-dentry dtab`,
  )
})

t.test('a delegation that reaches the work limit is one exception node for the path', async (t) => {
  const work: Work = { spent: 0 }
  const tree = delegate(Dtab.read(selfUnion), Path.read('/svc/world'), { work })
  t.equal(tree.type, 'exception')
  if (tree.type !== 'exception') return
  t.type(tree.error, BindWorkLimitError)
  t.ok(work.spent < MAX_BIND_WORK + 1000)
  t.equal(
    delegateTreeJson(tree),
    `{"type":"exception","path":"/svc/world","message":"Bind work limit reached: binding /svc/world needs more than 1000000 steps (a dentry whose union refers to its own prefix doubles the work at each level)"}`,
  )
  t.throws(() => delegateToNameTree(tree), BindWorkLimitError)
  t.equal(delegate(Dtab.read('/ => /a & /b'), Path.read('/x')).type, 'exception')
})

/** `/s0 => /$/inet/h/1 & (/$/inet/h/1 & (... & /s1))`: `levels` unions deep, then the next. */
function deepChain(rewrites: number, levels: number): Dtab {
  const entries: string[] = []
  for (let i = 0; i < rewrites; i++) {
    const next = i + 1 < rewrites ? `/s${i + 1}` : '/$/inet/h/2'
    entries.push(
      `/s${i}=>${'/$/inet/h/1 & ('.repeat(levels - 1)}/$/inet/h/1 & ${next}${')'.repeat(levels - 1)}`,
    )
  }
  return Dtab.read(entries.join(';'))
}

/** How deep a bound tree nests. */
function depthOf(t: NameTree<Bound>): number {
  if (t.type === 'union') return 1 + Math.max(...t.branches.map((b) => depthOf(b.tree)))
  if (t.type === 'alt') return 1 + Math.max(...t.trees.map(depthOf))
  return 1
}

t.test(
  'a bind that would nest deeper than 1000 levels ends with a bind_work_limit error',
  async (t) => {
    t.equal(MAX_BIND_NESTING, 1000)
    // 20 rewrites through dsts nesting 100 unions: 2,000 levels, within the depth of 100.
    const dtab = deepChain(20, 100)
    const err = errorOf(() => bind(interpreterLookup(dtab), NameTree.read('/s0')))
    t.type(err, BindWorkLimitError)
    t.match(err, {
      limit: 'nesting',
      message: 'Bind work limit reached: binding /s0 nests deeper than 1000 levels',
    })
    const tree = delegate(dtab, Path.read('/s0'))
    t.equal(tree.type, 'exception')
  },
)

t.test('every recursive function handles the deepest tree a bind can produce', async (t) => {
  // 9 rewrites of 99 levels: close to the nesting limit, and it binds.
  const dtab = deepChain(9, 99)
  const tree = bind(interpreterLookup(dtab), NameTree.read('/s0'), 100, { keepAlts: true })
  const depth = depthOf(tree)
  t.ok(depth > 850 && depth <= MAX_BIND_NESTING, `bound tree ${depth} levels deep`)
  // Each from a stack already 2,000 frames deep, so the margin is real.
  const deepStack = <T>(n: number, f: () => T): T => (n === 0 ? f() : deepStack(n - 1, f))
  deepStack(2_000, () => {
    t.ok(NameTree.showWith(tree, (b) => Path.show(b.id)).length > 0, 'show')
    t.ok(NameTree.simplify(tree), 'simplify')
    t.ok(
      NameTree.evalBy(tree, (b) => Path.show(b.id)),
      'eval',
    )
    t.ok(
      NameTree.equalsBy(
        tree,
        NameTree.map(tree, (b) => b),
        (a, b) => a === b,
      ),
      'map, equals',
    )
    t.equal(compilePicker(tree)(() => 0.99).type, 'bound', 'pick')
    const delegated = delegate(dtab, Path.read('/s0'))
    t.not(delegated.type, 'exception', 'delegate')
    t.ok(JSON.parse(delegateTreeJson(simplifyDelegateTree(delegated))), 'delegate JSON')
    t.ok(delegateToNameTree(delegated), 'delegate to name tree')
  })
  // The deepest dst the parser accepts, shown, simplified and delegated.
  const dst = NameTree.read(nested(100))
  t.equal(NameTree.show(NameTree.simplify(dst)), '/a & /b')
})

t.test(
  'delegation splices and converts alts of any size without spreading them as arguments',
  async (t) => {
    const members = Array.from({ length: 150_000 }, () => '/$/inet/h/1').join(' | ')
    const dtab = Dtab.read(`/s=>${members};/s=>/$/inet/h/2`)
    t.type(
      errorOf(() => bind(interpreterLookup(dtab), NameTree.read('/s'), 100, { keepAlts: true })),
      BindWorkLimitError,
      '150,000 nodes is more work than a bind may do',
    )
    // Past the default limit, the alt of 150,000 is spliced into the root's alt and turned back
    // into a name tree: a spread of that many arguments would overflow the stack.
    const tree = delegate(dtab, Path.read('/s'), { maxWork: 100_000_000 })
    t.equal(tree.type === 'alt' && tree.trees.length, 150_001)
    const back = delegateToNameTree(tree)
    t.equal(back.type === 'alt' && back.trees.length, 150_001)
  },
)
