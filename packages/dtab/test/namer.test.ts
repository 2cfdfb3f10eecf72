// Namers: Finagle's global /$/ namer, configured namers mounted under /#/, and the interpreter's
// lookup that consults them only when the dtab's answer is exactly Neg (semantics §10).
import {
  bound,
  Dtab,
  DtabError,
  globalNamer,
  inetAddress,
  interpreterLookup,
  type Name,
  NamerFailedError,
  NameTree,
  namersLookup,
  Path,
  pathName,
  UnknownNamerError,
} from '@switchyard/dtab'
import t from 'tap'
import { errorOf, testNamer } from './helpers.js'

const global = (p: string) => globalNamer.lookup(Path.read(p))
const boundLeaf = (id: string, residual = '/') =>
  NameTree.leaf<Name>(bound(Path.read(id), Path.read(residual)))

t.test('/$/inet/<host>/<port> binds, with the rest of the path as the residual', async (t) => {
  t.strictSame(global('/$/inet/127.0.0.1/1234'), boundLeaf('/$/inet/127.0.0.1/1234'))
  t.strictSame(global('/$/inet/h/1/a/b'), boundLeaf('/$/inet/h/1', '/a/b'))
})

t.test('/$/inet/<port> binds with an empty host', async (t) => {
  t.strictSame(global('/$/inet/1234'), boundLeaf('/$/inet/1234'))
  t.strictSame(global('/$/inet/1234/foobar'), boundLeaf('/$/inet/1234', '/foobar'))
})

t.test('the host-and-port form is tried first, so /$/inet/1234/5678 means host 1234', async (t) => {
  t.strictSame(global('/$/inet/1234/5678'), boundLeaf('/$/inet/1234/5678'))
  t.strictSame(inetAddress(Path.read('/$/inet/1234/5678')), { host: '1234', port: 5678 })
})

t.test('/$/fixedinet binds exactly as /$/inet does', async (t) => {
  t.strictSame(global('/$/fixedinet/h/80/x'), boundLeaf('/$/fixedinet/h/80', '/x'))
  t.strictSame(global('/$/fixedinet/80'), boundLeaf('/$/fixedinet/80'))
})

t.test('the port is a Java int: a sign is allowed, and it must fit in 32 bits', async (t) => {
  t.strictSame(global('/$/inet/h/\\x2b80'), boundLeaf('/$/inet/h/\\x2b80'), 'the element +80')
  t.strictSame(global('/$/inet/h/-1'), boundLeaf('/$/inet/h/-1'))
  t.strictSame(global('/$/inet/h/2147483647'), boundLeaf('/$/inet/h/2147483647'))
  t.strictSame(global('/$/inet/h/-2147483648'), boundLeaf('/$/inet/h/-2147483648'))
  t.equal(
    errorOf(() => global('/$/inet/h/2147483648')).message,
    'Unknown namer: inet for path: /$/inet/h/2147483648',
  )
  t.equal(
    errorOf(() => global('/$/inet/99999999999')).message,
    'Unknown namer: inet for path: /$/inet/99999999999',
  )
})

t.test('a port’s digits may be of any script, as Java’s Integer.parseInt reads them', async (t) => {
  // The element is decoded as UTF-8 first: ١٢ (Arabic-Indic) is 12, ８０ (fullwidth) is 80.
  const arabic = '/$/inet/h/\\xd9\\xa1\\xd9\\xa2'
  t.strictSame(global(arabic), boundLeaf(arabic))
  t.strictSame(inetAddress(Path.read(arabic)), { host: 'h', port: 12 })
  const fullwidth = '/$/inet/\\xef\\xbc\\x98\\xef\\xbc\\x90'
  t.strictSame(global(fullwidth), boundLeaf(fullwidth), 'the port-only form')
  t.strictSame(inetAddress(Path.read(fullwidth)), { host: '', port: 80 })
  t.strictSame(inetAddress(Path.read('/$/inet/h/-\\xe0\\xa5\\xaf')), { host: 'h', port: -9 })
  // Java reads a String by UTF-16 code units: a digit outside the BMP is two surrogates.
  t.equal(
    errorOf(() => global('/$/inet/h/\\xf0\\x9d\\x9f\\x8e')).message,
    'Unknown namer: inet for path: /$/inet/h/\\xf0\\x9d\\x9f\\x8e',
  )
})

t.test('/$/inet without a usable port is an unknown namer, not Neg', async (t) => {
  t.equal(errorOf(() => global('/$/inet')).message, 'Unknown namer: inet for path: /$/inet')
  t.equal(
    errorOf(() => global('/$/inet/host/notaport')).message,
    'Unknown namer: inet for path: /$/inet/host/notaport',
  )
  t.equal(
    errorOf(() => global('/$/inet/h/8.0')).message,
    'Unknown namer: inet for path: /$/inet/h/8.0',
  )
})

t.test('/$/fail... is Fail and /$/nil... is Empty', async (t) => {
  t.strictSame(global('/$/fail'), NameTree.Fail)
  t.strictSame(global('/$/fail/foo/bar'), NameTree.Fail)
  t.strictSame(global('/$/nil'), NameTree.Empty)
  t.strictSame(global('/$/nil/foo/bar'), NameTree.Empty)
})

t.test(
  'fail and nil are whole elements: /$/failover and /$/nilly are unknown namers',
  async (t) => {
    t.equal(
      errorOf(() => global('/$/failover/x')).message,
      'Unknown namer: failover for path: /$/failover/x',
    )
    t.equal(errorOf(() => global('/$/nilly')).message, 'Unknown namer: nilly for path: /$/nilly')
  },
)

t.test('any other /$/<kind> is an unknown namer error carrying the kind and path', async (t) => {
  const err = errorOf(() => global('/$/com.twitter.finagle.TestNamer/foo'))
  t.type(err, UnknownNamerError)
  t.type(err, DtabError)
  const e = err as UnknownNamerError
  t.equal(
    e.message,
    'Unknown namer: com.twitter.finagle.TestNamer for path: /$/com.twitter.finagle.TestNamer/foo',
  )
  t.equal(e.kind, 'com.twitter.finagle.TestNamer', 'the bare class name, for namerd’s bind message')
  t.equal(Path.show(e.path), '/$/com.twitter.finagle.TestNamer/foo')
  t.equal(e.code, 'unknown_namer')
  t.equal(e.name, 'UnknownNamerError')
})

t.test(
  'everything else is Neg: other paths, configured-namer paths, /$ alone and the empty path',
  async (t) => {
    t.strictSame(global('/foo/bar/bah/blah'), NameTree.Neg)
    t.strictSame(global('/foo/bar'), NameTree.Neg)
    t.strictSame(global('/#/io.l5d.fs/x'), NameTree.Neg)
    t.strictSame(global('/$'), NameTree.Neg)
    t.strictSame(global('/'), NameTree.Neg)
    t.strictSame(global('/inet/h/1'), NameTree.Neg)
  },
)

t.test('inetAddress reads the host and port of a bound /$/inet id', async (t) => {
  t.strictSame(inetAddress(Path.read('/$/inet/127.0.0.1/8080')), { host: '127.0.0.1', port: 8080 })
  t.strictSame(inetAddress(Path.read('/$/fixedinet/h/1')), { host: 'h', port: 1 })
  t.strictSame(inetAddress(Path.read('/$/inet/8080')), { host: '', port: 8080 })
  t.strictSame(inetAddress(Path.read('/$/inet/caf\\xc3\\xa9/1')), { host: 'café', port: 1 })
  t.equal(inetAddress(Path.read('/$/inet/h/x')), undefined)
  t.equal(
    inetAddress(Path.read('/$/inet/h/1/extra')),
    undefined,
    'an id, not a path with a residual',
  )
  t.equal(inetAddress(Path.read('/#/io.l5d.fs/x')), undefined)
  t.equal(inetAddress(Path.read('/$/inet')), undefined)
})

t.test('a mounted namer sees the path after its prefix, and its residual is kept', async (t) => {
  const fs = testNamer('io.l5d.fs', ['web'])
  t.strictSame(
    namersLookup([fs], Path.read('/#/io.l5d.fs/web/x/y')),
    boundLeaf('/#/io.l5d.fs/web', '/x/y'),
  )
  t.strictSame(fs.asked, ['/web/x/y'])
})

t.test('namers are tried in order; Neg moves on to the next matching namer', async (t) => {
  const first = testNamer('test', ['a'])
  const second = testNamer('test', ['b'])
  const other = testNamer('other', ['b'])
  t.strictSame(
    namersLookup([first, other, second], Path.read('/#/test/b/rest')),
    boundLeaf('/#/test/b', '/rest'),
  )
  t.strictSame(first.asked, ['/b/rest'])
  t.strictSame(other.asked, [], 'a namer whose prefix does not match is not asked')
  t.strictSame(namersLookup([first, second], Path.read('/#/test/a')), boundLeaf('/#/test/a'))
  t.equal(second.asked.length, 1, 'the second is not asked once the first answers')
})

t.test('after the namers comes the global namer; a path nobody knows is Neg', async (t) => {
  const fs = testNamer('io.l5d.fs', ['web'])
  t.strictSame(namersLookup([fs], Path.read('/$/inet/h/1')), boundLeaf('/$/inet/h/1'))
  t.strictSame(namersLookup([fs], Path.read('/#/io.l5d.fs/missing')), NameTree.Neg)
  t.strictSame(namersLookup([], Path.read('/#/io.l5d.fs/web')), NameTree.Neg)
})

t.test('a namer’s failure is an error, not Neg', async (t) => {
  const err = errorOf(() => namersLookup([testNamer('error', [])], Path.read('/#/error/broken/x')))
  t.type(err, NamerFailedError)
  t.equal(err.message, 'error naming /#/error/broken/x')
  t.equal((err as NamerFailedError).code, 'namer_failed')
})

t.test(
  'the interpreter asks the dtab first and gives its answer as paths to look up',
  async (t) => {
    const lookup = interpreterLookup(Dtab.read('/svc=>/#/io.l5d.fs'), [
      testNamer('io.l5d.fs', ['web']),
    ])
    t.strictSame(
      lookup(Path.read('/svc/web')),
      NameTree.leaf(pathName(Path.read('/#/io.l5d.fs/web'))),
    )
    t.strictSame(lookup(Path.read('/#/io.l5d.fs/web')), boundLeaf('/#/io.l5d.fs/web'))
  },
)

t.test('the namers are consulted only when the dtab’s answer is exactly Neg', async (t) => {
  const fs = testNamer('io.l5d.fs', ['web'])
  t.strictSame(
    interpreterLookup(Dtab.read('/#=>~'), [fs])(Path.read('/#/io.l5d.fs/web')),
    boundLeaf('/#/io.l5d.fs/web'),
    'one ~ dentry is invisible',
  )
  t.strictSame(
    interpreterLookup(Dtab.read('/$=>~'))(Path.read('/$/inet/h/1')),
    boundLeaf('/$/inet/h/1'),
    '/$ => ~ alone does not block /$/inet',
  )
  t.strictSame(
    interpreterLookup(Dtab.read('/$=>~;/$=>~'))(Path.read('/$/inet/h/1')),
    NameTree.alt<Name>(NameTree.Neg, NameTree.Neg),
    'two of them do: the answer is Alt(Neg, Neg)',
  )
  t.strictSame(
    interpreterLookup(Dtab.read('/#=>!'), [fs])(Path.read('/#/io.l5d.fs/web')),
    NameTree.Fail,
    'a Fail answer is final',
  )
})

t.test('an empty-prefix dentry captures every path before any namer', async (t) => {
  const fs = testNamer('io.l5d.fs', ['web'])
  const lookup = interpreterLookup(Dtab.read('/=>/x'), [fs])
  t.strictSame(
    lookup(Path.read('/#/io.l5d.fs/web')),
    NameTree.leaf(pathName(Path.read('/x/#/io.l5d.fs/web'))),
  )
  t.strictSame(
    lookup(Path.read('/$/inet/h/1')),
    NameTree.leaf(pathName(Path.read('/x/$/inet/h/1'))),
  )
  t.strictSame(fs.asked, [])
})
