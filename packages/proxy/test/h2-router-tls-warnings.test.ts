// An h2 router says at start what an http router says of its client TLS (tls/check-files.ts
// clientTlsWarnings): backends' certificates not checked (disableValidation), a commonName
// variable no prefix fills. Before, h2 routers said nothing and every call then failed.
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { RouterConfig } from '../src/config/schema.js'
import { H2Router } from '../src/h2/h2-router.js'
import { FakeInterpreter } from './route-helpers.js'

t.test('an h2 router logs the client TLS warnings at start, as an http router', async (t) => {
  const lines: { level: number; msg: string }[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l))
      done()
    },
  })
  const router = new H2Router(
    RouterConfig.parse({
      protocol: 'h2',
      servers: [{ ip: '127.0.0.1', port: 0 }],
      client: {
        kind: 'io.l5d.static',
        configs: [
          { prefix: '/#/io.l5d.fs/{service}', tls: { commonName: '{service}' } },
          { prefix: '/$/inet/*', tls: { commonName: '{service}', disableValidation: true } },
        ],
      },
    }),
    new FakeInterpreter('/svc => /$/inet/127.0.0.1/1'),
    pino({ level: 'info' }, sink),
    undefined,
    { baseDir: process.cwd() },
  )
  await router.listen()
  t.teardown(() => router.close())
  await new Promise((r) => setImmediate(r))
  t.same(
    lines.filter((l) => l.level === 40).map((l) => l.msg),
    [
      'client.configs[1].tls.disableValidation: the certificates of backends are not checked; for tests only',
      'client.configs[1].tls.commonName "{service}": no prefix captures {service} for it (its own prefix /$/inet/* fills it), so it stays as written and no certificate will match; capture it in an io.l5d.static prefix (/#/io.l5d.fs/{service})',
    ],
  )
})
