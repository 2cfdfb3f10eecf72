// startProxy's start errors for TLS files name the config key under its router, wherever the
// file is read: a namerd interpreter's tls (read when the interpreter is made) reads
// `routers[i].interpreter.tls...` as a server's or a client's do. (main.ts checks every TLS file
// before it starts, tls/check-files.ts, and exits 2 with the same key: linkerd-config.test.ts.)
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { ProxyConfig } from '../src/config/schema.js'
import { startProxy } from '../src/proxy.js'
import { TlsConfigError } from '../src/tls/tls-errors.js'

t.test(
  "a bad namerd interpreter trust file is a TlsConfigError under its router's key",
  async (t) => {
    const certs = await makeTestCerts()
    t.teardown(() => certs.close())
    const config = ProxyConfig.parse({
      admin: { ip: '127.0.0.1', port: 0 },
      routers: [
        {
          label: 'first',
          interpreter: { kind: 'local', dtab: '/svc => /$/inet/127.0.0.1/1' },
          servers: [{ ip: '127.0.0.1', port: 0 }],
        },
        {
          label: 'second',
          interpreter: {
            kind: 'io.l5d.namerd.http',
            dst: '/$/inet/127.0.0.1/4180',
            tls: { trustCerts: ['nope.pem'] },
          },
          servers: [{ ip: '127.0.0.1', port: 0 }],
        },
      ],
    })
    let error: unknown
    try {
      const running = await startProxy(config, {
        logger: pino({ level: 'silent' }),
        baseDir: certs.dir,
      })
      await running.close()
    } catch (err) {
      error = err
    }
    t.ok(error instanceof TlsConfigError, 'a TlsConfigError')
    t.match(error, {
      key: 'routers[1].interpreter.tls.trustCerts[0]',
      message: `routers[1].interpreter.tls.trustCerts[0]: cannot read ${join(certs.dir, 'nope.pem')}: no such file`,
    })
  },
)
