// The small pure pieces: content negotiation, bodies, Finagle's boolean, bound-tree JSON.
import { bound, NameTree, Path } from '@switchyard/dtab'
import t from 'tap'
import {
  acceptMediaTypes,
  codecFor,
  mediaTypeOf,
  NullDentriesError,
  negotiate,
  readDtab,
  writeDtab,
} from '../src/codec.js'
import { boundTreeJson, stripTransformerPrefix } from '../src/naming.js'
import { finagleBoolean } from '../src/request.js'

t.test(
  'Accept: the first recognised type in the client order, q-values ignored; JSON by default',
  async (t) => {
    t.same(acceptMediaTypes(' Application/Dtab ;q=0.9, ,text/html'), [
      'application/dtab',
      'text/html',
    ])
    t.same(negotiate(undefined), { mediaType: 'application/json', codec: 'json' })
    t.same(negotiate('text/html, */*'), { mediaType: 'application/json', codec: 'json' })
    t.same(negotiate('text/html, text/plain;q=0.1, application/json'), {
      mediaType: 'text/plain',
      codec: 'text',
    })
    t.same(negotiate('APPLICATION/JSON'), { mediaType: 'application/json', codec: 'json' })
  },
)

t.test('Content-Type: the media type decides the codec, parameters ignored', async (t) => {
  t.equal(mediaTypeOf('application/json;charset=UTF-8'), 'application/json')
  t.equal(mediaTypeOf(' ; x'), undefined)
  t.equal(codecFor('application/json'), 'json')
  t.equal(codecFor('text/plain'), 'text')
  t.equal(codecFor('application/dtab'), 'text')
  t.equal(codecFor('application/x-www-form-urlencoded'), undefined)
})

t.test('dtab bodies in both codecs', async (t) => {
  const d = readDtab(Buffer.from('/a => 1 * /b & 3 * /c; /d => /e | ~'), 'text')
  t.equal(writeDtab(d, 'text'), '/a=>/b & 3.00*/c;/d=>/e | ~\n')
  t.equal(
    writeDtab(d, 'json'),
    '[{"prefix":"/a","dst":"/b & 3.00*/c"},{"prefix":"/d","dst":"/e | ~"}]\n',
  )
  t.same(readDtab(Buffer.from(writeDtab(d, 'json')), 'json'), d, 'JSON round-trips')
  t.equal(writeDtab(readDtab(undefined, 'text'), 'json'), '[]\n', 'an empty body is the empty dtab')
  t.throws(() => readDtab(Buffer.from('[null]'), 'json'), NullDentriesError)
  t.throws(() => readDtab(Buffer.from('{'), 'json'), { name: 'InvalidJsonError' })
  t.throws(() => readDtab(Buffer.from('/a =>'), 'text'), { name: 'DtabParseError', offset: 5 })
})

t.test("watch is Finagle's boolean", async (t) => {
  for (const v of ['1', 't', 'T', 'true', 'TrUe']) t.equal(finagleBoolean(v), true, v)
  for (const v of [null, '', '0', 'f', 'yes', 'on', ' true'])
    t.equal(finagleBoolean(v), false, String(v))
})

t.test('a transformer prefix is stripped up to the first # or $', async (t) => {
  const p = (s: string) => Path.show(stripTransformerPrefix(Path.read(s)))
  t.equal(
    p('/%/io.l5d.k8s.daemonset/default/incoming/l5d/#/io.l5d.k8s/default/http/world'),
    '/#/io.l5d.k8s/default/http/world',
  )
  t.equal(p('/%/io.l5d.port/4141/$/inet/127.0.0.1/8080'), '/$/inet/127.0.0.1/8080')
  t.equal(p('/#/io.l5d.fs/web'), '/#/io.l5d.fs/web')
})

t.test('bound trees render as namerd: no paths, no dentries, Java doubles', async (t) => {
  const leaf = (id: string) => NameTree.leaf(bound(Path.read(id), Path.read('/rest')))
  const tree = NameTree.union(
    NameTree.weighted(0.9, leaf('/#/a')),
    NameTree.weighted(1e-4, NameTree.alt(leaf('/#/b'), NameTree.Neg)),
  )
  t.equal(
    boundTreeJson(tree, (b) => `"${Path.show(b.id)}"`),
    '{"type":"union","union":[{"weight":0.9,"tree":{"type":"leaf","bound":{"addr":"/#/a","id":"/#/a","path":"/rest"}}},' +
      '{"weight":1.0E-4,"tree":{"type":"alt","alt":[{"type":"leaf","bound":{"addr":"/#/b","id":"/#/b","path":"/rest"}},{"type":"neg"}]}}]}',
  )
  t.equal(
    boundTreeJson(NameTree.Fail, () => ''),
    '{"type":"fail"}',
  )
  t.equal(
    boundTreeJson(NameTree.Empty, () => ''),
    '{"type":"empty"}',
  )
})
