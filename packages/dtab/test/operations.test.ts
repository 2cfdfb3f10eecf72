// Path and Dtab operations, the JSON form, and how errors are shown to people.
import {
  Dentry,
  Dtab,
  DtabJsonError,
  DtabParseError,
  elemText,
  NameTree,
  Path,
  Prefix,
  renderParseError,
  utf8Elem,
} from '@switchyard/dtab'
import t from 'tap'

t.test('path helpers work on elements', async (t) => {
  const p = Path.read('/a/b/c')
  t.ok(Path.startsWith(p, Path.read('/a/b')))
  t.notOk(Path.startsWith(p, Path.read('/a/c')))
  t.notOk(Path.startsWith(Path.read('/a'), p), 'a longer prefix never matches')
  t.same(Path.take(p, 2), ['a', 'b'])
  t.same(Path.drop(p, 2), ['c'])
  t.same(Path.drop(p, 5), [])
  t.same(Path.concat(p, Path.read('/d')), ['a', 'b', 'c', 'd'])
  t.equal(Path.concat(p, Path.empty), p, 'concatenating the empty path returns the same path')
  t.equal(Path.toString(p), 'Path(a,b,c)')
  t.equal(Path.toString(Path.empty), 'Path()')
})

t.test('text elements are UTF-8 bytes, and print escaped', async (t) => {
  t.equal(Path.show(Path.utf8('café')), '/\\x63\\x61\\x66\\xc3\\xa9')
  t.equal(elemText(utf8Elem('wörld ✓ 𝄞')), 'wörld ✓ 𝄞')
  t.equal(elemText('\xff'), '\ufffd', 'an invalid byte decodes as U+FFFD')
})

t.test('prefixes: * matches any one element, the empty prefix matches everything', async (t) => {
  t.ok(Prefix.matches(Prefix.read('/a/*/c'), Path.read('/a/x/c/d')))
  t.notOk(Prefix.matches(Prefix.read('/a/*/c'), Path.read('/a/x')))
  t.ok(Prefix.matches(Prefix.read('/'), Path.empty))
  t.equal(Prefix.show(Prefix.read('/a/*')), '/a/*')
  t.notOk(
    Prefix.matches(Prefix.read('/\\x2a'), Path.read('/x')),
    'an escaped star is a label, not a wildcard',
  )
  t.throws(() => Prefix.read('/*foo'), DtabParseError)
})

t.test('concat keeps both dtabs whole, later entries after', async (t) => {
  const a = Dtab.read('/a=>/b')
  const b = Dtab.read('/a=>/c')
  t.equal(Dtab.show(Dtab.concat(a, b)), '/a=>/b;/a=>/c')
  t.equal(Dtab.show(Dtab.concat(a, a)), '/a=>/b;/a=>/b', 'no de-duplication')
  t.equal(Dtab.concat(a, Dtab.empty), a)
  t.equal(Dtab.show(Dtab.fail), '/=>!')
})

t.test('stripPrefix removes an exact leading part, else nothing', async (t) => {
  const d = Dtab.read('/a=>/b;/c=>/d;/e=>/f')
  t.equal(Dtab.show(Dtab.stripPrefix(d, Dtab.read('/a=>/b;/c=>/d'))), '/e=>/f')
  t.equal(Dtab.stripPrefix(d, Dtab.read('/c=>/d')), d)
})

t.test('simplified drops entries that become Neg; equiv compares simplified dsts', async (t) => {
  t.equal(Dtab.show(Dtab.simplified(Dtab.read('/a=>~ | ~;/b=>/c & !'))), '/b=>/c')
  t.ok(Dtab.equiv(Dtab.read('/a=>/b | ~'), Dtab.read('/a=>/b')))
  t.notOk(Dtab.equals(Dtab.read('/a=>/b | ~'), Dtab.read('/a=>/b')))
  t.ok(Dtab.equals(Dtab.read('/a => 2*/b & /c'), Dtab.read('/a=>2.00*/b & /c')))
  t.ok(Dentry.equiv(Dentry.read('/\\x2f=>~'), Dentry.nop), 'a user dentry can be equivalent to nop')
})

t.test('the JSON form: [{prefix, dst}] both ways', async (t) => {
  const d = Dtab.read('/svc/* => /host; /host/world => 1 * /v2 & 9 * /v1')
  t.same(Dtab.toJson(d), [
    { prefix: '/svc/*', dst: '/host' },
    { prefix: '/host/world', dst: '/v2 & 9.00*/v1' },
  ])
  t.ok(Dtab.equals(Dtab.fromJson(Dtab.toJson(d)), d))
})

t.test('bad JSON dtabs name the entry and the problem', async (t) => {
  const message = (v: unknown) => {
    try {
      Dtab.fromJson(v)
      return 'parsed'
    } catch (err) {
      t.type(err, DtabJsonError)
      return (err as Error).message
    }
  }
  t.match(message({ prefix: '/a' }), /array of \{"prefix","dst"\} objects, not an object/)
  t.equal(message([null]), 'dentry 0 must be an object with "prefix" and "dst", not null')
  t.equal(
    message([
      { prefix: '/a', dst: '/b' },
      { prefix: 1, dst: '/b' },
    ]),
    'dentry 1: "prefix" must be a string',
  )
  t.equal(message([{ prefix: '/a' }]), 'dentry 0: "dst" must be a string')
  t.equal(
    message([{ prefix: '/a', dst: '/b =>' }]),
    `dentry 0: invalid dst: end of input expected but '=' found at '/b [=]>'`,
  )
  const err = t.throws(() => Dtab.fromJson([{ prefix: 'x', dst: '/b' }])) as DtabJsonError
  t.equal(err.index, 0)
  t.type(err.cause, DtabParseError)
})

t.test('renderParseError shows the line and a caret under the offset', async (t) => {
  const err = t.throws(() => Dtab.read('/svc => /host;\n/x =>> /y')) as DtabParseError
  t.equal(
    renderParseError(err),
    [
      `error: cannot parse dtab at line 2, offset 20: simple expected but '>' found at '/svc => /host;\n/x =>[>] /y'`,
      '  /x =>> /y',
      '       ^ simple expected here',
    ].join('\n'),
  )
  const atEnd = t.throws(() => NameTree.read('/a |')) as DtabParseError
  t.match(
    renderParseError(atEnd, 'name tree'),
    /at offset 4: .*\n {2}\/a \|\n {6}\^ simple expected here$/,
  )
})
