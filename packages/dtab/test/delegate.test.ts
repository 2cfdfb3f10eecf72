// Delegation trees and their JSON, byte for byte as namerd's delegate API and Linkerd's
// /delegator.json write them (semantics §13, namerd-wire §1.4).
import {
  type AddrOf,
  type Bound,
  bind,
  DelegateMaxDepthError,
  type DelegateOptions,
  type Dentry,
  Dtab,
  DtabError,
  delegate,
  delegateToNameTree,
  delegateTreeJson,
  interpreterLookup,
  type MountedNamer,
  NamerFailedError,
  NameTree,
  Path,
} from '@switchyard/dtab'
import t from 'tap'
import { errorOf, showBound, testNamer } from './helpers.js'

const json = (dtab: string | Dentry[], path: string, options?: DelegateOptions, addrOf?: AddrOf) =>
  delegateTreeJson(
    delegate(typeof dtab === 'string' ? Dtab.read(dtab) : dtab, Path.read(path), options),
    addrOf,
  )

/** A namer at /#/error that fails for every name, as Linkerd's test error namer does. */
const errorNamer: MountedNamer = {
  prefix: Path.read('/#/error'),
  namer: {
    lookup(path) {
      throw new NamerFailedError(
        `error naming ${Path.show(Path.concat(Path.read('/#/error'), path))}`,
      )
    },
  },
}

t.test('namerd’s tested example: /yeezy through /yeezy=>/yeezus', async (t) => {
  t.equal(
    json('/yeezy=>/yeezus', '/yeezy'),
    '{"type":"delegate","path":"/yeezy","delegate":{"type":"neg","path":"/yeezus","dentry":{"prefix":"/yeezy","dst":"/yeezus"}}}',
  )
  t.equal(
    json('/foo=>/bar', '/foo'),
    '{"type":"delegate","path":"/foo","delegate":{"type":"neg","path":"/bar","dentry":{"prefix":"/foo","dst":"/bar"}}}',
  )
})

t.test(
  'namerd’s tested example: a namespace dtab and a request dtab give a bare root alt',
  async (t) => {
    const dtab = Dtab.concat(Dtab.read('/yeezy=>/yeezus'), Dtab.read('/yeezy=>/bar'))
    t.equal(
      delegateTreeJson(delegate(dtab, Path.read('/yeezy'))),
      '{"type":"alt","path":"/yeezy","alt":[' +
        '{"type":"neg","path":"/bar","dentry":{"prefix":"/yeezy","dst":"/bar"}},' +
        '{"type":"neg","path":"/yeezus","dentry":{"prefix":"/yeezy","dst":"/yeezus"}}]}',
    )
  },
)

t.test(
  'Linkerd’s tested delegation: neg, bound leaf, namer error and /$/fail in one alt',
  async (t) => {
    const dtab = `
    /beh => /#/error ;
    /bah/humbug => /$/inet/127.1/8080 ;
    /foo => /bah | /beh | /$/fail ;
    /foo => /bar ;
    /boo => /foo ;
    /meh => /heh ;
  `
    const addr = '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8080,"meta":{}}],"meta":{}}'
    const addrOf: AddrOf = (b) => (Path.show(b.id) === '/$/inet/127.1/8080' ? addr : undefined)
    const alts = '"dentry":{"prefix":"/foo","dst":"/bah | /beh | /$/fail"}'
    t.equal(
      json(dtab, '/boo/humbug', { namers: [errorNamer] }, addrOf),
      '{"type":"delegate","path":"/boo/humbug","delegate":{' +
        '"type":"alt","path":"/foo/humbug","dentry":{"prefix":"/boo","dst":"/foo"},"alt":[' +
        '{"type":"neg","path":"/bar/humbug","dentry":{"prefix":"/foo","dst":"/bar"}},' +
        `{"type":"delegate","path":"/bah/humbug",${alts},"delegate":{` +
        '"type":"leaf","path":"/$/inet/127.1/8080","dentry":{"prefix":"/bah/humbug","dst":"/$/inet/127.1/8080"},' +
        `"bound":{"addr":${addr},"id":"/$/inet/127.1/8080","path":"/"}}},` +
        `{"type":"delegate","path":"/beh/humbug",${alts},"delegate":{` +
        '"type":"exception","path":"/#/error/humbug","dentry":{"prefix":"/beh","dst":"/#/error"},' +
        '"message":"error naming /#/error/humbug"}},' +
        `{"type":"fail","path":"/$/fail/humbug",${alts}}]}}`,
    )
  },
)

t.test('a root with no matching dentry is a bare neg with the requested path', async (t) => {
  t.equal(json('', '/nothing'), '{"type":"neg","path":"/nothing"}')
  t.equal(json('/a=>/b', '/c/d'), '{"type":"neg","path":"/c/d"}')
})

t.test(
  'a single dentry whose dst is an alt collapses into the root alt, with no dentry',
  async (t) => {
    t.equal(
      json('/a=>/b | /c', '/a'),
      '{"type":"alt","path":"/a","alt":[' +
        '{"type":"neg","path":"/b","dentry":{"prefix":"/a","dst":"/b | /c"}},' +
        '{"type":"neg","path":"/c","dentry":{"prefix":"/a","dst":"/b | /c"}}]}',
    )
  },
)

t.test(
  'a single dentry whose dst is a union collapses into the root union; weights are Java doubles',
  async (t) => {
    t.equal(
      json('/a=>3*/$/inet/h/1 & /$/inet/h/2 & 0.5*/$/inet/h/3', '/a'),
      '{"type":"union","path":"/a","union":[' +
        '{"weight":3.0,"tree":{"type":"leaf","path":"/$/inet/h/1","dentry":{"prefix":"/a","dst":"3.00*/$/inet/h/1 & /$/inet/h/2 & 0.50*/$/inet/h/3"},"bound":{"id":"/$/inet/h/1","path":"/"}}},' +
        '{"weight":1.0,"tree":{"type":"leaf","path":"/$/inet/h/2","dentry":{"prefix":"/a","dst":"3.00*/$/inet/h/1 & /$/inet/h/2 & 0.50*/$/inet/h/3"},"bound":{"id":"/$/inet/h/2","path":"/"}}},' +
        '{"weight":0.5,"tree":{"type":"leaf","path":"/$/inet/h/3","dentry":{"prefix":"/a","dst":"3.00*/$/inet/h/1 & /$/inet/h/2 & 0.50*/$/inet/h/3"},"bound":{"id":"/$/inet/h/3","path":"/"}}}]}',
    )
    t.match(
      json('/a=>1000000000000000000000*/$/inet/h/1 & 0*/$/inet/h/2', '/a'),
      /"weight":1\.0E21,.*"weight":0\.0,/,
    )
  },
)

t.test('an explicit ~ dst is a neg whose path is ~', async (t) => {
  t.equal(
    json('/a=>~', '/a'),
    '{"type":"delegate","path":"/a","delegate":{"type":"neg","path":"~","dentry":{"prefix":"/a","dst":"~"}}}',
  )
  t.equal(
    json('/a=>~ | /b', '/a'),
    '{"type":"alt","path":"/a","alt":[' +
      '{"type":"neg","path":"~","dentry":{"prefix":"/a","dst":"~ | /b"}},' +
      '{"type":"neg","path":"/b","dentry":{"prefix":"/a","dst":"~ | /b"}}]}',
  )
})

t.test('an explicit ! dst is a fail whose path is !; /$/fail keeps its path', async (t) => {
  t.equal(
    json('/a=>!', '/a'),
    '{"type":"delegate","path":"/a","delegate":{"type":"fail","path":"!","dentry":{"prefix":"/a","dst":"!"}}}',
  )
  t.equal(
    json('/a=>/$/fail', '/a/x'),
    '{"type":"delegate","path":"/a/x","delegate":{"type":"fail","path":"/$/fail/x","dentry":{"prefix":"/a","dst":"/$/fail"}}}',
  )
})

t.test('$ and /$/nil are empty nodes', async (t) => {
  t.equal(
    json('/a=>$', '/a'),
    '{"type":"delegate","path":"/a","delegate":{"type":"empty","path":"/a","dentry":{"prefix":"/a","dst":"$"}}}',
  )
  t.equal(
    json('/a=>/$/nil', '/a'),
    '{"type":"delegate","path":"/a","delegate":{"type":"empty","path":"/$/nil","dentry":{"prefix":"/a","dst":"/$/nil"}}}',
  )
})

t.test(
  'a bound leaf’s path is the full looked-up path; its bound path is the residual',
  async (t) => {
    t.equal(
      json('/s=>/$/inet/127.1/8080', '/s/ya'),
      '{"type":"delegate","path":"/s/ya","delegate":{"type":"leaf","path":"/$/inet/127.1/8080/ya","dentry":{"prefix":"/s","dst":"/$/inet/127.1/8080"},"bound":{"id":"/$/inet/127.1/8080","path":"/ya"}}}',
    )
    t.equal(
      json('', '/$/inet/127.1/8080/ya'),
      '{"type":"leaf","path":"/$/inet/127.1/8080/ya","bound":{"id":"/$/inet/127.1/8080","path":"/ya"}}',
      'bound at the root',
    )
  },
)

t.test(
  'each rewrite to a new path is a delegate node carrying the dentry that made it',
  async (t) => {
    t.equal(
      json('/s=>/t;/t=>/$/inet/h/1', '/s'),
      '{"type":"delegate","path":"/s","delegate":{"type":"delegate","path":"/t","dentry":{"prefix":"/s","dst":"/t"},"delegate":{"type":"leaf","path":"/$/inet/h/1","dentry":{"prefix":"/t","dst":"/$/inet/h/1"},"bound":{"id":"/$/inet/h/1","path":"/"}}}}',
    )
  },
)

t.test('the nop dentry is hidden, and so is a user dentry equivalent to it', async (t) => {
  t.notMatch(json('/a=>/b', '/a'), /"path":"\/a","dentry"/)
  t.equal(
    json('/\\x2f=>~', '/\\x2f/x'),
    '{"type":"delegate","path":"/\\\\x2f/x","delegate":{"type":"neg","path":"~"}}',
  )
  t.equal(
    json('/\\x2f=>~ | ~', '/\\x2f/x'),
    '{"type":"alt","path":"/\\\\x2f/x","alt":[{"type":"neg","path":"~"},{"type":"neg","path":"~"}]}',
    'equivalent, not equal: its dst simplifies to ~',
  )
})

t.test('unlike bind, every alternative is followed and shown', async (t) => {
  const fs = testNamer('t', ['a', 'b'])
  t.equal(
    json('/s=>/#/t/a | /#/t/b', '/s', { namers: [fs] }),
    '{"type":"alt","path":"/s","alt":[' +
      '{"type":"leaf","path":"/#/t/a","dentry":{"prefix":"/s","dst":"/#/t/a | /#/t/b"},"bound":{"id":"/#/t/a","path":"/"}},' +
      '{"type":"leaf","path":"/#/t/b","dentry":{"prefix":"/s","dst":"/#/t/a | /#/t/b"},"bound":{"id":"/#/t/b","path":"/"}}]}',
  )
  t.strictSame(fs.asked, ['/a', '/b'])
})

t.test(
  'alternatives from several dentries are spliced into one alt, the last dentry first',
  async (t) => {
    const tree = delegate(Dtab.read('/s=>/#/t/a;/s=>/#/t/b | /#/t/missing'), Path.read('/s'), {
      namers: [testNamer('t', ['a', 'b'])],
    })
    t.equal(tree.type, 'alt')
    if (tree.type !== 'alt') return
    t.strictSame(
      tree.trees.map((m) => `${m.type} ${Path.show(m.path)}`),
      ['leaf /#/t/b', 'neg /#/t/missing', 'leaf /#/t/a'],
    )
  },
)

t.test('a nested alt of the same path is spliced; a union never is', async (t) => {
  t.equal(
    json('/s=>(/a | /b) | /c', '/s'),
    '{"type":"alt","path":"/s","alt":[' +
      '{"type":"neg","path":"/a","dentry":{"prefix":"/s","dst":"(/a | /b) | /c"}},' +
      '{"type":"neg","path":"/b","dentry":{"prefix":"/s","dst":"(/a | /b) | /c"}},' +
      '{"type":"neg","path":"/c","dentry":{"prefix":"/s","dst":"(/a | /b) | /c"}}]}',
  )
  const d = '"dentry":{"prefix":"/s","dst":"(/a & /b) & /c"}'
  t.equal(
    json('/s=>(/a & /b) & /c', '/s'),
    '{"type":"union","path":"/s","union":[' +
      `{"weight":1.0,"tree":{"type":"union","path":"/s",${d},"union":[` +
      `{"weight":1.0,"tree":{"type":"neg","path":"/a",${d}}},` +
      `{"weight":1.0,"tree":{"type":"neg","path":"/b",${d}}}]}},` +
      `{"weight":1.0,"tree":{"type":"neg","path":"/c",${d}}}]}`,
  )
})

t.test('an alt for another path stays nested, under the dentry that led to it', async (t) => {
  t.equal(
    json('/s=>/x;/x=>/a | /b', '/s'),
    '{"type":"delegate","path":"/s","delegate":{"type":"alt","path":"/x","dentry":{"prefix":"/s","dst":"/x"},"alt":[' +
      '{"type":"neg","path":"/a","dentry":{"prefix":"/x","dst":"/a | /b"}},' +
      '{"type":"neg","path":"/b","dentry":{"prefix":"/x","dst":"/a | /b"}}]}}',
  )
  const tree = delegate(Dtab.read('/s=>/x | /y;/x=>/a | /b'), Path.read('/s'))
  t.equal(tree.type, 'alt')
  if (tree.type !== 'alt') return
  t.strictSame(
    tree.trees.map((m) => `${m.type} ${Path.show(m.path)}`),
    ['alt /x', 'neg /y'],
  )
})

t.test(
  'one-member and empty alts and unions built by hand delegate as the rules say',
  async (t) => {
    const s = Path.read('/s')
    t.equal(
      json([{ prefix: s, dst: NameTree.alt(NameTree.leaf(Path.read('/x'))) }], '/s'),
      '{"type":"delegate","path":"/s","delegate":{"type":"neg","path":"/x","dentry":{"prefix":"/s","dst":"/x"}}}',
    )
    t.equal(
      json(
        [
          {
            prefix: s,
            dst: NameTree.union(NameTree.weighted(3, NameTree.leaf(Path.read('/$/inet/h/1')))),
          },
        ],
        '/s',
      ),
      '{"type":"delegate","path":"/s","delegate":{"type":"leaf","path":"/$/inet/h/1","dentry":{"prefix":"/s","dst":"/$/inet/h/1"},"bound":{"id":"/$/inet/h/1","path":"/"}}}',
    )
    t.equal(
      json([{ prefix: s, dst: NameTree.alt() }], '/s'),
      '{"type":"delegate","path":"/s","delegate":{"type":"neg","path":"/s","dentry":{"prefix":"/s","dst":""}}}',
    )
    t.equal(
      json([{ prefix: s, dst: NameTree.union() }], '/s'),
      '{"type":"delegate","path":"/s","delegate":{"type":"neg","path":"/s","dentry":{"prefix":"/s","dst":""}}}',
    )
  },
)

t.test('a lone ~ dentry ends delegation although bind looks past it to the namers', async (t) => {
  // Linkerd's delegateLookup consults the namers only when no dentry matches at all; one match
  // is a delegate node even when its dst is ~. bind sees an exactly-Neg lookup and goes on.
  t.equal(
    json('/$=>~', '/$/inet/h/1'),
    '{"type":"delegate","path":"/$/inet/h/1","delegate":{"type":"neg","path":"~","dentry":{"prefix":"/$","dst":"~"}}}',
  )
  t.equal(
    showBound(bind(interpreterLookup(Dtab.read('/$=>~')), NameTree.read('/$/inet/h/1'))),
    '/$/inet/h/1',
  )
})

t.test('a namer error becomes an exception node with the error’s message', async (t) => {
  t.equal(
    json('', '/#/error/x', { namers: [errorNamer] }),
    '{"type":"exception","path":"/#/error/x","message":"error naming /#/error/x"}',
  )
  t.equal(
    json('/s=>/#/error', '/s/x', { namers: [errorNamer] }),
    '{"type":"delegate","path":"/s/x","delegate":{"type":"exception","path":"/#/error/x","dentry":{"prefix":"/s","dst":"/#/error"},"message":"error naming /#/error/x"}}',
  )
})

t.test('an unknown /$/<kind> is an exception node naming the namer and the path', async (t) => {
  t.equal(
    json('', '/$/cls/x'),
    '{"type":"exception","path":"/$/cls/x","message":"Unknown namer: cls for path: /$/cls/x"}',
  )
})

t.test('a message is JSON-escaped', async (t) => {
  const quoting: MountedNamer = {
    prefix: Path.read('/#/q'),
    namer: {
      lookup() {
        throw new Error('bad "name"\n')
      },
    },
  }
  t.equal(
    json('', '/#/q/x', { namers: [quoting] }),
    '{"type":"exception","path":"/#/q/x","message":"bad \\"name\\"\\n"}',
  )
})

t.test('control characters escape as Jackson writes them, in upper-case hex', async (t) => {
  const controlling: MountedNamer = {
    prefix: Path.read('/#/c'),
    namer: {
      lookup() {
        throw new Error('a\u001fb\u0000c\td\\u001f')
      },
    },
  }
  t.equal(
    json('', '/#/c/x', { namers: [controlling] }),
    '{"type":"exception","path":"/#/c/x","message":"a\\u001Fb\\u0000c\\td\\\\u001f"}',
    'a backslash followed by u001f is text, and stays as it is',
  )
})

t.test(
  'a failing member of a union becomes an exception with the union’s path and dentry',
  async (t) => {
    t.equal(
      json('/loop=>/loop/x;/s=>/loop & /$/inet/h/1', '/s'),
      '{"type":"union","path":"/s","union":[' +
        '{"weight":1.0,"tree":{"type":"exception","path":"/s","dentry":{"prefix":"/s","dst":"/loop & /$/inet/h/1"},"message":"Max recursion level reached."}},' +
        '{"weight":1.0,"tree":{"type":"leaf","path":"/$/inet/h/1","dentry":{"prefix":"/s","dst":"/loop & /$/inet/h/1"},"bound":{"id":"/$/inet/h/1","path":"/"}}}]}',
    )
  },
)

t.test('a loop in an alt branch becomes an exception; the other branch still shows', async (t) => {
  const json1 = json('/loop=>/loop/x;/s=>/loop | /#/t/a', '/s', { namers: [testNamer('t', ['a'])] })
  t.equal(
    json1,
    '{"type":"alt","path":"/s","alt":[' +
      '{"type":"exception","path":"/s","dentry":{"prefix":"/s","dst":"/loop | /#/t/a"},"message":"Max recursion level reached."},' +
      '{"type":"leaf","path":"/#/t/a","dentry":{"prefix":"/s","dst":"/loop | /#/t/a"},"bound":{"id":"/#/t/a","path":"/"}}]}',
  )
})

t.test(
  'a failing branch among several matching dentries takes the alt’s dentry, not its own',
  async (t) => {
    // The alt of /a's two matches carries the dentry that led to /a: /b=>/a here, and the
    // hidden root dentry when /a is the requested path itself.
    t.equal(
      json('/b=>/a;/a=>/loop;/a=>/$/inet/h/1;/loop=>/loop/x', '/b'),
      '{"type":"delegate","path":"/b","delegate":{"type":"alt","path":"/a","dentry":{"prefix":"/b","dst":"/a"},"alt":[' +
        '{"type":"leaf","path":"/$/inet/h/1","dentry":{"prefix":"/a","dst":"/$/inet/h/1"},"bound":{"id":"/$/inet/h/1","path":"/"}},' +
        '{"type":"exception","path":"/a","dentry":{"prefix":"/b","dst":"/a"},"message":"Max recursion level reached."}]}}',
    )
    t.equal(
      json('/a=>/loop;/a=>/$/inet/h/1;/loop=>/loop/x', '/a'),
      '{"type":"alt","path":"/a","alt":[' +
        '{"type":"leaf","path":"/$/inet/h/1","dentry":{"prefix":"/a","dst":"/$/inet/h/1"},"bound":{"id":"/$/inet/h/1","path":"/"}},' +
        '{"type":"exception","path":"/a","message":"Max recursion level reached."}]}',
    )
  },
)

/** n dtab rewrites /p0 → … → /$/inet/h/1, as in the bind tests. */
function chain(n: number): Dtab {
  const entries = Array.from({ length: n - 1 }, (_, i) => `/p${i}=>/p${i + 1}`)
  entries.push(`/p${n - 1}=>/$/inet/h/1`)
  return Dtab.read(entries.join(';'))
}

t.test(
  'outside any alt or union the depth limit fails the whole call: 99 rewrites delegate, 100 fail',
  async (t) => {
    t.match(
      delegateTreeJson(delegate(chain(99), Path.read('/p0'))),
      /"type":"leaf","path":"\/\$\/inet\/h\/1"/,
    )
    const err = errorOf(() => delegate(chain(100), Path.read('/p0')))
    t.type(err, DelegateMaxDepthError)
    t.type(err, DtabError)
    t.equal(err.message, 'Max recursion level reached.')
    t.equal((err as DelegateMaxDepthError).code, 'delegate_max_depth')
    t.equal(
      errorOf(() => delegate(Dtab.read('/s=>/s/x'), Path.read('/s'))).message,
      'Max recursion level reached.',
    )
  },
)

t.test('an alt or a union on the way is not a level: only rewrites count', async (t) => {
  /** chain(n), but every dst is `/p(i+1) | ~` (or `&`), so each level holds an alt (a union). */
  const wrapped = (n: number, op: '|' | '&') =>
    Dtab.read(
      Array.from({ length: n }, (_, i) =>
        i < n - 1 ? `/p${i}=>/p${i + 1} ${op} ~` : `/p${i}=>/$/inet/h/1 ${op} ~`,
      ).join(';'),
    )
  for (const op of ['|', '&'] as const) {
    const ok = delegateTreeJson(delegate(wrapped(99, op), Path.read('/p0')))
    t.match(ok, /"type":"leaf","path":"\/\$\/inet\/h\/1"/, `99 rewrites through ${op}`)
    t.notMatch(ok, /"type":"exception"/)
    const deep = delegateTreeJson(delegate(wrapped(100, op), Path.read('/p0')))
    t.match(
      deep,
      /"type":"exception","path":"\/p99",[^}]*\},"message":"Max recursion level reached\."/,
    )
    t.notMatch(deep, /"type":"leaf"/, `100 rewrites through ${op}`)
  }
})

t.test('the delegate depth limit is configurable', async (t) => {
  t.equal(delegate(chain(1), Path.read('/p0'), { maxDepth: 2 }).type, 'delegate')
  t.throws(() => delegate(chain(2), Path.read('/p0'), { maxDepth: 2 }), {
    message: 'Max recursion level reached.',
  })
})

t.test('addrOf supplies a bound leaf’s addr verbatim; undefined leaves it out', async (t) => {
  const addrOf: AddrOf = (b: Bound) =>
    Path.show(b.id) === '/$/inet/h/1' ? '{"type":"pending"}' : undefined
  t.equal(
    json('/a=>/$/inet/h/1 & /$/inet/h/2', '/a', {}, addrOf),
    '{"type":"union","path":"/a","union":[' +
      '{"weight":1.0,"tree":{"type":"leaf","path":"/$/inet/h/1","dentry":{"prefix":"/a","dst":"/$/inet/h/1 & /$/inet/h/2"},"bound":{"addr":{"type":"pending"},"id":"/$/inet/h/1","path":"/"}}},' +
      '{"weight":1.0,"tree":{"type":"leaf","path":"/$/inet/h/2","dentry":{"prefix":"/a","dst":"/$/inet/h/1 & /$/inet/h/2"},"bound":{"id":"/$/inet/h/2","path":"/"}}}]}',
  )
})

t.test('a delegation tree stands for the name tree of its bound leaves', async (t) => {
  const fs = testNamer('t', ['a', 'b'])
  const tree = delegate(
    Dtab.read('/s=>/t;/t=>2*/#/t/a & (/#/t/missing | /#/t/b)'),
    Path.read('/s'),
    {
      namers: [fs],
    },
  )
  t.equal(showBound(delegateToNameTree(tree)), '2.00*/#/t/a & (~ | /#/t/b)')
  t.strictSame(
    delegateToNameTree(delegate(Dtab.read('/a=>! | $'), Path.read('/a'))),
    NameTree.alt(NameTree.Fail, NameTree.Empty),
  )
})

t.test(
  'turning a tree with an exception node back into a name tree throws its error',
  async (t) => {
    const tree = delegate(Dtab.read('/s=>/#/t/broken | /#/t/a'), Path.read('/s'), {
      namers: [testNamer('t', ['a'])],
    })
    t.equal(
      delegateTreeJson(tree),
      '{"type":"alt","path":"/s","alt":[' +
        '{"type":"exception","path":"/#/t/broken","dentry":{"prefix":"/s","dst":"/#/t/broken | /#/t/a"},"message":"error naming /#/t/broken"},' +
        '{"type":"leaf","path":"/#/t/a","dentry":{"prefix":"/s","dst":"/#/t/broken | /#/t/a"},"bound":{"id":"/#/t/a","path":"/"}}]}',
    )
    t.throws(() => delegateToNameTree(tree), { message: 'error naming /#/t/broken' })
  },
)
