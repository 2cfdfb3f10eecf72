// Finagle's Namer.bind through the interpreter's lookup: lazy alts, unions that drop failing
// members, no Alt in the result, and the depth limit (semantics §10).
import {
  type Bound,
  bind,
  Dtab,
  DtabError,
  interpreterLookup,
  MAX_DEPTH,
  type MountedNamer,
  type Name,
  NamerMaxDepthError,
  NameTree,
  Path,
} from '@switchyard/dtab'
import t from 'tap'
import { errorOf, showBound, testNamer } from './helpers.js'

/** Binds `path` (or a tree) through `dtab`, the test namer at /#/t and the global namer. */
function bindWith(
  dtab: string,
  tree: string,
  namers: MountedNamer[] = [testNamer('t', ['a', 'b'])],
) {
  return bind(interpreterLookup(Dtab.read(dtab), namers), NameTree.read(tree))
}
const shown = (dtab: string, tree: string) => showBound(bindWith(dtab, tree))

/** A lookup that records every path it is asked for. */
function spyLookup(dtab: string, namers: MountedNamer[] = [testNamer('t', ['a', 'b'])]) {
  const asked: string[] = []
  const inner = interpreterLookup(Dtab.read(dtab), namers)
  const lookup = (p: Path): NameTree<Name> => {
    asked.push(Path.show(p))
    return inner(p)
  }
  return { asked, lookup }
}

t.test('a path is looked up until it is bound; the residual is kept', async (t) => {
  const tree = bindWith('/s=>/$/inet/h/1', '/s/x/y')
  t.equal(tree.type, 'leaf')
  if (tree.type !== 'leaf') return
  t.equal(Path.show(tree.value.id), '/$/inet/h/1')
  t.equal(Path.show(tree.value.residual), '/x/y')
  t.equal(shown('/svc=>/#/t', '/svc/a/rest'), '/#/t/a')
})

t.test('Fail, Neg and Empty are returned as they are', async (t) => {
  t.strictSame(bindWith('', '!'), NameTree.Fail)
  t.strictSame(bindWith('', '~'), NameTree.Neg)
  t.strictSame(bindWith('', '$'), NameTree.Empty)
  t.strictSame(bindWith('/s=>/$/fail', '/s'), NameTree.Fail)
  t.strictSame(bindWith('/s=>/$/nil', '/s'), NameTree.Empty)
  t.strictSame(bindWith('', '/unknown'), NameTree.Neg, 'nothing knows the path')
})

t.test('one ~ dentry is invisible to bind; two of them block resolution', async (t) => {
  t.equal(shown('/$=>~', '/$/inet/h/1'), '/$/inet/h/1')
  t.equal(shown('/$=>~;/$=>~', '/$/inet/h/1'), '~')
  t.equal(shown('/#=>~', '/#/t/a'), '/#/t/a')
  t.equal(shown('/#=>~;/#=>~', '/#/t/a'), '~')
})

t.test(
  'the global namer binds through bind: inet, fail, nil, and unknown kinds fail',
  async (t) => {
    t.equal(shown('', '/$/inet/1234/5678'), '/$/inet/1234/5678')
    t.equal(shown('', '/$/fail'), '!')
    t.equal(shown('', '/$/nil'), '$')
    t.equal(shown('/s=>/$/failover', '/x'), '~', 'a dentry that does not match is never followed')
    t.equal(
      errorOf(() => bindWith('', '/$/failover/x')).message,
      'Unknown namer: failover for path: /$/failover/x',
    )
    t.equal(
      errorOf(() => bindWith('/s=>/$/inet/host/notaport', '/s')).message,
      'Unknown namer: inet for path: /$/inet/host/notaport',
    )
  },
)

t.test('an empty union or alt binds to Neg; a one-member one binds its member', async (t) => {
  const lookup = interpreterLookup(Dtab.empty)
  t.strictSame(bind(lookup, NameTree.union()), NameTree.Neg)
  t.strictSame(bind(lookup, NameTree.alt()), NameTree.Neg)
  const one = bind(
    lookup,
    NameTree.union(NameTree.weighted(3, NameTree.leaf(Path.read('/$/inet/h/1')))),
  )
  t.equal(one.type, 'leaf', 'the union node disappears')
  t.equal(
    showBound(bind(lookup, NameTree.alt(NameTree.leaf(Path.read('/$/inet/h/1'))))),
    '/$/inet/h/1',
  )
})

t.test('an alt binds lazily: the first branch that is not Neg wins', async (t) => {
  const spy = spyLookup('/s=>/#/t/missing | /#/t/a | /#/t/b')
  t.equal(showBound(bind(spy.lookup, NameTree.read('/s'))), '/#/t/a')
  t.strictSame(
    spy.asked,
    ['/s', '/#/t/missing', '/#/t/a'],
    'the branch after the chosen one is never looked up',
  )
})

t.test('an alt stops at Fail and at Empty, and is Neg when every branch is', async (t) => {
  t.equal(shown('/s=>! | /#/t/a', '/s'), '!')
  t.equal(shown('/s=>~ | /$/fail | /#/t/a', '/s'), '!')
  t.equal(shown('/s=>$ | /#/t/a', '/s'), '$', 'Empty is a result')
  t.equal(shown('/s=>/$/nil | /$/fail | /#/t/a', '/s'), '$')
  t.equal(shown('/s=>/#/t/x | /#/t/y', '/s'), '~')
  t.equal(shown('', '(! | /#/t/a | /#/t/b)'), '!')
})

t.test('an error in an alt branch fails the whole bind, with no fallback', async (t) => {
  t.equal(
    errorOf(() => bindWith('/s=>/#/t/broken | /#/t/a', '/s')).message,
    'error naming /#/t/broken',
  )
  t.equal(shown('/s=>/#/t/a | /#/t/broken', '/s'), '/#/t/a', 'a branch never reached cannot fail')
})

t.test('keepAlts keeps every alt member that binds, up to the first Fail', async (t) => {
  const keep = (dtab: string, tree: string) =>
    showBound(
      bind(
        interpreterLookup(Dtab.read(dtab), [testNamer('t', ['a', 'b'])]),
        NameTree.read(tree),
        MAX_DEPTH,
        { keepAlts: true },
      ),
    )
  t.equal(keep('/s=>/#/t/missing | /#/t/a | /#/t/b', '/s'), '/#/t/a | /#/t/b', 'Neg members go')
  t.equal(keep('/s=>/#/t/a | ! | /#/t/b', '/s'), '/#/t/a | !', 'nothing after a Fail')
  t.equal(keep('/s=>/#/t/a | /#/t/broken', '/s'), '/#/t/a', 'an error after a member ends it')
  t.equal(keep('/s=>/#/t/x | /#/t/y', '/s'), '~')
  t.equal(
    errorOf(() =>
      bind(
        interpreterLookup(Dtab.read('/s=>/#/t/broken | /#/t/a'), [testNamer('t', ['a', 'b'])]),
        NameTree.read('/s'),
        MAX_DEPTH,
        { keepAlts: true },
      ),
    ).message,
    'error naming /#/t/broken',
    'an error before any member bound fails the bind',
  )
})

t.test('a union binds every member and drops those that fail with an error', async (t) => {
  const spy = spyLookup('/s=>2*/#/t/a & /#/t/broken & 3*/#/t/b')
  t.equal(showBound(bind(spy.lookup, NameTree.read('/s'))), '2.00*/#/t/a & 3.00*/#/t/b')
  t.strictSame(spy.asked, ['/s', '/#/t/a', '/#/t/broken', '/#/t/b'])
})

t.test('a union drops Neg and Fail members and keeps the weights of the rest', async (t) => {
  t.equal(shown('/s=>2*/#/t/a & /#/t/missing & ! & 3*/#/t/b', '/s'), '2.00*/#/t/a & 3.00*/#/t/b')
  t.equal(shown('/s=>/#/t/a & /#/t/missing', '/s'), '/#/t/a', 'a single survivor stands alone')
  t.equal(shown('/s=>/#/t/a & /#/t/broken', '/s'), '/#/t/a')
  t.equal(shown('/s=>9*/#/t/a & 1*/$/nil', '/s'), '9.00*/#/t/a & $', 'Empty is kept')
  t.equal(shown('/s=>/#/t/x & /#/t/y', '/s'), '~', 'all Neg is Neg')
  t.equal(shown('/s=>$ & ~', '/s'), '$')
})

t.test('a union whose members all fail with errors fails with the first error', async (t) => {
  const namers = [testNamer('t', []), testNamer('u', [])]
  t.equal(
    errorOf(() => bindWith('/s=>/#/u/broken & /#/t/broken', '/s', namers)).message,
    'error naming /#/u/broken',
  )
  t.equal(
    errorOf(() => bindWith('/s=>/#/t/broken', '/s')).message,
    'error naming /#/t/broken',
    'a one-member union does not catch its error',
  )
})

t.test('a union of an error and Neg is Neg: the error is dropped', async (t) => {
  t.strictSame(bindWith('/s=>/#/t/broken & /#/t/missing', '/s'), NameTree.Neg)
})

t.test('Finagle’s union cases, each state of the members in turn', async (t) => {
  const namerFor = (one: string, two: string) => `/test/0=>/test/2;/test/1=>${one};/test/2=>${two}`
  const ev = (dtab: string) => {
    const r = NameTree.evalBy(bindWith(dtab, '/test/0 & /test/1'), (b: Bound) => Path.show(b.id))
    return r === undefined ? undefined : [...r].map((b) => Path.show(b.id)).sort()
  }
  t.strictSame(ev(namerFor('/$/inet/1', '/$/inet/2')), ['/$/inet/1', '/$/inet/2'], 'bound & bound')
  t.strictSame(ev(namerFor('/$/inet/1', '~')), ['/$/inet/1'], 'bound & neg')
  t.strictSame(ev(namerFor('/$/inet/1', '/#/t/broken')), ['/$/inet/1'], 'bound & failed')
  t.throws(() => ev(namerFor('/#/t/broken', '/#/t/broken')), {
    message: 'error naming /#/t/broken',
  })
  t.equal(ev(namerFor('~', '~')), undefined, 'neg & neg')
  t.strictSame(ev(namerFor('$', '~')), [], 'empty & neg')
})

t.test('Finagle’s failover cases: /test/0 | /test/1 & /test/2', async (t) => {
  const tree = '/test/0 | /test/1 & /test/2'
  t.equal(shown('/test/0=>$;/test/1=>~;/test/2=>~', tree), '$')
  t.equal(shown('/test/0=>/$/inet/1;/test/1=>~;/test/2=>~', tree), '/$/inet/1')
  t.equal(shown('/test/0=>~;/test/1=>~;/test/2=>~', tree), '~')
  t.equal(shown('/test/0=>~;/test/1=>~;/test/2=>/$/inet/2', tree), '/$/inet/2')
  t.equal(shown('/test/0=>/$/inet/3;/test/1=>~;/test/2=>/$/inet/2', tree), '/$/inet/3')
})

t.test('the bound tree has no alt nodes', async (t) => {
  t.equal(shown('', '(/#/t/a | /#/t/b) & /#/t/b'), '/#/t/a & /#/t/b')
  t.equal(shown('/s=>/#/t/a;/s=>/#/t/b', '/s'), '/#/t/b', 'lookup alternatives collapse to one')
})

/** n dtab rewrites /p0 → /p1 → … → /p(n-1) → /$/inet/h/1. */
function chain(n: number): Dtab {
  const entries = Array.from({ length: n - 1 }, (_, i) => `/p${i}=>/p${i + 1}`)
  entries.push(`/p${n - 1}=>/$/inet/h/1`)
  return Dtab.read(entries.join(';'))
}
const p0 = NameTree.read('/p0')

t.test('the depth limit: 99 rewrites bind and 100 fail', async (t) => {
  t.equal(MAX_DEPTH, 100)
  t.equal(showBound(bind(interpreterLookup(chain(99)), p0)), '/$/inet/h/1')
  const err = errorOf(() => bind(interpreterLookup(chain(100)), p0))
  t.type(err, NamerMaxDepthError)
  t.type(err, DtabError)
  t.equal(err.message, 'Max recursion level: 100 reached in Namer lookup')
  t.equal((err as NamerMaxDepthError).code, 'namer_max_depth')
  t.equal((err as NamerMaxDepthError).maxDepth, 100)
})

t.test('the limit is configurable, and its message names it', async (t) => {
  t.equal(showBound(bind(interpreterLookup(chain(1)), p0, 2)), '/$/inet/h/1')
  t.equal(
    errorOf(() => bind(interpreterLookup(chain(2)), p0, 2)).message,
    'Max recursion level: 2 reached in Namer lookup',
  )
  t.equal(
    errorOf(() =>
      bind(interpreterLookup(Dtab.read('/s => /s/srv')), NameTree.read('/s/foo/bar'), 2),
    ).message,
    'Max recursion level: 2 reached in Namer lookup',
  )
})

t.test('loops end in the depth error', async (t) => {
  const loops: [string, string][] = [
    ['/foo/bar => /bar/foo; /bar/foo => /foo/bar', '/foo/bar'],
    ['/s => /s/prefix', '/s'],
    ['/iceCream => /youScream; /youScream => /weAllScream; /weAllScream => /iceCream', '/iceCream'],
    ['/=>/x', '/$/inet/h/1'],
  ]
  for (const [dtab, start] of loops) {
    t.equal(
      errorOf(() => bind(interpreterLookup(Dtab.read(dtab)), NameTree.read(start))).message,
      'Max recursion level: 100 reached in Namer lookup',
      dtab,
    )
  }
})

t.test('an alt or a union on the way is not a level: only rewrites count', async (t) => {
  /** chain(n), but every dst wraps the next path: `/p1 | ~`, `/p1 & ~`. */
  const wrapped = (n: number, wrap: (next: string) => string) =>
    Dtab.read(
      Array.from({ length: n }, (_, i) =>
        i < n - 1 ? `/p${i}=>${wrap(`/p${i + 1}`)}` : `/p${i}=>${wrap('/$/inet/h/1')}`,
      ).join(';'),
    )
  const alt = (next: string) => `${next} | ~`
  t.equal(showBound(bind(interpreterLookup(wrapped(99, alt)), p0)), '/$/inet/h/1')
  t.throws(() => bind(interpreterLookup(wrapped(100, alt)), p0), {
    message: 'Max recursion level: 100 reached in Namer lookup',
  })
  // In a union the member that hits the limit is dropped, leaving only the ~.
  const union = (next: string) => `${next} & ~`
  t.equal(showBound(bind(interpreterLookup(wrapped(99, union)), p0)), '/$/inet/h/1')
  t.equal(showBound(bind(interpreterLookup(wrapped(100, union)), p0)), '~')
  // Nor is a one-member union, which only a program can build.
  const lone = NameTree.union(NameTree.weighted(2, p0))
  t.equal(showBound(bind(interpreterLookup(chain(99)), lone)), '/$/inet/h/1')
  t.throws(() => bind(interpreterLookup(chain(100)), lone), {
    message: 'Max recursion level: 100 reached in Namer lookup',
  })
})

t.test('depth counts along each branch, not across branches', async (t) => {
  const a = Array.from({ length: 60 }, (_, i) => `/a${i}=>/a${i + 1}`)
  const b = Array.from({ length: 60 }, (_, i) => `/b${i}=>/b${i + 1}`)
  const dtab = Dtab.read([...a, '/a60=>/$/inet/h/1', ...b, '/b60=>/$/inet/h/2'].join(';'))
  t.equal(
    showBound(bind(interpreterLookup(dtab), NameTree.read('/a0 & /b0'))),
    '/$/inet/h/1 & /$/inet/h/2',
  )
})

t.test(
  'a loop in a union member is dropped like any error; in an alt it fails the bind',
  async (t) => {
    t.equal(shown('/loop=>/loop/x', '/loop & /#/t/a'), '/#/t/a')
    t.throws(() => bindWith('/loop=>/loop/x', '/loop | /#/t/a'), {
      message: 'Max recursion level: 100 reached in Namer lookup',
    })
  },
)

t.test('Dtab.fail binds every path to Fail', async (t) => {
  t.strictSame(bind(interpreterLookup(Dtab.fail), NameTree.read('/$/inet/h/1')), NameTree.Fail)
})
