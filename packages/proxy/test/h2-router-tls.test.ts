// An h2 router over TLS: h2 with ALPN on its servers (mTLS when configured), h2 over TLS to
// backends with the client's tls, and TLS mistakes as start errors or as errors naming them.
// Certificates are made by openssl for the test (test/support/certs.ts).
import { copyFileSync, readFileSync } from 'node:fs'
import { createSecureServer, type SecureClientSessionOptions } from 'node:http2'
import { connect as netConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { pino } from 'pino'
import t from 'tap'

import { makeTestCerts, type TestCerts } from '../../../test/support/certs.js'
import { ServerConfig } from '../src/config/schema.js'
import { H2Server } from '../src/h2/h2-server.js'
import { startProxy } from '../src/proxy.js'
import {
  closedWithin,
  grpcFrame,
  h2Backend,
  h2Config,
  h2Connect,
  h2Proxy,
  h2Request,
  inet,
  listenForTest,
} from './h2-router-helpers.js'

let certs: TestCerts
t.before(async () => {
  certs = await makeTestCerts()
})
t.teardown(() => certs.close())

const GRPC = { 'content-type': 'application/grpc', te: 'trailers' }

/** The error startProxy fails with, or undefined when it starts. */
async function startError(config: Parameters<typeof startProxy>[0]): Promise<Error | undefined> {
  try {
    const running = await startProxy(config, {
      logger: pino({ level: 'silent' }),
      baseDir: process.cwd(),
    })
    await running.close()
    return undefined
  } catch (err) {
    return err as Error
  }
}

/** A session that trusts the test CA (and shows `client` when given). */
function trusting(extra: SecureClientSessionOptions = {}): SecureClientSessionOptions {
  return { ca: readFileSync(certs.ca.certPath), servername: 'localhost', ...extra }
}

t.test('an h2 router with tls serves h2 over TLS (ALPN h2) and routes as over h2c', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(
    t,
    h2Config(
      `/svc/world => ${inet(world.port)}`,
      {},
      {
        tls: { certPath: certs.server.certPath, keyPath: certs.server.keyPath },
      },
    ),
  )
  const s = h2Connect(t, `https://127.0.0.1:${p.port}`, trusting())
  const r = await h2Request(s, { ':authority': 'world', ':path': '/tls' })
  t.equal(r.status, 200)
  t.equal(r.body, 'world')
  t.equal(s.alpnProtocol, 'h2')
  t.equal(world.seen[0]!.headers[':scheme'], 'https', 'the scheme the client used goes on')
})

t.test('a TLS client that offers only http/1.1 is refused in the handshake', async (t) => {
  const p = await h2Proxy(
    t,
    h2Config(
      '/svc/x => /$/inet/127.0.0.1/1',
      {},
      {
        tls: { certPath: certs.server.certPath, keyPath: certs.server.keyPath },
      },
    ),
  )
  const err = await new Promise<Error | undefined>((resolve) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: p.port,
      ca: readFileSync(certs.ca.certPath),
      servername: 'localhost',
      ALPNProtocols: ['http/1.1'],
    })
    socket.on('secureConnect', () => {
      socket.destroy()
      resolve(undefined)
    })
    socket.on('error', resolve)
  })
  t.ok(err, `refused: ${err?.message}`)
})

t.test(
  'mTLS: a client without a certificate, or with one from another CA, is refused',
  async (t) => {
    const world = await h2Backend(t, 'world')
    const p = await h2Proxy(
      t,
      h2Config(
        `/svc/world => ${inet(world.port)}`,
        {},
        {
          tls: {
            certPath: certs.server.certPath,
            keyPath: certs.server.keyPath,
            caCertPath: certs.ca.certPath,
            requireClientAuth: true,
          },
        },
      ),
    )
    const url = `https://127.0.0.1:${p.port}`
    const ok = await h2Request(
      h2Connect(t, url, trusting({ cert: certs.client.cert, key: certs.client.key })),
      { ':authority': 'world', ':path': '/' },
    )
    t.equal(ok.status, 200, 'a client certificate signed by the CA is let in')
    const none = await h2Request(h2Connect(t, url, trusting()), {
      ':authority': 'world',
      ':path': '/',
    })
    t.equal(none.status, undefined, 'no certificate: no response')
    const other = await h2Request(
      h2Connect(
        t,
        url,
        trusting({ cert: certs.untrustedClient.cert, key: certs.untrustedClient.key }),
      ),
      { ':authority': 'world', ':path': '/' },
    )
    t.equal(other.status, undefined, 'a certificate from another CA: no response')
    t.equal(world.seen.length, 1, 'only the trusted client reached the backend')
  },
)

t.test('a missing certificate file is a start error naming the key and the file', async (t) => {
  const missing = `${certs.dir}/nope.pem`
  const config = h2Config(
    '/svc/x => /$/inet/127.0.0.1/1',
    {},
    {
      tls: { certPath: missing, keyPath: certs.server.keyPath },
    },
  )
  const err = await startError(config)
  t.match(err?.message, /^routers\[0\]\.servers\[0\]\.tls\.certPath: /, String(err?.message))
  t.match(err?.message, missing, 'names the file')
})

t.test('a missing client trustCerts file is a start error naming the key', async (t) => {
  const missing = `${certs.dir}/no-ca.pem`
  const config = h2Config('/svc/x => /$/inet/127.0.0.1/1', {
    client: { tls: { trustCerts: [missing] } },
  })
  const err = await startError(config)
  t.match(err?.message, /^routers\[0\]\.client\.tls\.trustCerts\[0\]: /, String(err?.message))
  t.match(err?.message, missing, 'names the file')
})

/** An h2 backend over TLS with `cert`, answering its name. */
async function tlsBackend(
  t: { teardown(fn: () => unknown): void },
  name: string,
  cert: { cert: string; key: string },
): Promise<number> {
  const server = createSecureServer({ cert: cert.cert, key: cert.key, ALPNProtocols: ['h2'] })
  server.on('stream', (stream) => {
    stream.on('error', () => {})
    stream.resume()
    stream.on('end', () => {
      stream.respond({ ':status': 200 })
      stream.end(name)
    })
  })
  server.on('sessionError', () => {})
  server.on('tlsClientError', () => {})
  return listenForTest(t, server)
}

t.test('client tls: the router speaks h2 over TLS to a backend its CA signed', async (t) => {
  const port = await tlsBackend(t, 'secure', certs.server)
  const p = await h2Proxy(
    t,
    h2Config(`/svc/secure => ${inet(port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath], commonName: 'hello.example' } },
    }),
  )
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const r = await h2Request(s, { ':authority': 'secure', ':path': '/' })
  t.equal(r.status, 200)
  t.equal(r.body, 'secure')
})

t.test(
  'client tls: an expired backend certificate is a 502 saying so; gRPC UNAVAILABLE',
  async (t) => {
    const port = await tlsBackend(t, 'expired', certs.expired)
    const p = await h2Proxy(
      t,
      h2Config(`/svc/expired => ${inet(port)}`, {
        client: { tls: { trustCerts: [certs.ca.certPath] } },
      }),
    )
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const r = await h2Request(s, { ':authority': 'expired', ':path': '/' })
    t.equal(r.status, 502)
    t.match(r.body, /expired/, r.body)
    const g = await h2Request(
      s,
      { ':authority': 'expired', ':path': '/a.B/C', ':method': 'POST', ...GRPC },
      grpcFrame('x'),
    )
    t.equal(g.headers['grpc-status'], '14')
    t.match(decodeURIComponent(String(g.headers['grpc-message'])), /expired/)
  },
)

t.test('client tls: a certificate for another name is a 502 naming both names', async (t) => {
  const port = await tlsBackend(t, 'wrong', certs.wrongName)
  const p = await h2Proxy(
    t,
    h2Config(`/svc/wrong => ${inet(port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath], commonName: 'hello.example' } },
    }),
  )
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const r = await h2Request(s, { ':authority': 'wrong', ':path': '/' })
  t.equal(r.status, 502)
  t.match(r.body, /world\.example/, r.body)
  t.match(r.body, /hello\.example/)
})

t.test(
  'io.l5d.static: each bound id gets its prefix settings, commonName filled from the captures',
  async (t) => {
    const a = await tlsBackend(t, 'a', certs.server)
    const b = await tlsBackend(t, 'b', certs.server)
    const p = await h2Proxy(
      t,
      h2Config(`/svc/a => ${inet(a)}; /svc/b => ${inet(b)}`, {
        client: {
          kind: 'io.l5d.static',
          configs: [
            // Every id: the CA, and the ip as the name (the certificate has IP:127.0.0.1).
            {
              prefix: '/$/inet/{ip}',
              tls: { trustCerts: [certs.ca.certPath], commonName: '{ip}' },
            },
            // b only: a name its certificate does not have.
            {
              prefix: `/$/inet/*/${b}`,
              tls: { trustCerts: [certs.ca.certPath], commonName: 'world.example' },
            },
          ],
        },
      }),
    )
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const ra = await h2Request(s, { ':authority': 'a', ':path': '/' })
    t.equal(ra.status, 200, 'a: verified as 127.0.0.1, from the {ip} template')
    t.equal(ra.body, 'a')
    const rb = await h2Request(s, { ':authority': 'b', ':path': '/' })
    t.equal(rb.status, 502, 'b: the later prefix asks for world.example')
    t.match(rb.body, /world\.example/, rb.body)
  },
)

t.test('a server certificate replaced on disk is served to new connections', async (t) => {
  const world = await h2Backend(t, 'world')
  // Files of our own, started with a certificate from the CA nobody trusts.
  const certPath = `${certs.dir}/h2-reload.crt`
  const keyPath = `${certs.dir}/h2-reload.key`
  copyFileSync(certs.untrusted.certPath, certPath)
  copyFileSync(certs.untrusted.keyPath, keyPath)
  const p = await h2Proxy(
    t,
    h2Config(`/svc/world => ${inet(world.port)}`, {}, { tls: { certPath, keyPath } }),
  )
  const url = `https://127.0.0.1:${p.port}`
  const before = await h2Request(h2Connect(t, url, trusting()), {
    ':authority': 'world',
    ':path': '/',
  })
  t.equal(before.status, undefined, 'the untrusted certificate is refused by the client')
  copyFileSync(certs.server.keyPath, keyPath)
  copyFileSync(certs.server.certPath, certPath)
  let after: Awaited<ReturnType<typeof h2Request>> | undefined
  for (let i = 0; i < 40 && after?.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 200))
    after = await h2Request(h2Connect(t, url, trusting()), { ':authority': 'world', ':path': '/' })
  }
  t.equal(after?.status, 200, 'the new certificate is served without a restart')
})

t.test(
  'a TLS client that never sends its ClientHello is closed at the handshake timeout',
  async (t) => {
    const server = new H2Server({
      config: ServerConfig.parse({ port: 0 }),
      logger: pino({ level: 'silent' }),
      handshakeMs: 200,
      tls: {
        options: () => ({ cert: certs.server.cert, key: certs.server.key }),
        watch: () => {},
        close: () => {},
      },
      onStream: (stream) => {
        stream.respond({ ':status': 200 })
        stream.end('served')
      },
    })
    await server.listen(0, '127.0.0.1')
    t.teardown(() => server.close(0))
    const port = server.address().port
    const silent = Array.from({ length: 5 }, () =>
      closedWithin(netConnect(port, '127.0.0.1'), 3000),
    )
    // Meanwhile a client that does its handshake is served.
    const s = h2Connect(t, `https://127.0.0.1:${port}`, trusting())
    const r = await h2Request(s, { ':path': '/' })
    t.equal(r.body, 'served')
    t.same(
      await Promise.all(silent),
      [true, true, true, true, true],
      'all 5 silent connections closed',
    )
  },
)
