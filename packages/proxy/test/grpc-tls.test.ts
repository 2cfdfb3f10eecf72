// gRPC over TLS through an h2 router, with certificates made for the test (test/support/
// certs.ts): h2 over TLS with ALPN to the proxy, mTLS that refuses a client without a trusted
// certificate, h2 over TLS to a backend (verified against a CA and a name), mTLS to a backend,
// and a bad backend certificate as a gRPC error that names what is wrong.
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { makeTestCerts, SERVER_NAME, type TestCerts } from '../../../test/support/certs.js'
import { World } from '../../../test/support/grpc/services.js'
import { client, h2Proxy, inet, world } from './grpc-helpers.js'

const certs: TestCerts = await makeTestCerts()
t.teardown(() => certs.close())

const tlsServer = (extra: Record<string, unknown> = {}) => ({
  servers: [
    {
      ip: '127.0.0.1',
      port: 0,
      tls: { certPath: certs.server.certPath, keyPath: certs.server.keyPath, ...extra },
    },
  ],
})

t.test('a gRPC client reaches world over h2 with TLS to the proxy', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, tlsServer())
  const c = client(t, p.port, { authority: 'world', tls: { ca: certs.ca.cert } })
  const r = await c.unary(World.Greet, {})
  t.equal(r.code, status.OK, r.details)
  t.equal(r.value?.version, 'v1')
  const s = await c.serverStream(World.Count, { n: 50, bytes: 1000 })
  t.equal(s.code, status.OK, s.details)
  t.equal(s.messages.length, 50, 'streams over TLS too')
})

t.test('a client that does not trust the proxy certificate fails to connect', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, tlsServer())
  const c = client(t, p.port, { authority: 'world', tls: { ca: certs.otherCa.cert } })
  const r = await c.unary(World.Greet, {}, { deadlineMs: 3000 })
  t.equal(r.code, status.UNAVAILABLE, r.details)
  t.equal(w.calls.length, 0)
})

t.test(
  'mTLS: a trusted client certificate gets through, none or an untrusted one does not',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(
      t,
      `/svc/world => ${inet(w.port)}`,
      tlsServer({ caCertPath: certs.ca.certPath, requireClientAuth: true }),
    )
    const ok = client(t, p.port, {
      authority: 'world',
      tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key },
    })
    const r = await ok.unary(World.Greet, {})
    t.equal(r.code, status.OK, r.details)
    const none = client(t, p.port, { authority: 'world', tls: { ca: certs.ca.cert } })
    t.equal((await none.unary(World.Greet, {}, { deadlineMs: 3000 })).code, status.UNAVAILABLE)
    const untrusted = client(t, p.port, {
      authority: 'world',
      tls: { ca: certs.ca.cert, cert: certs.untrustedClient.cert, key: certs.untrustedClient.key },
    })
    t.equal((await untrusted.unary(World.Greet, {}, { deadlineMs: 3000 })).code, status.UNAVAILABLE)
    t.equal(w.calls.length, 1, 'only the trusted client reached world')
  },
)

t.test(
  'the proxy speaks h2 over TLS to a TLS backend, verified against the CA and a name',
  async (t) => {
    const w = await world(t, {
      version: 'v1',
      tls: { cert: certs.server.cert, key: certs.server.key },
    })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath], commonName: SERVER_NAME } },
    })
    const c = client(t, p.port, { authority: 'world' })
    const r = await c.unary(World.Greet, {})
    t.equal(r.code, status.OK, r.details)
    const s = await c.bidi(World.Chat, [{ value: 1 }, { value: 2 }])
    t.equal(s.code, status.OK, s.details)
    t.equal(s.messages.length, 2)
  },
)

t.test('mTLS to a backend: the proxy presents its clientAuth certificate', async (t) => {
  const w = await world(t, {
    version: 'v1',
    tls: { cert: certs.server.cert, key: certs.server.key, clientCa: certs.ca.cert },
  })
  const withCert = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, {
    client: {
      tls: {
        trustCerts: [certs.ca.certPath],
        clientAuth: { certPath: certs.client.certPath, keyPath: certs.client.keyPath },
      },
    },
  })
  const r = await client(t, withCert.port, { authority: 'world' }).unary(World.Greet, {})
  t.equal(r.code, status.OK, r.details)
  const without = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, {
    client: { tls: { trustCerts: [certs.ca.certPath] } },
  })
  const refused = await client(t, without.port, { authority: 'world' }).unary(World.Greet, {})
  t.equal(
    refused.code,
    status.UNAVAILABLE,
    `refused without a certificate: ${refused.code} ${refused.details}`,
  )
  t.match(
    refused.details,
    /certificate/,
    'the message says the backend wanted a client certificate',
  )
})

for (const [what, cert, reason] of [
  ['a wrong name', 'wrongName', /world\.example/],
  ['an expired certificate', 'expired', /expired/],
  ['an untrusted CA', 'untrusted', /CA|trust/],
] as const) {
  t.test(`a backend with ${what}: UNAVAILABLE from the proxy, naming it`, async (t) => {
    const w = await world(t, {
      version: 'v1',
      tls: { cert: certs[cert].cert, key: certs[cert].key },
    })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, {
      client: { tls: { trustCerts: [certs.ca.certPath] } },
    })
    const r = await client(t, p.port, { authority: 'world' }).unary(World.Greet, {})
    t.equal(r.code, status.UNAVAILABLE, r.details)
    t.match(r.details, reason, `the message says why: ${r.details}`)
    t.ok(r.trailers['l5d-err'], 'l5d-err too')
    t.equal(w.calls.length, 0, 'no call reached the backend')
  })
}

t.test(
  'proxy to proxy over mTLS: gRPC with every call kind and the override on both',
  async (t) => {
    const v1 = await world(t, { version: 'v1' })
    const v2 = await world(t, { version: 'v2' })
    const worldDtab = `/svc/world => ${inet(v1.port)}; /tmp/world-v2 => ${inet(v2.port)}`
    const incoming = await h2Proxy(
      t,
      worldDtab,
      tlsServer({ caCertPath: certs.ca.certPath, requireClientAuth: true }),
    )
    // The outgoing proxy sends every /svc name to the incoming one, over h2 with TLS.
    const outgoing = await h2Proxy(t, `/svc => /$/inet/127.0.0.1/${incoming.port}`, {
      client: {
        tls: {
          trustCerts: [certs.ca.certPath],
          commonName: SERVER_NAME,
          clientAuth: { certPath: certs.client.certPath, keyPath: certs.client.keyPath },
        },
      },
    })
    const c = client(t, outgoing.port, { authority: 'world' })
    const r = await c.unary(World.Greet, {})
    t.equal(r.code, status.OK, r.details)
    t.equal(r.value?.version, 'v1')
    const s = await c.serverStream(World.Count, { n: 100, bytes: 1000 })
    t.equal(s.messages.length, 100, s.details)
    const sum = await c.clientStream(World.Sum, [{ value: 2 }, { value: 3 }])
    t.equal(sum.value?.sum, 5, sum.details)
    const chat = await c.bidi(World.Chat, [{ value: 1 }, { value: 2 }, { value: 3 }])
    t.equal(chat.messages.length, 3, chat.details)
    // The override names a path only the incoming proxy's dtab binds: the outgoing one sends it
    // on as l5d-ctx-dtab, and the incoming one applies it.
    const staged = await c.unary(
      World.Greet,
      {},
      { metadata: { 'l5d-dtab': '/svc/world => /tmp/world-v2' } },
    )
    t.equal(staged.code, status.OK, staged.details)
    t.equal(staged.value?.version, 'v2', 'the override reached the second proxy over TLS')
  },
)
