// HTTP/1.1 routers serving TLS: the certificate and key of `servers[i].tls`, client
// certificates (mTLS) when caCertPath is set, the files reloaded when they change, and a bad
// file refused at start with its config key and path.

import { copyFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { inet, localConfig, recordingBackend, runProxy, send } from './router-helpers.js'
import { sendTls } from './tls-helpers.js'

const certs = await makeTestCerts()
t.teardown(() => certs.close())

const serverTls = (extra: Record<string, unknown> = {}) => ({
  certPath: certs.server.certPath,
  keyPath: certs.server.keyPath,
  ...extra,
})

t.test('a router serves HTTP/1.1 over TLS with its certificate', async (t) => {
  const b = await recordingBackend(t, 'hello')
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      servers: [{ ip: '127.0.0.1', port: 0, tls: serverTls() }],
    }),
  )
  const r = await sendTls(proxy.port, { ca: certs.ca.cert, headers: { host: 'hello' } })
  t.equal(r.status, 200)
  t.equal(r.body, 'hello')
  t.equal(r.serverName, 'localhost', 'the server certificate is the configured one')
  t.equal(b.seen[0]?.headers['l5d-dst-service'], '/svc/hello')
  // The same name works as the certificate's DNS name.
  const byName = await sendTls(proxy.port, {
    ca: certs.ca.cert,
    servername: 'hello.example',
    headers: { host: 'hello' },
  })
  t.equal(byName.body, 'hello')
})

t.test('cleartext HTTP to a TLS server gets no answer, and the server lives on', async (t) => {
  const b = await recordingBackend(t, 'hello')
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      servers: [{ ip: '127.0.0.1', port: 0, tls: serverTls() }],
    }),
  )
  await t.rejects(send(proxy.port, { headers: { host: 'hello' } }))
  t.equal(b.seen.length, 0)
  t.equal(
    (await sendTls(proxy.port, { ca: certs.ca.cert, headers: { host: 'hello' } })).body,
    'hello',
  )
})

t.test('mTLS: requireClientAuth refuses a client without a trusted certificate', async (t) => {
  const b = await recordingBackend(t, 'hello')
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      servers: [
        {
          ip: '127.0.0.1',
          port: 0,
          tls: serverTls({ caCertPath: certs.ca.certPath, requireClientAuth: true }),
        },
      ],
    }),
  )
  const ok = await sendTls(proxy.port, {
    ca: certs.ca.cert,
    client: certs.client,
    headers: { host: 'hello' },
  })
  t.equal(ok.body, 'hello')
  await t.rejects(sendTls(proxy.port, { ca: certs.ca.cert, headers: { host: 'hello' } }))
  await t.rejects(
    sendTls(proxy.port, {
      ca: certs.ca.cert,
      client: certs.untrustedClient,
      headers: { host: 'hello' },
    }),
  )
  t.equal(b.seen.length, 1, 'only the request with a trusted certificate reached the backend')
})

t.test('caCertPath without requireClientAuth asks for a certificate but takes none', async (t) => {
  const b = await recordingBackend(t, 'hello')
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      servers: [{ ip: '127.0.0.1', port: 0, tls: serverTls({ caCertPath: certs.ca.certPath }) }],
    }),
  )
  t.equal((await sendTls(proxy.port, { ca: certs.ca.cert, headers: { host: 'h' } })).body, 'hello')
  t.equal(
    (await sendTls(proxy.port, { ca: certs.ca.cert, client: certs.client, headers: { host: 'h' } }))
      .body,
    'hello',
  )
})

t.test('a changed certificate file is served to new connections, a bad one is not', async (t) => {
  const b = await recordingBackend(t, 'hello')
  const dir = certs.dir
  const certPath = join(dir, 'reload.crt')
  const keyPath = join(dir, 'reload.key')
  await copyFile(certs.server.certPath, certPath)
  await copyFile(certs.server.keyPath, keyPath)
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      servers: [{ ip: '127.0.0.1', port: 0, tls: { certPath, keyPath } }],
    }),
  )
  const first = await sendTls(proxy.port, { ca: certs.ca.cert, headers: { host: 'h' } })
  // A half-written rotation (the new cert, the old key) keeps the old pair in use.
  const next = await certs.issue('rotated')
  await copyFile(next.certPath, certPath)
  await new Promise((r) => setTimeout(r, 2500))
  const during = await sendTls(proxy.port, { ca: certs.ca.cert, headers: { host: 'h' } })
  t.equal(during.serial, first.serial, 'a cert without its key is not loaded')
  await copyFile(next.keyPath, keyPath)
  let after = during
  for (let i = 0; i < 100 && after.serial === first.serial; i++) {
    await new Promise((r) => setTimeout(r, 100))
    after = await sendTls(proxy.port, { ca: certs.ca.cert, headers: { host: 'h' } })
  }
  t.not(after.serial, first.serial, 'the new certificate is served')
  t.equal(after.body, 'hello')
})

t.test('a bad server TLS file is a start error naming its key and file', async (t) => {
  const config = (tls: Record<string, unknown>) =>
    localConfig('/svc => /$/inet/127.0.0.1/1', { servers: [{ ip: '127.0.0.1', port: 0, tls }] })
  const missing = join(certs.dir, 'missing.crt')
  await t.rejects(runProxy(t, config(serverTls({ certPath: missing }))), {
    message: `routers[0].servers[0].tls.certPath: cannot read ${missing}: no such file`,
  })
  const notPem = join(certs.dir, 'not-pem.crt')
  await writeFile(notPem, 'hello\n')
  await t.rejects(runProxy(t, config(serverTls({ certPath: notPem }))), {
    message: `routers[0].servers[0].tls.certPath: ${notPem} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`,
  })
  await t.rejects(runProxy(t, config(serverTls({ keyPath: certs.server.certPath }))), {
    message: `routers[0].servers[0].tls.keyPath: ${certs.server.certPath} holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)`,
  })
  await t.rejects(runProxy(t, config(serverTls({ keyPath: certs.client.keyPath }))), {
    message: `routers[0].servers[0].tls.keyPath: ${certs.client.keyPath} is not the key of the certificate in ${certs.server.certPath}`,
  })
  await t.rejects(
    runProxy(
      t,
      config(serverTls({ caCertPath: join(certs.dir, 'no-ca.crt'), requireClientAuth: true })),
    ),
    {
      message:
        /^routers\[0\]\.servers\[0\]\.tls\.caCertPath: cannot read .*no-ca\.crt: no such file$/,
    },
  )
  await t.rejects(runProxy(t, config(serverTls({ ciphers: ['NOT-A-CIPHER'] }))), {
    message: /^routers\[0\]\.servers\[0\]\.tls\.ciphers: the TLS settings cannot be used/,
  })
})

t.test('an expired server certificate starts (with a warning) and clients refuse it', async (t) => {
  const b = await recordingBackend(t, 'hello')
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      servers: [
        {
          ip: '127.0.0.1',
          port: 0,
          tls: { certPath: certs.expired.certPath, keyPath: certs.expired.keyPath },
        },
      ],
    }),
  )
  await t.rejects(sendTls(proxy.port, { ca: certs.ca.cert, headers: { host: 'h' } }), {
    code: 'CERT_HAS_EXPIRED',
  })
})

t.test('a slow TLS handshake does not hold up other clients', async (t) => {
  const b = await recordingBackend(t, 'hello')
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      servers: [{ ip: '127.0.0.1', port: 0, tls: serverTls() }],
    }),
  )
  // A client that opens TCP and never says hello, another that sends garbage.
  const { connect } = await import('node:net')
  const idle = connect(proxy.port, '127.0.0.1')
  const junk = connect(proxy.port, '127.0.0.1', () => junk.write('GET / HTTP/1.1\r\n\r\n'))
  junk.on('error', () => {})
  idle.on('error', () => {})
  t.teardown(() => {
    idle.destroy()
    junk.destroy()
  })
  t.equal((await sendTls(proxy.port, { ca: certs.ca.cert, headers: { host: 'h' } })).body, 'hello')
  // ALPN: a client asking only for h2 is refused by an HTTP/1.1 server.
  const h2Only = tlsConnect({
    port: proxy.port,
    host: '127.0.0.1',
    ca: certs.ca.cert,
    ALPNProtocols: ['h2'],
  })
  const outcome = await new Promise<string>((resolve) => {
    h2Only.once('secureConnect', () => resolve(`connected, alpn ${String(h2Only.alpnProtocol)}`))
    h2Only.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
  h2Only.destroy()
  t.match(outcome, /NO_APPLICATION_PROTOCOL|alpn false/)
})
