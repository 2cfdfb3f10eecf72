// Linkerd 1's later TLS keys, accepted as Linkerd reads them: a server's intermediateCertsPath
// (sent after the leaf), `protocols` on servers and clients (the TLS versions allowed), and a
// client's `enabled: false` (TLS off, e.g. for one io.l5d.static prefix under a TLS default).
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { type ConnectionOptions, connect, createServer, type Server } from 'node:tls'
import { promisify } from 'node:util'
import { Path } from '@switchyard/dtab'
import { pino } from 'pino'
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { clientResolver } from '../src/config/client-configs.js'
import { ProxyConfig } from '../src/config/schema.js'
import { ServerTlsConfig } from '../src/config/tls.js'
import { ClientTls } from '../src/tls/client-tls.js'
import { ServerTls } from '../src/tls/server-tls.js'
import { tempDir } from './interpret-helpers.js'
import { inet, localConfig, recordingBackend, runProxy, send } from './router-helpers.js'
import { httpsBackend } from './tls-helpers.js'

const certs = await makeTestCerts()
t.teardown(() => certs.close())
const quiet = pino({ level: 'silent' })

async function serve(t: { teardown(fn: () => unknown): void }, tls: ServerTls): Promise<number> {
  const server: Server = createServer(tls.options(), (s) => s.end('hi'))
  server.on('tlsClientError', () => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return (server.address() as AddressInfo).port
}

/** The TLS version negotiated with 127.0.0.1:`port`, or the handshake's error code. */
function handshake(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', ...options }, () => {
      resolve(s.getProtocol() ?? '?')
      s.destroy()
    })
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
}

t.test('intermediateCertsPath: the server sends the intermediates after its leaf', async (t) => {
  // root (certs.ca) -> intermediate -> leaf; clients trust the root only.
  const dir = await tempDir(t)
  const openssl = (args: string[]) => promisify(execFile)('openssl', args, { cwd: dir })
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await openssl([
    'req',
    '-new',
    ...key,
    '-keyout',
    'int.key',
    '-out',
    'int.csr',
    '-subj',
    '/CN=Int',
  ])
  await writeFile(
    join(dir, 'int.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n',
  )
  await openssl([
    'x509',
    '-req',
    '-in',
    'int.csr',
    '-CA',
    certs.ca.certPath,
    '-CAkey',
    certs.ca.keyPath,
    '-set_serial',
    '7001',
    '-days',
    '30',
    '-extfile',
    'int.ext',
    '-out',
    'int.crt',
  ])
  await openssl([
    'req',
    '-new',
    ...key,
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=localhost',
  ])
  await writeFile(join(dir, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  await openssl([
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'int.crt',
    '-CAkey',
    'int.key',
    '-set_serial',
    '7002',
    '-days',
    '30',
    '-extfile',
    'leaf.ext',
    '-out',
    'leaf.crt',
  ])
  const client = { ca: certs.ca.cert, servername: 'localhost' }
  const base = { certPath: 'leaf.crt', keyPath: 'leaf.key' }
  const without = await ServerTls.load(ServerTlsConfig.parse(base), dir, quiet, [])
  t.equal(
    await handshake(await serve(t, without), client),
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'the leaf alone does not verify against the root',
  )
  const withChain = await ServerTls.load(
    ServerTlsConfig.parse({ ...base, intermediateCertsPath: 'int.crt' }),
    dir,
    quiet,
    [],
  )
  t.match(
    await handshake(await serve(t, withChain), client),
    /^TLSv1\.[23]$/,
    'leaf + intermediate verify',
  )
})

t.test('protocols bound the TLS versions of servers and clients', async (t) => {
  const server = { certPath: certs.server.certPath, keyPath: certs.server.keyPath }
  const only12 = await ServerTls.load(
    ServerTlsConfig.parse({ ...server, protocols: ['TLSv1.2'] }),
    '/',
    quiet,
    [],
  )
  const port12 = await serve(t, only12)
  t.equal(await handshake(port12, { ca: certs.ca.cert }), 'TLSv1.2')
  t.match(
    await handshake(port12, { ca: certs.ca.cert, minVersion: 'TLSv1.3' }),
    /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|ERR_SSL/,
    'a TLSv1.3-only client is refused',
  )
  const any = await ServerTls.load(ServerTlsConfig.parse(server), '/', quiet, [])
  const portAny = await serve(t, any)
  t.equal(await handshake(portAny, { ca: certs.ca.cert }), 'TLSv1.3', "node's default")
  const client12 = ClientTls.load(
    { disableValidation: false, trustCerts: [certs.ca.certPath], protocols: ['TLSv1.2'] },
    '/',
  )
  t.equal(await handshake(portAny, client12.connectOptions('127.0.0.1')), 'TLSv1.2')
  const client13 = ClientTls.load(
    { disableValidation: false, trustCerts: [certs.ca.certPath], protocols: ['TLSv1.3'] },
    '/',
  )
  t.not(await handshake(port12, client13.connectOptions('127.0.0.1')), 'TLSv1.2')
  const both = ClientTls.load(
    {
      disableValidation: false,
      trustCerts: [certs.ca.certPath],
      protocols: ['TLSv1.3', 'TLSv1.2'],
    },
    '/',
  )
  t.equal(await handshake(port12, both.connectOptions('127.0.0.1')), 'TLSv1.2')
})

t.test('an unknown TLS protocol is refused with the ones known', async (t) => {
  const r = ServerTlsConfig.safeParse({ certPath: 'a', keyPath: 'b', protocols: ['SSLv3'] })
  t.equal(r.success, false)
  t.match(
    r.error?.issues[0]?.message ?? '',
    '"SSLv3" is not a TLS version this proxy knows: use TLSv1, TLSv1.1, TLSv1.2, TLSv1.3',
  )
  const c = ProxyConfig.safeParse({
    routers: [
      {
        interpreter: { kind: 'local', dtab: '/svc => /$/inet/127.0.0.1/1' },
        servers: [{ port: 0 }],
        client: { tls: { protocols: ['TLSv1.2', 'TLSv9'] } },
      },
    ],
  })
  t.equal(c.success, false)
  t.match(c.error?.issues[0]?.path ?? [], ['routers', 0, 'client', 'tls', 'protocols', 1])
})

t.test('client tls enabled: false turns TLS off for the ids its prefix matches', async (t) => {
  const plain = await recordingBackend(t, 'plain')
  const secure = await httpsBackend(t, 'secure', certs.server)
  const client = {
    kind: 'io.l5d.static',
    tls: { trustCerts: [certs.ca.certPath] },
    configs: [{ prefix: inet(plain.port), tls: { enabled: false } }],
  }
  const resolve = clientResolver(localConfig('/svc => /$/nil', { client }).routers[0]!.client)
  t.equal(resolve(Path.read(inet(plain.port))).tls, undefined)
  t.ok(resolve(Path.read(inet(secure.port))).tls)
  const proxy = await runProxy(
    t,
    localConfig(`/svc/plain => ${inet(plain.port)}; /svc/secure => ${inet(secure.port)}`, {
      client,
    }),
  )
  const p = await send(proxy.port, { headers: { host: 'plain' } })
  t.equal(p.status, 200, 'cleartext to the prefix with enabled: false')
  t.equal(p.body, 'plain')
  const s = await send(proxy.port, { headers: { host: 'secure' } })
  t.equal(s.status, 200, 'TLS to the others')
  t.equal(s.body, 'secure')
})
