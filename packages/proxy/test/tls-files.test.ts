// The TLS building blocks on their own: ServerTls reading, checking and reloading its files (a
// Kubernetes-style symlink swap, a half-done rotation, a file that vanishes), ClientTls's
// connection options and sharing, and describeTlsError's sentences for real handshake errors.
import { copyFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { type ConnectionOptions, connect, createServer, type Server } from 'node:tls'
import { pino } from 'pino'
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { ClientTls } from '../src/tls/client-tls.js'
import { ServerTls } from '../src/tls/server-tls.js'
import { describeTlsError, TlsConfigError } from '../src/tls/tls-errors.js'

const certs = await makeTestCerts()
t.teardown(() => certs.close())

/** A logger whose lines the test reads. */
function capture() {
  const lines: { level: number; msg: string }[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l))
      done()
    },
  })
  return { logger: pino({ level: 'debug' }, stream), lines }
}

async function serve(t: { teardown(fn: () => unknown): void }, tls: ServerTls): Promise<number> {
  const server: Server = createServer(tls.options(), (s) => s.end('hi'))
  tls.watch(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    tls.close()
    return new Promise<void>((r) => server.close(() => r()))
  })
  return (server.address() as AddressInfo).port
}

/** The serial of the certificate 127.0.0.1:`port` serves, or the handshake's error. */
function serialAt(port: number, ca = certs.ca.cert): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () => {
      resolve(s.getPeerCertificate().serialNumber)
      s.destroy()
    })
    s.on('error', reject)
  })
}

t.test('ServerTls reloads a Kubernetes-style symlink swap', async (t) => {
  // A Secret volume: files are symlinks into ..data, itself a symlink swapped on update.
  const dir = join(certs.dir, 'secret')
  await mkdir(join(dir, 'v1'), { recursive: true })
  await copyFile(certs.server.certPath, join(dir, 'v1', 'tls.crt'))
  await copyFile(certs.server.keyPath, join(dir, 'v1', 'tls.key'))
  await symlink('v1', join(dir, '..data'))
  await symlink('..data/tls.crt', join(dir, 'tls.crt'))
  await symlink('..data/tls.key', join(dir, 'tls.key'))
  const { logger, lines } = capture()
  const tls = await ServerTls.load(
    { certPath: 'tls.crt', keyPath: 'tls.key', requireClientAuth: false },
    dir,
    logger,
    [],
    {
      pollMs: 20,
    },
  )
  const port = await serve(t, tls)
  const before = await serialAt(port)
  t.equal(tls.poll(), false, 'nothing changed')
  const next = await certs.issue('v2')
  await mkdir(join(dir, 'v2'))
  await copyFile(next.certPath, join(dir, 'v2', 'tls.crt'))
  await copyFile(next.keyPath, join(dir, 'v2', 'tls.key'))
  await symlink('v2', join(dir, '..data_tmp'))
  await rename(join(dir, '..data_tmp'), join(dir, '..data'))
  let after = before
  for (let i = 0; i < 250 && after === before; i++) {
    await new Promise((r) => setTimeout(r, 20))
    after = await serialAt(port)
  }
  t.not(after, before, 'new connections get the new certificate')
  t.ok(lines.some((l) => l.msg.includes('reloaded the certificate')))
})

t.test('ServerTls keeps the old pair while files are bad, and says so once', async (t) => {
  const dir = join(certs.dir, 'bad-reload')
  await mkdir(dir)
  const certPath = join(dir, 'c.pem')
  const keyPath = join(dir, 'k.pem')
  await copyFile(certs.server.certPath, certPath)
  await copyFile(certs.server.keyPath, keyPath)
  const { logger, lines } = capture()
  const tls = await ServerTls.load(
    { certPath, keyPath, requireClientAuth: false },
    '/',
    logger,
    [],
    {
      key: 'servers[0].tls',
      pollMs: 60_000,
    },
  )
  const port = await serve(t, tls)
  const before = await serialAt(port)
  await writeFile(certPath, 'not a certificate\n')
  t.equal(tls.poll(), false)
  t.equal(tls.poll(), false, 'the same bad files are not read again')
  const warnings = lines.filter((l) => l.level === 40)
  t.equal(warnings.length, 1)
  t.match(
    warnings[0]!.msg,
    `servers[0].tls.certPath: ${certPath} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----); still serving the previous certificate`,
  )
  t.equal(await serialAt(port), before)
  // The certificate fixed, the key gone: the next problem is named.
  await copyFile(certs.server.certPath, certPath)
  await rm(keyPath)
  t.equal(tls.poll(), false)
  t.match(lines.at(-1)!.msg, `servers[0].tls.keyPath: cannot read ${keyPath}: no such file`)
  // Both files good again: reloaded (the same pair, so the same serial).
  await copyFile(certs.server.certPath, certPath)
  await copyFile(certs.server.keyPath, keyPath)
  t.equal(tls.poll(), true)
  t.equal(await serialAt(port), before)
})

t.test(
  'ServerTls keeps a valid certificate over an expired replacement, and logs the recovery',
  async (t) => {
    const dir = join(certs.dir, 'expired-reload')
    await mkdir(dir)
    const certPath = join(dir, 'c.pem')
    const keyPath = join(dir, 'k.pem')
    await copyFile(certs.server.certPath, certPath)
    await copyFile(certs.server.keyPath, keyPath)
    const { logger, lines } = capture()
    const tls = await ServerTls.load(
      { certPath, keyPath, requireClientAuth: false },
      '/',
      logger,
      [],
      { key: 'servers[0].tls', pollMs: 60_000 },
    )
    const port = await serve(t, tls)
    const before = await serialAt(port)
    // Both files replaced by an expired pair: a mistaken rotation, kept out.
    await copyFile(certs.expired.certPath, certPath)
    await copyFile(certs.expired.keyPath, keyPath)
    t.equal(tls.poll(), false, 'not reloaded')
    t.match(lines.at(-1)!, {
      level: 40,
      msg: `servers[0].tls.certPath: the new certificate in ${certPath}: the certificate expired at 2020-01-02T00:00:00.000Z; still serving the previous certificate`,
    })
    t.equal(await serialAt(port), before, 'the valid certificate is still served')
    // The good pair back (rewritten: a new stamp): reloaded, and the log says it recovered.
    await copyFile(certs.server.certPath, certPath)
    await copyFile(certs.server.keyPath, keyPath)
    t.equal(tls.poll(), true)
    t.match(lines.at(-1)!, {
      level: 30,
      msg: `servers[0].tls: reloaded the certificate from ${certPath} (the files are usable again)`,
    })
    // A key file moved away and back unchanged: the same stamp as the pair in use.
    await rename(keyPath, `${keyPath}.away`)
    t.equal(tls.poll(), false)
    t.match(lines.at(-1)!, { level: 40, msg: /keyPath: cannot read .*: no such file/ })
    await rename(`${keyPath}.away`, keyPath)
    t.equal(tls.poll(), false, 'nothing to reload')
    t.match(lines.at(-1)!, {
      level: 30,
      msg: `servers[0].tls: the files are usable again (as before); still serving the certificate from ${certPath}`,
    })
    t.equal(await serialAt(port), before)
  },
)

t.test('ServerTls with caCertPath asks for client certificates', async (t) => {
  const tls = await ServerTls.load(
    {
      certPath: certs.server.certPath,
      keyPath: certs.server.keyPath,
      caCertPath: certs.ca.certPath,
      requireClientAuth: true,
    },
    '/',
    pino({ level: 'silent' }),
    ['http/1.1'],
  )
  const o = tls.options()
  t.equal(o.requestCert, true)
  t.equal(o.rejectUnauthorized, true)
  t.same(o.ALPNProtocols, ['http/1.1'])
  t.ok(o.ca)
  tls.close()
})

t.test('ServerTls warns at load about an expired certificate and still loads', async (t) => {
  const { logger, lines } = capture()
  const tls = await ServerTls.load(
    { certPath: certs.expired.certPath, keyPath: certs.expired.keyPath, requireClientAuth: false },
    '/',
    logger,
    [],
    { key: 'servers[0].tls' },
  )
  t.match(
    lines[0]?.msg,
    'servers[0].tls.certPath: the certificate expired at 2020-01-02T00:00:00.000Z',
  )
  tls.close()
})

t.test(
  'ClientTls: one instance per config; the name checked is commonName, else the host',
  async (t) => {
    const config = { disableValidation: false, trustCerts: [certs.ca.certPath] }
    const a = ClientTls.load(config, '/')
    t.equal(ClientTls.load({ ...config }, '/'), a, 'the same config shares one')
    const o = a.connectOptions('localhost', ['h2'])
    t.equal(o.servername, 'localhost')
    t.same(o.ALPNProtocols, ['h2'])
    t.equal(o.rejectUnauthorized, true)
    const ip = a.connectOptions('127.0.0.1')
    t.equal(ip.servername, undefined, 'no SNI for an IP address')
    const named = ClientTls.load({ ...config, commonName: 'world.example' }, '/')
    t.equal(named.connectOptions('127.0.0.1').servername, 'world.example')
    const off = ClientTls.load({ disableValidation: true }, '/')
    t.equal(off.connectOptions('x').rejectUnauthorized, false)
    t.throws(
      () =>
        ClientTls.load(
          { disableValidation: false, trustCerts: ['nope.pem'] },
          certs.dir,
          'interpreter.tls',
        ),
      {
        message: `interpreter.tls.trustCerts[0]: cannot read ${join(certs.dir, 'nope.pem')}: no such file`,
        code: 'TLS_CONFIG',
        key: 'interpreter.tls.trustCerts[0]',
      },
    )
  },
)

t.test('TlsConfigError.prefixed puts the router in front of the key', async (t) => {
  const e = new TlsConfigError('servers[0].tls.certPath', 'cannot read x: no such file').prefixed(
    'routers[1].',
  )
  t.equal(e.key, 'routers[1].servers[0].tls.certPath')
  t.equal(e.message, 'routers[1].servers[0].tls.certPath: cannot read x: no such file')
})

/** The error a TLS client meets connecting with `options` to a server with `cert`. */
async function handshakeError(
  t: { teardown(fn: () => unknown): void },
  cert: { cert: string; key: string },
  options: ConnectionOptions,
  serverOptions: Record<string, unknown> = {},
): Promise<Error> {
  const server = createServer({ cert: cert.cert, key: cert.key, ...serverOptions }, (s) =>
    s.end('hi'),
  )
  server.on('tlsClientError', () => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const port = (server.address() as AddressInfo).port
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', ...options })
    s.on('error', resolve)
    s.on('data', () => {})
    s.on('end', () => resolve(new Error('no error')))
  })
}

t.test('describeTlsError names what is wrong with a real handshake', async (t) => {
  const peer = '127.0.0.1:443'
  const expired = await handshakeError(t, certs.expired, {
    ca: certs.ca.cert,
    servername: 'localhost',
  })
  t.equal(describeTlsError(expired, peer), `the certificate of ${peer} has expired`)
  const wrong = await handshakeError(t, certs.wrongName, {
    ca: certs.ca.cert,
    servername: 'hello.example',
  })
  t.equal(
    describeTlsError(wrong, peer),
    `the certificate of ${peer} is for world.example, not hello.example`,
  )
  const unknown = await handshakeError(t, certs.untrusted, {
    ca: certs.ca.cert,
    servername: 'localhost',
  })
  t.equal(
    describeTlsError(unknown, peer, { trustCerts: ['/etc/ca.pem'] }),
    `the certificate of ${peer} is signed by a CA not trusted (trustCerts: /etc/ca.pem)`,
  )
  t.equal(
    describeTlsError(unknown, peer),
    `the certificate of ${peer} is signed by a CA not trusted (the system's CAs; set tls.trustCerts)`,
  )
  const required = await handshakeError(
    t,
    certs.server,
    { ca: certs.ca.cert, servername: 'localhost' },
    { ca: certs.ca.cert, requestCert: true, rejectUnauthorized: true },
  )
  t.equal(
    describeTlsError(required, peer),
    `${peer} requires a client certificate (set tls.clientAuth)`,
  )
  const noAlpn = await handshakeError(
    t,
    certs.server,
    { ca: certs.ca.cert, servername: 'localhost', ALPNProtocols: ['h2'] },
    { ALPNProtocols: ['http/1.1'] },
  )
  t.equal(describeTlsError(noAlpn, peer), `${peer} offers none of the protocols asked for (ALPN)`)
})

t.test('describeTlsError leaves errors that are not TLS to the caller', async (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
    code: 'ECONNREFUSED',
  })
  t.equal(describeTlsError(refused, 'x'), undefined)
  t.equal(describeTlsError(undefined, 'x'), undefined)
  t.equal(describeTlsError('a string', 'x'), undefined)
  t.equal(
    describeTlsError(
      Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }),
      'p:1',
    ),
    'p:1 did not answer in TLS (is it serving plain text?)',
  )
  t.equal(
    describeTlsError(Object.assign(new Error('boom'), { code: 'ERR_SSL_SOMETHING_NEW' }), 'p:1'),
    'the TLS handshake with p:1 failed: boom',
  )
})

t.test('ClientTls instances per commonName are bounded; the files stay shared', async (t) => {
  // A commonName template filled from names an override chose: as many as a client asks for.
  const base = { disableValidation: false, trustCerts: [certs.ca.certPath] }
  const first = ClientTls.load({ ...base, commonName: 'n0.example' }, '/')
  for (let i = 1; i <= 5000; i++) ClientTls.load({ ...base, commonName: `n${i}.example` }, '/')
  t.not(ClientTls.load({ ...base, commonName: 'n0.example' }, '/'), first, 'the oldest was dropped')
  t.same(first.trustFiles, [certs.ca.certPath])
})
