// Every worked example of ../shared/reference/dtab-semantics.md, pinned as stated there.
import {
  bind,
  Dtab,
  DtabParseError,
  delegate,
  delegateTreeJson,
  formatWeight,
  interpreterLookup,
  NameTree,
  Path,
} from '@switchyard/dtab'
import t from 'tap'

const lookupShow = (dtab: string, path: string) =>
  NameTree.show(Dtab.lookup(Dtab.read(dtab), Path.read(path)))

function parseMessage(read: (s: string) => unknown, input: string): string {
  try {
    read(input)
  } catch (err) {
    if (err instanceof DtabParseError) return err.message
    throw err
  }
  throw new Error(`expected ${JSON.stringify(input)} not to parse`)
}

t.test('parse errors carry Finagle messages, byte for byte (§6)', async (t) => {
  const cases: [(s: string) => unknown, string, string][] = [
    [Path.read, 'invalid-param', `'/' expected but 'i' found at '[i]nvalid-param'`],
    [Dtab.read, 'invalid-param', `'/' expected but 'i' found at '[i]nvalid-param'`],
    [Path.read, '/foo^bar', `end of input expected but '^' found at '/foo[^]bar'`],
    [Path.read, '/foo/bar/', `label char expected but end of input found at '/foo/bar/[]'`],
    [Path.read, '/\\x0?', `hex char expected but '?' found at '/\\x0[?]'`],
    [Path.read, '/\\?', `'x' expected but '?' found at '/\\[?]'`],
    [NameTree.read, '', `simple expected but end of input found at '[]'`],
    [
      NameTree.read,
      '/foo & 0.1.2 * /bar',
      `number char expected but '.' found at '/foo & 0.1[.]2 * /bar'`,
    ],
    [NameTree.read, '/foo & . * /bar', `weight expected but '.' found at '/foo & .[ ]* /bar'`],
    [Dtab.read, '/foo/*bar/baz => !', `'=' expected but 'b' found at '/foo/*[b]ar/baz => !'`],
    [Dtab.read, '/a = > /b', `'>' expected but ' ' found at '/a =[ ]> /b'`],
    [Dtab.read, '/a=>/b;;', `'/' expected but ';' found at '/a=>/b;[;]'`],
    [NameTree.read, '١ * /a', 'For input string: "١"'],
    [NameTree.read, '()', `simple expected but ')' found at '([)]'`],
    [NameTree.read, '-1 * /a', `simple expected but '-' found at '[-]1 * /a'`],
    [NameTree.read, '1e3 * /a', `'*' expected but 'e' found at '1[e]3 * /a'`],
  ]
  for (const [read, input, message] of cases) t.equal(parseMessage(read, input), message, input)
})

t.test('a parse error knows its offset and what was expected', async (t) => {
  const err = t.throws(() => Dtab.read('/a=>/b;;')) as DtabParseError
  t.type(err, DtabParseError)
  t.equal(err.code, 'dtab_parse')
  t.equal(err.offset, 7)
  t.equal(err.expected, `'/'`)
})

t.test(
  'whitespace is Java whitespace, and # comments only where whitespace may be (§1)',
  async (t) => {
    t.equal(Dtab.show(Dtab.read('\u2003/a\u001c=>\t/b ; ')), '/a=>/b')
    t.throws(() => Dtab.read('\u00a0/a=>/b'), DtabParseError, 'U+00A0 is not whitespace to Java')
    t.equal(Dtab.show(Dtab.read('/a=>#c\n/b')), '/a=>/b', 'comment right after =>')
    t.equal(Path.show(Path.read('/#/io.l5d.fs')), '/#/io.l5d.fs')
    t.same(Path.read('/foo#bar'), ['foo#bar'])
    t.same(Path.read('/foo #bar'), ['foo'])
  },
)

t.test(
  'paths: escapes are bytes; a non-showable byte escapes the whole element (§2)',
  async (t) => {
    t.equal(Path.show(Path.read('/caf\\xc3\\xa9')), '/\\x63\\x61\\x66\\xc3\\xa9')
    t.equal(Path.show(Path.read('/\\xFF')), '/\\xff')
    t.ok(Path.equals(Path.read('/\\x61'), Path.read('/a')))
    t.same(Path.read('/a\\x2fb'), ['a/b'], '\\x2f is a slash byte inside one element')
    t.equal(Path.show(Path.empty), '/')
    t.throws(() => Path.read('/a//b'), DtabParseError)
    t.throws(() => Path.read('/a b'), DtabParseError)
    t.throws(() => Path.read('/é'), DtabParseError, 'raw non-ASCII is illegal')
  },
)

t.test('name tree precedence, no flattening, and the lone-weight quirk (§4)', async (t) => {
  t.same(
    NameTree.read('/a & /b | /c'),
    NameTree.alt(
      NameTree.union(
        NameTree.weighted(1, NameTree.leaf(['a'])),
        NameTree.weighted(1, NameTree.leaf(['b'])),
      ),
      NameTree.leaf(['c']),
    ),
  )
  t.equal(NameTree.show(NameTree.read('(/a | /b) | /c')), '(/a | /b) | /c')
  t.equal(NameTree.show(NameTree.read('(/a & /b) | /c')), '/a & /b | /c')
  t.equal(NameTree.show(NameTree.read('/a & (/b | /c)')), '/a & (/b | /c)')
  t.same(NameTree.read('2 * /a'), NameTree.leaf(['a']))
  t.equal(NameTree.show(NameTree.read('(2 * /a) & /b')), '/a & /b')
  t.equal(NameTree.show(NameTree.read('2 * (2*/a & /b)')), '2.00*/a & /b')
  t.equal(NameTree.show(NameTree.read('.5*/a & 1.*/b & 0*/c')), '0.50*/a & /b & 0.00*/c')
  t.equal(NameTree.show(NameTree.read('3 * (/a & /b) & /c')), '3.00*(/a & /b) & /c')
})

t.test('dtab syntax: one trailing ;, newlines and commas are not separators (§5)', async (t) => {
  t.same(Dtab.read(''), [])
  t.same(Dtab.read('  # only a comment'), [])
  t.equal(Dtab.show(Dtab.read('/a=>/b;')), '/a=>/b')
  for (const bad of [';', ';/a=>/b', '/a=>/b\n/c=>/d', '/a=>/b,/c=>/d'])
    t.throws(() => Dtab.read(bad), DtabParseError, bad)
})

t.test('printing: dentries without spaces, trees with them (§7)', async (t) => {
  t.equal(
    Dtab.show(Dtab.read('/host/world => 1 * /tmp/world-v2 & 9 * /tmp/world-v1; /x => /y')),
    '/host/world=>/tmp/world-v2 & 9.00*/tmp/world-v1;/x=>/y',
  )
  t.equal(NameTree.show(NameTree.alt()), '')
  t.equal(
    NameTree.show(
      NameTree.union(
        NameTree.weighted(1, NameTree.alt()),
        NameTree.weighted(1, NameTree.leaf(['a'])),
      ),
    ),
    '() & /a',
  )
  t.equal(NameTree.show(NameTree.read('! | ~ | $')), '! | ~ | $')
})

t.test(
  'weights print as Java %.2f: half-up on the shortest decimal, never exponents (§7)',
  async (t) => {
    const table: [number, string][] = [
      [1.005, '1.01'],
      [2.675, '2.68'],
      [0.015, '0.02'],
      [0.995, '1.00'],
      [0.125, '0.13'],
      [1e21, '1000000000000000000000.00'],
      [0.999, '1.00'],
    ]
    for (const [w, s] of table) t.equal(formatWeight(w), s, String(w))
    t.equal(
      NameTree.show(NameTree.read('0.999*/a & /b')),
      '1.00*/a & /b',
      'only exactly 1.0 is omitted',
    )
  },
)

t.test('lookup: every match, last first, not simplified (§9)', async (t) => {
  t.equal(lookupShow('/a=>/b;/a/b=>/c;/a/b/c=>/d', '/a/b/c/e'), '/d/e | /c/c/e | /b/b/c/e')
  t.equal(lookupShow('/a/b/c=>/d;/a/b=>/c;/a=>/b', '/a/b/c/e'), '/b/b/c/e | /c/c/e | /d/e')
  t.equal(lookupShow('/a=>2*/b & /c', '/a/x'), '2.00*/b/x & /c/x')
  t.equal(lookupShow('/a=>/b;/a=>~', '/a'), '~ | /b')
  t.equal(lookupShow('/a=>~;/a=>~', '/a'), '~ | ~')
  t.equal(lookupShow('/a=>/b | /c;/a=>/d', '/a/x'), '/d/x | (/b/x | /c/x)')
  t.equal(lookupShow('/a/*/c=>/d', '/a/b/c/e'), '/d/e', 'a wildcard consumes one element')
  t.equal(
    lookupShow('/=>/x', '/$/inet/h/1'),
    '/x/$/inet/h/1',
    'the empty prefix matches everything',
  )
  t.equal(lookupShow('/a=>/b', '/c'), '~')
})

t.test('binding: exact-Neg fallthrough to the namers (§10)', async (t) => {
  const bound = (dtab: string, path: string) =>
    NameTree.showWith(
      bind(interpreterLookup(Dtab.read(dtab)), NameTree.leaf(Path.read(path))),
      (b) => Path.show(b.id),
    )
  t.equal(bound('/$=>~', '/$/inet/h/1'), '/$/inet/h/1', 'one ~ dentry is invisible')
  t.equal(bound('/$=>~;/$=>~', '/$/inet/h/1'), '~', 'two block resolution')
  t.equal(bound('', '/$/inet/1234/5678'), '/$/inet/1234/5678', 'host-and-port form first')
  t.equal(bound('', '/$/fail'), '!')
  t.equal(bound('', '/$/nil'), '$')
  t.equal(bound('/s=>/$/failover', '/x'), '~')
  t.throws(() => bound('', '/$/failover/x'), {
    message: 'Unknown namer: failover for path: /$/failover/x',
  })
  t.throws(() => bound('', '/$/inet/host/notaport'), {
    message: 'Unknown namer: inet for path: /$/inet/host/notaport',
  })
})

t.test('the depth limit: 99 rewrites bind, 100 fail (§10)', async (t) => {
  const chain = (n: number) =>
    Dtab.read(
      [
        ...Array.from({ length: n - 1 }, (_, i) => `/p${i}=>/p${i + 1}`),
        `/p${n - 1}=>/$/inet/h/1`,
      ].join(';'),
    )
  const leaf = NameTree.leaf(Path.read('/p0'))
  t.equal(bind(interpreterLookup(chain(99)), leaf).type, 'leaf')
  t.throws(() => bind(interpreterLookup(chain(100)), leaf), {
    message: 'Max recursion level: 100 reached in Namer lookup',
  })
  t.throws(() => delegate(chain(100), Path.read('/p0')), {
    message: 'Max recursion level reached.',
  })
})

t.test('simplify and eval (§12)', async (t) => {
  const simp = (s: string) => NameTree.show(NameTree.simplify(NameTree.read(s)))
  t.equal(simp('~ | /a | ! | /b'), '/a | !')
  t.equal(simp('/a & ! & ~'), '/a')
  t.equal(simp('2*/a & 3*/b & ~'), '2.00*/a & 3.00*/b')
  t.equal(simp('$ | /a'), '$ | /a')
  t.equal(simp('(/a | /b) | /c'), '(/a | /b) | /c')
  const ev = (s: string) => {
    const r = NameTree.eval(NameTree.read(s))
    return r === undefined ? undefined : [...r].map(Path.show).sort()
  }
  t.same(ev('/ok & !'), ['/ok'])
  t.equal(ev('! & ! & !'), undefined)
  t.same(ev('$'), [])
  t.equal(ev('~ | ! | /a'), undefined, 'Fail stops an Alt')
  t.same(ev('~ | $ | /a'), [], 'Empty is a success')
  t.same(ev('/a & /a & /b'), ['/a', '/b'])
})

t.test('delegate JSON matches Linkerd byte for byte (§13)', async (t) => {
  const json = (dtab: string, path: string) =>
    delegateTreeJson(delegate(Dtab.read(dtab), Path.read(path)))
  t.equal(
    json('/yeezy=>/yeezus', '/yeezy'),
    '{"type":"delegate","path":"/yeezy","delegate":{"type":"neg","path":"/yeezus","dentry":{"prefix":"/yeezy","dst":"/yeezus"}}}',
  )
  t.equal(
    json('', '/nothing'),
    '{"type":"neg","path":"/nothing"}',
    'root with no match: a bare neg',
  )
  t.equal(
    json('/a=>~', '/a'),
    '{"type":"delegate","path":"/a","delegate":{"type":"neg","path":"~","dentry":{"prefix":"/a","dst":"~"}}}',
  )
  t.equal(
    json('/a=>!', '/a'),
    '{"type":"delegate","path":"/a","delegate":{"type":"fail","path":"!","dentry":{"prefix":"/a","dst":"!"}}}',
  )
  const union = JSON.parse(json('/a=>3*/$/inet/h/1 & /$/inet/h/2', '/a')) as {
    type: string
    union: { weight: number }[]
  }
  t.equal(union.type, 'union', 'a single dentry whose dst is a union collapses into the root')
  t.match(json('/a=>3*/$/inet/h/1 & /$/inet/h/2', '/a'), /"weight":3\.0,.*"weight":1\.0,/)
  const alt = JSON.parse(json('/yeezy=>/bar;/yeezy=>/baz', '/yeezy')) as {
    type: string
    dentry?: unknown
    alt: unknown[]
  }
  t.equal(alt.type, 'alt')
  t.equal(alt.dentry, undefined, 'the root alt has no dentry')
  t.equal(alt.alt.length, 2)
})
