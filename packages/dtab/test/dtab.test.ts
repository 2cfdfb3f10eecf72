// Dtab operations: concat, stripPrefix, simplified, equality and equivalence, Dtab.fail, and the
// JSON form both ways, with DtabJsonError for JSON that is not a dtab (semantics §8).
import {
  Dentry,
  Dtab,
  DtabError,
  DtabJsonError,
  DtabParseError,
  NameTree,
  Path,
} from '@switchyard/dtab'
import t from 'tap'
import { errorOf } from './helpers.js'

const read = Dtab.read
const show = Dtab.show

t.test(
  'concat puts the first dtab’s entries before the second’s, without de-duplicating',
  async (t) => {
    const a = read('/a=>/b')
    const b = read('/a=>/c;/d=>/e')
    t.equal(show(Dtab.concat(a, b)), '/a=>/b;/a=>/c;/d=>/e')
    t.equal(show(Dtab.concat(b, a)), '/a=>/c;/d=>/e;/a=>/b')
    t.equal(show(Dtab.concat(a, a)), '/a=>/b;/a=>/b')
    t.equal(show(a), '/a=>/b', 'the operands are not changed')
  },
)

t.test('concat with the empty dtab gives the other dtab', async (t) => {
  const d = read('/a=>/b')
  t.equal(Dtab.concat(d, Dtab.empty), d, 'd ++ empty is d itself')
  t.ok(Dtab.equals(Dtab.concat(Dtab.empty, d), d))
  t.strictSame(Dtab.concat(Dtab.empty, Dtab.empty), [])
})

t.test('appending one dentry is concat with a one-entry dtab', async (t) => {
  const d = Dtab.concat(read('/a=>/b'), [Dentry.read('/c=>/d')])
  t.equal(show(d), '/a=>/b;/c=>/d')
})

t.test('later entries win: a request dtab concatenated last is tried first', async (t) => {
  const namespace = read('/svc=>/#/io.l5d.fs')
  const request = read('/svc/web=>/#/io.l5d.fs/web-v2')
  const tree = Dtab.lookup(Dtab.concat(namespace, request), Path.read('/svc/web'))
  t.equal(NameTree.show(tree), '/#/io.l5d.fs/web-v2 | /#/io.l5d.fs/web')
})

t.test('stripPrefix removes an exact leading run of entries', async (t) => {
  const d = read('/a=>/b;/c=>/d;/e=>/f')
  t.equal(show(Dtab.stripPrefix(d, read('/a=>/b'))), '/c=>/d;/e=>/f')
  t.equal(show(Dtab.stripPrefix(d, read('/a=>/b;/c=>/d'))), '/e=>/f')
  t.strictSame(Dtab.stripPrefix(d, d), [], 'the whole dtab strips to empty')
  t.strictSame(Dtab.stripPrefix(d, read('/a=>/b;/c=>/d;/e=>/f')), [], 'an equal copy too')
})

t.test('stripPrefix returns the dtab unchanged when the other is not its prefix', async (t) => {
  const d = read('/a=>/b;/c=>/d')
  t.equal(Dtab.stripPrefix(d, read('/c=>/d')), d, 'a later entry is not a prefix')
  t.equal(Dtab.stripPrefix(d, read('/a=>/b;/c=>/d;/e=>/f')), d, 'a longer dtab')
  t.equal(Dtab.stripPrefix(d, Dtab.empty), d, 'the empty dtab')
  t.equal(Dtab.stripPrefix(Dtab.empty, d), Dtab.empty)
  t.equal(
    Dtab.stripPrefix(d, read('/a=>/b | ~')),
    d,
    'entries compare structurally, not by equivalence',
  )
})

t.test('stripPrefix compares weights by value, not by their text', async (t) => {
  const d = read('/a=>2*/b & /c;/x=>/y')
  t.equal(show(Dtab.stripPrefix(d, read('/a => 2.00*/b & 1*/c'))), '/x=>/y')
})

t.test('simplified simplifies every dst and drops entries that become Neg', async (t) => {
  t.equal(show(Dtab.simplified(read('/a=>~ | ~;/b=>/c & !'))), '/b=>/c')
  t.equal(show(Dtab.simplified(read('/a=>(/b | ~);/c=>!;/d=>~'))), '/a=>/b;/c=>!')
  t.equal(show(Dtab.simplified(read('/a=>2*/b & ~ & 3*/c'))), '/a=>2.00*/b & 3.00*/c')
  t.equal(show(Dtab.simplified(read('/a=>$ | /b'))), '/a=>$ | /b', 'Empty is not Neg')
  t.strictSame(Dtab.simplified(Dtab.empty), [])
})

t.test(
  'equality is structural: same prefixes, same trees, weights compared by value',
  async (t) => {
    t.ok(Dtab.equals(read('/a => 2*/b & /c'), read('/a=>2.00*/b & /c')))
    t.ok(Dtab.equals(read('/a/*=>/b'), read(' /a/* => /b ; ')))
    t.notOk(Dtab.equals(read('/a=>/b | ~'), read('/a=>/b')))
    t.notOk(Dtab.equals(read('/a=>/b;/c=>/d'), read('/c=>/d;/a=>/b')), 'order matters')
    t.notOk(Dtab.equals(read('/a=>/b'), read('/a=>/b;/a=>/b')))
    t.notOk(Dtab.equals(read('/a/*=>/b'), read('/a/\\x2a=>/b')), 'a wildcard is not a star label')
    t.notOk(Dtab.equals(read('/a=>(/b | /c) | /d'), read('/a=>/b | (/c | /d)')), 'no flattening')
  },
)

t.test('equivalence compares the simplified dsts', async (t) => {
  t.ok(Dtab.equiv(read('/a=>/b | ~'), read('/a=>/b')))
  t.ok(Dtab.equiv(read('/a=>/b & !'), read('/a=>/b')))
  t.ok(Dtab.equiv(read('/a=>~ | ~'), read('/a=>~')))
  t.notOk(Dtab.equiv(read('/a=>/b'), read('/a=>/c')))
  t.notOk(Dtab.equiv(read('/a=>~'), Dtab.empty), 'entries are not dropped')
  t.notOk(Dtab.equiv(read('/a=>/b'), read('/x=>/b')), 'prefixes must be equal')
})

t.test('Dentry.equiv: the user dentry /\\x2f=>~ is equivalent to Dentry.nop', async (t) => {
  t.ok(Dentry.equiv(Dentry.read('/\\x2f=>~'), Dentry.nop))
  t.ok(Dentry.equiv(Dentry.read('/\\x2f=>~ | ~'), Dentry.nop))
  t.notOk(Dentry.equiv(Dentry.read('/=>~'), Dentry.nop), 'the empty prefix is not the slash byte')
  t.ok(Dentry.equals(Dentry.read('/\\x2f=>~'), Dentry.nop))
  t.notOk(Dentry.equals(Dentry.read('/\\x2f=>~ | ~'), Dentry.nop))
})

t.test('Dtab.fail is /=>!, which fails every path', async (t) => {
  t.equal(show(Dtab.fail), '/=>!')
  t.ok(Dtab.equals(Dtab.fail, read('/=>!')))
  t.strictSame(Dtab.lookup(Dtab.fail, Path.read('/any/path')), NameTree.Fail)
  t.strictSame(Dtab.lookup(Dtab.fail, Path.empty), NameTree.Fail)
})

t.test('toJson gives [{prefix, dst}] with both sides shown as in the text form', async (t) => {
  const d = read('/svc/* => /host; /host/world => 1 * /v2 & 9 * /v1')
  t.strictSame(Dtab.toJson(d), [
    { prefix: '/svc/*', dst: '/host' },
    { prefix: '/host/world', dst: '/v2 & 9.00*/v1' },
  ])
  t.equal(
    JSON.stringify(Dtab.toJson(read('/yeezy=>/yeezus'))),
    '[{"prefix":"/yeezy","dst":"/yeezus"}]',
  )
  t.strictSame(Dtab.toJson(Dtab.empty), [])
})

t.test('fromJson reads the namerd JSON form, prefix wildcards included', async (t) => {
  const d = Dtab.fromJson(
    JSON.parse('[{"prefix":"/svc/*","dst":"/#/io.l5d.fs"},{"prefix":"/a","dst":"2*/b & /c"}]'),
  )
  t.ok(Dtab.equals(d, read('/svc/*=>/#/io.l5d.fs;/a=>2*/b & /c')))
  t.strictSame(Dtab.fromJson([]), [])
  t.ok(
    Dtab.equals(Dtab.fromJson([{ prefix: '/a', dst: '/b', extra: true }]), read('/a=>/b')),
    'other keys are ignored',
  )
})

t.test('fromJson(toJson(d)) is d', async (t) => {
  const d = read('/svc/* => /host | ~; /host/world => 1 * /v2 & 9 * /v1; / => !; /a\\x2fb => $')
  t.ok(Dtab.equals(Dtab.fromJson(JSON.parse(JSON.stringify(Dtab.toJson(d)))), d))
})

/** The DtabJsonError that fromJson throws for `value`. */
function jsonError(value: unknown): DtabJsonError {
  const err = errorOf(() => Dtab.fromJson(value))
  if (!(err instanceof DtabJsonError)) throw new Error(`expected DtabJsonError, got ${err.name}`)
  return err
}

t.test('fromJson refuses a value that is not an array', async (t) => {
  const cases: [unknown, string][] = [
    [{ prefix: '/a', dst: '/b' }, 'an object'],
    [null, 'null'],
    ['/a=>/b', 'a string'],
    [3, 'a number'],
    [true, 'a boolean'],
  ]
  for (const [value, what] of cases) {
    const err = jsonError(value)
    t.equal(err.message, `a dtab in JSON is an array of {"prefix","dst"} objects, not ${what}`)
    t.equal(err.index, undefined)
  }
})

t.test('fromJson names the entry that is not a {prefix, dst} object', async (t) => {
  t.equal(jsonError([null]).message, 'dentry 0 must be an object with "prefix" and "dst", not null')
  t.equal(
    jsonError([{ prefix: '/a', dst: '/b' }, ['/a', '/b']]).message,
    'dentry 1 must be an object with "prefix" and "dst", not an array',
  )
  t.equal(
    jsonError(['/a=>/b']).message,
    'dentry 0 must be an object with "prefix" and "dst", not a string',
  )
  t.equal(jsonError([{ prefix: '/a', dst: '/b' }, null]).index, 1)
})

t.test('fromJson requires prefix and dst to be strings', async (t) => {
  t.equal(jsonError([{ dst: '/b' }]).message, 'dentry 0: "prefix" must be a string')
  t.equal(
    jsonError([
      { prefix: '/a', dst: '/b' },
      { prefix: 1, dst: '/b' },
    ]).message,
    'dentry 1: "prefix" must be a string',
  )
  t.equal(jsonError([{ prefix: '/a' }]).message, 'dentry 0: "dst" must be a string')
  t.equal(jsonError([{ prefix: '/a', dst: null }]).message, 'dentry 0: "dst" must be a string')
  t.equal(jsonError([{ prefix: '/a', dst: 7 }]).index, 0)
})

t.test(
  'fromJson wraps a syntax error with the entry, the field and the parser message',
  async (t) => {
    const dst = jsonError([{ prefix: '/a', dst: '/b =>' }])
    t.equal(dst.message, `dentry 0: invalid dst: end of input expected but '=' found at '/b [=]>'`)
    t.equal(dst.index, 0)
    t.type(dst.cause, DtabParseError)
    t.equal(dst.cause?.offset, 3)

    const prefix = jsonError([
      { prefix: '/a', dst: '/b' },
      { prefix: '/a=>/b', dst: '/c' },
    ])
    t.equal(
      prefix.message,
      `dentry 1: invalid prefix: end of input expected but '=' found at '/a[=]>/b'`,
    )
    t.equal(prefix.index, 1)
    t.type(prefix.cause, DtabParseError)

    t.equal(
      jsonError([{ prefix: 'x', dst: '/b' }]).message,
      `dentry 0: invalid prefix: '/' expected but 'x' found at '[x]'`,
    )
    t.equal(
      jsonError([{ prefix: '/a', dst: '١*/b' }]).message,
      'dentry 0: invalid dst: For input string: "١"',
    )
  },
)

t.test('a DtabJsonError is a DtabError with the dtab_json code', async (t) => {
  const err = jsonError({})
  t.type(err, DtabError)
  t.equal(err.code, 'dtab_json')
  t.equal(err.name, 'DtabJsonError')
})
