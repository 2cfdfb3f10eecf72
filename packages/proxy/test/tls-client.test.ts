// HTTP/1.1 to backends over TLS: the client's `tls` (trustCerts, commonName, clientAuth), per
// bound id with io.l5d.static and commonName templates, and the 502 that names a TLS failure
// (expired, wrong name, unknown CA, a client certificate missing) instead of a bare reset.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { inet, localConfig, runProxy, send } from './router-helpers.js'
import { httpsBackend } from './tls-helpers.js'

const certs = await makeTestCerts()
t.teardown(() => certs.close())

const l5dErr = (h: Record<string, unknown>) =>
  decodeURIComponent(String(h['l5d-err'] ?? '').replace(/\+/g, ' '))

t.test('a backend over TLS answers through the proxy when its CA is trusted', async (t) => {
  const b = await httpsBackend(t, 'hello', certs.server)
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath] } },
    }),
  )
  const r = await send(proxy.port, { headers: { host: 'hello' } })
  t.equal(r.status, 200)
  t.equal(r.body, 'hello')
  // Keep-alive over TLS: a second request reuses the connection.
  const again = await send(proxy.port, { headers: { host: 'hello' } })
  t.equal(again.body, 'hello')
  t.equal(b.clientNames.length, 2)
})

t.test('trustCertsBundle alone is enough to trust the CA', async (t) => {
  const b = await httpsBackend(t, 'hello', certs.server)
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCertsBundle: certs.bundlePath } },
    }),
  )
  t.equal((await send(proxy.port, { headers: { host: 'hello' } })).body, 'hello')
})

t.test('an expired backend certificate is a 502 that says it expired, and when', async (t) => {
  const b = await httpsBackend(t, 'hello', certs.expired)
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath] } },
    }),
  )
  const r = await send(proxy.port, { headers: { host: 'hello' } })
  t.equal(r.status, 502)
  t.match(
    r.body,
    `the certificate of 127.0.0.1:${b.port} has expired (not after 2020-01-02T00:00:00.000Z) (CERT_HAS_EXPIRED)`,
  )
  t.match(l5dErr(r.headers), 'has expired')
  t.equal(b.clientNames.length, 0, 'nothing reached the backend')
})

t.test('a certificate for another name is a 502 naming both names', async (t) => {
  const b = await httpsBackend(t, 'hello', certs.wrongName)
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath] } },
    }),
  )
  const r = await send(proxy.port, { headers: { host: 'hello' } })
  t.equal(r.status, 502)
  t.match(r.body, `the certificate of 127.0.0.1:${b.port} is for world.example, not 127.0.0.1`)
})

t.test('commonName is the name checked, whatever the address', async (t) => {
  const b = await httpsBackend(t, 'world', certs.wrongName)
  const ok = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath], commonName: 'world.example' } },
    }),
  )
  t.equal((await send(ok.port, { headers: { host: 'w' } })).body, 'world')
  const wrong = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath], commonName: 'hello.example' } },
    }),
  )
  const r = await send(wrong.port, { headers: { host: 'w' } })
  t.equal(r.status, 502)
  t.match(r.body, 'is for world.example, not hello.example')
})

t.test('a certificate signed by a CA not trusted is a 502 naming the trusted files', async (t) => {
  const b = await httpsBackend(t, 'hello', certs.untrusted)
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath] } },
    }),
  )
  const r = await send(proxy.port, { headers: { host: 'hello' } })
  t.equal(r.status, 502)
  t.match(r.body, `is signed by a CA not trusted (trustCerts: ${certs.ca.certPath})`)
})

t.test('disableValidation talks to any certificate', async (t) => {
  const b = await httpsBackend(t, 'hello', certs.untrusted)
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, { client: { tls: { disableValidation: true } } }),
  )
  t.equal((await send(proxy.port, { headers: { host: 'hello' } })).body, 'hello')
})

t.test('a backend that is not TLS is a 502 that says so', async (t) => {
  const { recordingBackend } = await import('./router-helpers.js')
  const b = await recordingBackend(t, 'plain')
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath] } },
    }),
  )
  const r = await send(proxy.port, { headers: { host: 'hello' } })
  t.equal(r.status, 502)
  t.match(r.body, /did not answer in TLS|TLS handshake/)
})

t.test('mTLS: the client certificate is presented, and its absence named', async (t) => {
  const b = await httpsBackend(t, 'secure', certs.server, { clientCa: certs.ca.cert })
  const withCert = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: {
        tls: {
          trustCerts: [certs.ca.certPath],
          clientAuth: { certPath: certs.client.certPath, keyPath: certs.client.keyPath },
        },
      },
    }),
  )
  const ok = await send(withCert.port, { headers: { host: 's' } })
  t.equal(ok.body, 'secure')
  t.same(b.clientNames, ['client.example'])
  const without = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath] } },
    }),
  )
  const r = await send(without.port, { headers: { host: 's' } })
  t.equal(r.status, 502)
  t.match(r.body, `127.0.0.1:${b.port} requires a client certificate (set tls.clientAuth)`)
  const untrusted = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: {
        tls: {
          trustCerts: [certs.ca.certPath],
          clientAuth: {
            certPath: certs.untrustedClient.certPath,
            keyPath: certs.untrustedClient.keyPath,
          },
        },
      },
    }),
  )
  const r2 = await send(untrusted.port, { headers: { host: 's' } })
  t.equal(r2.status, 502)
  // Node's TLS server closes without an alert: the 502 says what it most likely means.
  t.match(r2.body, `127.0.0.1:${b.port} closed the connection after the TLS handshake`)
  t.match(r2.body, "it may not accept this proxy's client certificate (tls.clientAuth)")
})

t.test('io.l5d.static: TLS per prefix, commonName filled from the prefix captures', async (t) => {
  const hello = await httpsBackend(t, 'hello', certs.server) // hello.example
  const world = await httpsBackend(t, 'world', certs.wrongName) // world.example
  const plain = await (await import('./router-helpers.js')).recordingBackend(t, 'plain')
  const dir = await mkdtemp(join(tmpdir(), 'tls-static-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'hello'), `127.0.0.1 ${hello.port}\n`)
  await writeFile(join(dir, 'world'), `127.0.0.1 ${world.port}\n`)
  await writeFile(join(dir, 'plain'), `127.0.0.1 ${plain.port}\n`)
  const config = localConfig(
    '/svc => /#/io.l5d.fs',
    {
      client: {
        kind: 'io.l5d.static',
        configs: [
          { prefix: '/#/io.l5d.fs/*', connectTimeoutMs: 500 },
          {
            prefix: '/#/io.l5d.fs/{service}',
            tls: { trustCerts: [certs.ca.certPath], commonName: '{service}.example' },
          },
        ],
      },
    },
    { namers: [{ kind: 'io.l5d.fs', rootDir: dir }] },
  )
  const proxy = await runProxy(t, config)
  t.equal((await send(proxy.port, { headers: { host: 'hello' } })).body, 'hello')
  t.equal((await send(proxy.port, { headers: { host: 'world' } })).body, 'world')
  // plain matches the prefix too: TLS to a cleartext backend fails, and the 502 says so.
  const r = await send(proxy.port, { headers: { host: 'plain' } })
  t.equal(r.status, 502)
  t.match(r.body, /TLS/)
})

t.test('a bad client TLS file is a start error naming its key and file', async (t) => {
  const missing = join(certs.dir, 'nope.pem')
  await t.rejects(
    runProxy(
      t,
      localConfig('/svc => /$/inet/127.0.0.1/1', { client: { tls: { trustCerts: [missing] } } }),
    ),
    { message: `routers[0].client.tls.trustCerts[0]: cannot read ${missing}: no such file` },
  )
  await t.rejects(
    runProxy(
      t,
      localConfig('/svc => /$/inet/127.0.0.1/1', {
        client: {
          kind: 'io.l5d.static',
          configs: [
            { prefix: '/#/io.l5d.fs', connectTimeoutMs: 100 },
            { prefix: '/$/inet', tls: { trustCerts: [certs.client.keyPath] } },
          ],
        },
      }),
    ),
    {
      message: `routers[0].client.configs[1].tls.trustCerts[0]: ${certs.client.keyPath} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)`,
    },
  )
  await t.rejects(
    runProxy(
      t,
      localConfig('/svc => /$/inet/127.0.0.1/1', {
        client: {
          tls: {
            clientAuth: { certPath: certs.client.certPath, keyPath: certs.server.keyPath },
          },
        },
      }),
    ),
    {
      message: `routers[0].client.tls.clientAuth.keyPath: ${certs.server.keyPath} is not the key of the certificate in ${certs.client.certPath}`,
    },
  )
})

t.test('a rotated client certificate is presented on new connections, no restart', async (t) => {
  const b = await httpsBackend(t, 'secure', certs.server, { clientCa: certs.ca.cert })
  const dir = await mkdtemp(join(tmpdir(), 'tls-rotate-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const certPath = join(dir, 'client.crt')
  const keyPath = join(dir, 'client.key')
  await writeFile(certPath, certs.client.cert)
  await writeFile(keyPath, certs.client.key)
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath], clientAuth: { certPath, keyPath } } },
    }),
  )
  t.equal((await send(proxy.port, { headers: { host: 's' } })).body, 'secure')
  const next = await certs.issue('rotated-client', { client: true })
  await writeFile(certPath, next.cert)
  await writeFile(keyPath, next.key)
  // Files are checked at most every 2 s, when a connection is made.
  await new Promise((r) => setTimeout(r, 2100))
  b.server.closeIdleConnections()
  await new Promise((r) => setTimeout(r, 50))
  t.equal((await send(proxy.port, { headers: { host: 's' } })).body, 'secure')
  t.same(b.clientNames, ['client.example', 'rotated-client.example'])
})

t.test('the 502 is one sentence and node’s code, nothing repeated', async (t) => {
  const b = await httpsBackend(t, 'hello', certs.wrongName)
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(b.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath], commonName: 'hello.example' } },
    }),
  )
  const r = await send(proxy.port, { headers: { host: 'hello' } })
  t.equal(r.status, 502)
  t.equal(r.headers['l5d-retryable'], 'true', 'nothing reached the backend')
  t.equal(
    r.body.split('\n')[0],
    `Cannot connect to /$/inet/127.0.0.1/${b.port} for /svc/hello: the certificate of 127.0.0.1:${b.port} is for world.example, not hello.example (ERR_TLS_CERT_ALTNAME_INVALID)`,
  )
})

t.test('a TLS backend that resets during the handshake is named so in the 502', async (t) => {
  const { createServer } = await import('node:net')
  // Accepts, reads the ClientHello, and resets: 'read ECONNRESET' on the proxy's side.
  const server = createServer((socket) => {
    socket.once('data', () => socket.resetAndDestroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const port = (server.address() as import('node:net').AddressInfo).port
  const proxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath] } },
    }),
  )
  const r = await send(proxy.port, { headers: { host: 'w' } })
  t.equal(r.status, 502)
  t.match(
    r.body,
    `Cannot connect to ${inet(port)} for /svc/w: 127.0.0.1:${port} closed the connection during the TLS handshake`,
  )
  t.match(l5dErr(r.headers), `127.0.0.1:${port} closed the connection during the TLS handshake`)
})
