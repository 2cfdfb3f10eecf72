// h2 over TLS to backends (ALPN h2) with the client's TLS (tls/client-tls.ts): a good
// certificate carries the stream; an expired one, one for another name, one from a CA not trusted
// and a backend without h2 are each a `tls` result whose message names the failure.
import { createSecureServer, type Http2SecureServer } from 'node:http2'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { type CertFiles, makeTestCerts, type TestCerts } from '../../../test/support/certs.js'
import { ClientTls } from '../src/tls/client-tls.js'
import { ask, closeSession, h2Client, h2Connect, h2Front } from './h2-forward-helpers.js'

const GET = { ':method': 'GET', ':path': '/', ':authority': 'svc', ':scheme': 'http' }

let certs: TestCerts
t.before(async () => {
  certs = await makeTestCerts()
})
t.teardown(() => certs.close())

async function tlsBackend(
  files: CertFiles,
  clientCa?: string | Buffer,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Http2SecureServer = createSecureServer({
    cert: files.cert,
    key: files.key,
    // mTLS: a client certificate signed by clientCa is required.
    ...(clientCa === undefined
      ? {}
      : { ca: clientCa, requestCert: true, rejectUnauthorized: true }),
  })
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200 })
    stream.end('over tls')
  })
  server.on('sessionError', () => {})
  server.on('tlsClientError', () => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

/** Forwards one GET through a front to `port` over TLS trusting the test CA; the result. */
async function forwardOnce(port: number, commonName?: string, clientAuth?: CertFiles) {
  const tls = ClientTls.load(
    {
      disableValidation: false,
      trustCerts: [certs.ca.certPath],
      ...(commonName === undefined ? {} : { commonName }),
      ...(clientAuth === undefined
        ? {}
        : { clientAuth: { certPath: clientAuth.certPath, keyPath: clientAuth.keyPath } }),
    },
    '/',
  )
  const client = h2Client([port], { tls }, undefined)
  const front = await h2Front(client, { maxRetries: 0 })
  const session = await h2Connect(front.port)
  const answer = await ask(session, GET)
  await closeSession(session)
  await front.close()
  await client.close()
  return { answer, result: front.results[0]! }
}

t.test('a backend with a good certificate answers over h2 and TLS', async (t) => {
  const b = await tlsBackend(certs.server)
  t.teardown(() => b.close())
  const { answer, result } = await forwardOnce(b.port)
  t.equal(answer.body, 'over tls')
  t.match(result, { ok: true, status: 200 })
})

t.test('an expired certificate is a tls failure that says so', async (t) => {
  const b = await tlsBackend(certs.expired)
  t.teardown(() => b.close())
  const { answer, result } = await forwardOnce(b.port)
  t.equal(answer.headers[':status'], 502)
  t.match(result, {
    ok: false,
    kind: 'tls',
    message: /the certificate of 127\.0\.0\.1:\d+ has expired \(not after \d{4}-\d\d-\d\dT/,
  })
})

t.test(
  'a backend requiring a client certificate the proxy does not present is a tls failure naming it',
  async (t) => {
    const b = await tlsBackend(certs.server, certs.ca.cert)
    t.teardown(() => b.close())
    const { answer, result } = await forwardOnce(b.port)
    t.equal(answer.headers[':status'], 502)
    t.match(result, {
      ok: false,
      kind: 'tls',
      message: /127\.0\.0\.1:\d+ requires a client certificate \(set tls\.clientAuth\)/,
    })
  },
)

t.test(
  'a backend refusing the client certificate presented is a tls failure naming it',
  async (t) => {
    const b = await tlsBackend(certs.server, certs.ca.cert)
    t.teardown(() => b.close())
    const { result } = await forwardOnce(b.port, undefined, certs.untrustedClient)
    t.match(result, { ok: false, kind: 'tls', message: /client certificate/ })
  },
)

t.test('with the client certificate it wants, an mTLS backend answers', async (t) => {
  const b = await tlsBackend(certs.server, certs.ca.cert)
  t.teardown(() => b.close())
  const { answer, result } = await forwardOnce(b.port, undefined, certs.client)
  t.equal(answer.body, 'over tls')
  t.match(result, { ok: true, status: 200 })
})

t.test('a certificate for another name is a tls failure naming both', async (t) => {
  const b = await tlsBackend(certs.wrongName)
  t.teardown(() => b.close())
  const { result } = await forwardOnce(b.port, 'hello.example')
  t.match(result, { ok: false, kind: 'tls', message: /is for world\.example, not hello\.example/ })
})

t.test(
  'a certificate from a CA not trusted is a tls failure naming the trusted files',
  async (t) => {
    const b = await tlsBackend(certs.untrusted)
    t.teardown(() => b.close())
    const { result } = await forwardOnce(b.port)
    t.match(result, {
      ok: false,
      kind: 'tls',
      message: /signed by a CA not trusted \(trustCerts: .*ca/,
    })
  },
)

t.test('a TLS backend that does not speak h2 is a failure that names ALPN', async (t) => {
  const server = createHttpsServer({
    cert: certs.server.cert,
    key: certs.server.key,
    ALPNProtocols: ['http/1.1'],
  })
  server.on('tlsClientError', () => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const { result } = await forwardOnce((server.address() as AddressInfo).port)
  t.match(result, { ok: false, kind: 'tls', message: /ALPN/ })
})
