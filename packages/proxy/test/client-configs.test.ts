// io.l5d.static's client configs: prefix patterns (`*`, `{name}`), which bound ids they match,
// the later entry's keys over the earlier's over the client's own, and the commonName template
// filled from the captures, as Linkerd's static client config did.
import { Path } from '@switchyard/dtab'
import fc from 'fast-check'
import t from 'tap'
import {
  type ClientSection,
  clientResolver,
  fillTemplate,
  matchPrefix,
  parsePrefixPattern,
} from '../src/config/client-configs.js'

const id = (text: string) => Path.read(text)

const section = (extra: Partial<ClientSection> = {}): ClientSection => ({
  failureAccrual: { failures: 5, backoff: { kind: 'jittered', minMs: 5000, maxMs: 300_000 } },
  connectTimeoutMs: 3000,
  maxConnectionsPerEndpoint: 256,
  ...extra,
})

t.test('a prefix is literal elements, * and {name}', async (t) => {
  t.same(parsePrefixPattern('/#/io.l5d.fs/{service}/*'), [
    { type: 'literal', elem: '#' },
    { type: 'literal', elem: 'io.l5d.fs' },
    { type: 'capture', name: 'service' },
    { type: 'any' },
  ])
  t.same(parsePrefixPattern('/'), [])
  t.throws(() => parsePrefixPattern('io.l5d.fs'), { message: /a prefix starts with '\/'/ })
  t.throws(() => parsePrefixPattern('/#/svc-{name}'), {
    message: /element 2 .* a variable is \{name\}, alone/,
  })
  t.throws(() => parsePrefixPattern('/#//x'), { message: /element 2 is empty/ })
})

t.test('a prefix matches the start of an id and captures its variables', async (t) => {
  const p = parsePrefixPattern('/#/io.l5d.fs/{service}')
  t.same(matchPrefix(p, id('/#/io.l5d.fs/hello')), { service: 'hello' })
  t.same(
    matchPrefix(p, id('/#/io.l5d.fs/hello/v2/extra')),
    { service: 'hello' },
    'a prefix, not all',
  )
  t.equal(matchPrefix(p, id('/#/io.l5d.fs')), undefined, 'shorter than the prefix')
  t.equal(matchPrefix(p, id('/#/io.l5d.k8s/hello')), undefined)
  t.same(matchPrefix(parsePrefixPattern('/$/inet/*/{port}'), id('/$/inet/127.0.0.1/8080')), {
    port: '8080',
  })
  t.same(matchPrefix(parsePrefixPattern('/'), id('/a/b')), {}, '/ matches every id')
})

t.test('fillTemplate fills known variables and leaves unknown ones as written', async (t) => {
  t.equal(fillTemplate('{service}.svc.example', { service: 'hello' }), 'hello.svc.example')
  t.equal(fillTemplate('{a}-{b}', { a: '1' }), '1-{b}')
  t.equal(fillTemplate('plain', { a: '1' }), 'plain')
  t.equal(fillTemplate('{constructor}', {}), '{constructor}', 'no inherited property is a variable')
})

t.test('io.l5d.global: every id gets the client’s own keys', async (t) => {
  const tls = { disableValidation: false, commonName: 'world.example' }
  const r = clientResolver(section({ tls }))(id('/#/io.l5d.fs/anything'))
  t.same(r, {
    failureAccrual: section().failureAccrual,
    connectTimeoutMs: 3000,
    maxConnectionsPerEndpoint: 256,
    tls,
  })
})

t.test('io.l5d.static: matching entries apply in order, later keys over earlier', async (t) => {
  const resolve = clientResolver(
    section({
      configs: [
        { prefix: '/#/io.l5d.fs/*', connectTimeoutMs: 500 },
        {
          prefix: '/#/io.l5d.fs/{service}',
          tls: {
            disableValidation: false,
            commonName: '{service}.example',
            trustCerts: ['ca.pem'],
          },
        },
        {
          prefix: '/#/io.l5d.fs/legacy',
          tls: { disableValidation: true },
          maxConnectionsPerEndpoint: 2,
        },
      ],
    }),
  )
  const hello = resolve(id('/#/io.l5d.fs/hello'))
  t.equal(hello.connectTimeoutMs, 500)
  t.equal(hello.maxConnectionsPerEndpoint, 256)
  t.same(hello.tls, {
    disableValidation: false,
    commonName: 'hello.example',
    trustCerts: ['ca.pem'],
  })
  const legacy = resolve(id('/#/io.l5d.fs/legacy'))
  t.same(legacy.tls, { disableValidation: true }, 'the later entry replaces tls whole')
  t.equal(legacy.maxConnectionsPerEndpoint, 2)
  const other = resolve(id('/$/inet/127.0.0.1/80'))
  t.equal(other.tls, undefined, 'an id no prefix matches has the client’s own keys')
  t.equal(other.connectTimeoutMs, 3000)
})

t.test('a template variable no prefix captured stays as written', async (t) => {
  const r = clientResolver(
    section({
      configs: [
        {
          prefix: '/#/io.l5d.fs',
          tls: { disableValidation: false, commonName: '{service}.example' },
        },
      ],
    }),
  )(id('/#/io.l5d.fs/hello'))
  t.equal(r.tls?.commonName, '{service}.example')
})

t.test('captures from several entries combine; a later capture of a name wins', async (t) => {
  const r = clientResolver(
    section({
      configs: [
        { prefix: '/#/{ns}' },
        {
          prefix: '/#/*/{service}',
          tls: { disableValidation: false, commonName: '{service}.{ns}' },
        },
      ],
    }),
  )(id('/#/prod/hello'))
  t.equal(r.tls?.commonName, 'hello.prod')
})

// Hostile input: whatever text a config holds, parsing throws an Error or yields a pattern that
// matches ids built from it; matching never throws.
const elem = fc.oneof(
  fc.constantFrom('*', '{service}', '{a_1}', '#', 'io.l5d.fs', '{', '}', '{}', '{1}', 'x{y}', ''),
  fc.string({ maxLength: 6 }),
)

t.test('any prefix text parses or is refused with an Error, never worse', async (t) => {
  fc.assert(
    fc.property(fc.array(elem, { maxLength: 6 }), fc.boolean(), (parts, slash) => {
      const text = `${slash ? '/' : ''}${parts.join('/')}`
      let pattern: ReturnType<typeof parsePrefixPattern>
      try {
        pattern = parsePrefixPattern(text)
      } catch (err) {
        return err instanceof Error && err.message.length > 0
      }
      // An id made by putting a name wherever the pattern has * or {name} matches it.
      const concrete = pattern.map((p) => (p.type === 'literal' ? p.elem : 'n'))
      const vars = matchPrefix(pattern, concrete)
      if (vars === undefined) return false
      return pattern.every((p) => p.type !== 'capture' || vars[p.name] === 'n')
    }),
  )
  t.pass('every generated prefix parsed or was refused with a message')
})

t.test('matching arbitrary ids never throws and captures only matched elements', async (t) => {
  const pattern = parsePrefixPattern('/#/{ns}/*/{service}')
  fc.assert(
    fc.property(fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 6 }), (elems) => {
      const vars = matchPrefix(pattern, elems)
      if (elems.length < 4 || elems[0] !== '#') return vars === undefined
      return vars !== undefined && vars.ns === elems[1] && vars.service === elems[3]
    }),
  )
  t.pass('every generated id matched or not as its elements say')
})

t.test('a commonName variable no prefix captures is warned about at start', async (t) => {
  const { commonNameWarnings } = await import('../src/tls/check-files.js')
  const { ClientConfig } = await import('../src/config/schema.js')
  t.same(
    commonNameWarnings(
      ClientConfig.parse({
        kind: 'io.l5d.static',
        configs: [{ prefix: '/#/io.l5d.fs/{service}', tls: { commonName: '{service}.example' } }],
      }),
    ),
    [],
  )
  t.same(commonNameWarnings(ClientConfig.parse({ tls: { commonName: '{service}.example' } })), [
    'client.tls.commonName "{service}.example": no prefix captures {service}, so it stays as written and no certificate will match; capture it in an io.l5d.static prefix (/#/io.l5d.fs/{service})',
  ])
  const w = commonNameWarnings(
    ClientConfig.parse({
      kind: 'io.l5d.static',
      configs: [{ prefix: '/#/io.l5d.fs/*', tls: { commonName: '{svc}.{ns}' } }],
    }),
  )
  t.match(
    w[0] ?? '',
    'client.configs[0].tls.commonName "{svc}.{ns}": no prefix captures {svc}, {ns}',
  )
})

t.test('the http router gives each bound id its own settings', async (t) => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { localConfig, recordingBackend, runProxy, send } = await import('./router-helpers.js')
  // Each backend answers after 100 ms and counts the connections it has at once.
  const counting = async (name: string) => {
    let open = 0
    let most = 0
    const b = await recordingBackend(t, name, (_req, res) => {
      setTimeout(() => res.end(name), 100)
    })
    b.server.on('connection', (s) => {
      open++
      most = Math.max(most, open)
      s.on('close', () => open--)
    })
    return { b, most: () => most }
  }
  const one = await counting('one')
  const many = await counting('many')
  const dir = await mkdtemp(join(tmpdir(), 'client-configs-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'one'), `127.0.0.1 ${one.b.port}\n`)
  await writeFile(join(dir, 'many'), `127.0.0.1 ${many.b.port}\n`)
  const proxy = await runProxy(
    t,
    localConfig(
      '/svc => /#/io.l5d.fs',
      {
        client: {
          kind: 'io.l5d.static',
          configs: [{ prefix: '/#/io.l5d.fs/one', maxConnectionsPerEndpoint: 1 }],
        },
      },
      { namers: [{ kind: 'io.l5d.fs', rootDir: dir }] },
    ),
  )
  const burst = (host: string) =>
    Promise.all(Array.from({ length: 4 }, () => send(proxy.port, { headers: { host } })))
  const [a, b] = await Promise.all([burst('one'), burst('many')])
  t.same(
    a.map((r) => r.body),
    ['one', 'one', 'one', 'one'],
  )
  t.same(
    b.map((r) => r.body),
    ['many', 'many', 'many', 'many'],
  )
  t.equal(one.most(), 1, 'one: its prefix allows one connection, the requests queue on it')
  t.ok(many.most() > 1, 'many: the client default (256) lets them go at once')
})
