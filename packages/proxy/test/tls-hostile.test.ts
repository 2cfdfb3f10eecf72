// Hostile clients of the proxy's TLS server: connections that never say hello, bytes that are
// not TLS, handshakes abandoned half way, a flood of them. Each costs a bounded time (the
// handshake timeout), none is an error of the server, and real clients are served throughout.
import { connect as netConnect, type Socket } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { Http1Server } from '../src/http1/server.js'
import { sendTls } from './tls-helpers.js'

const certs = await makeTestCerts()
t.teardown(() => certs.close())

async function tlsServer(t: { teardown(fn: () => unknown): void }, handshakeTimeout = 300) {
  const tlsErrors: string[] = []
  const server = new Http1Server({
    onRequest: (tx) => tx.respond(200, { 'content-type': 'text/plain' }, Buffer.from('ok')),
    tls: { cert: certs.server.cert, key: certs.server.key, handshakeTimeout },
    onTlsError: (err) => tlsErrors.push((err as NodeJS.ErrnoException).code ?? err.message),
  })
  await server.listen(0, '127.0.0.1')
  t.teardown(() => server.close())
  const port = (server.net.address() as { port: number }).port
  return { server, port, tlsErrors }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => resolve(s))
    s.on('error', reject)
  })
}

const closed = (s: Socket) =>
  new Promise<void>((resolve) => {
    if (s.destroyed) resolve()
    else s.once('close', () => resolve())
  })

t.test('connections that never say hello are closed at the handshake timeout', async (t) => {
  const { port } = await tlsServer(t)
  const idle = await Promise.all(Array.from({ length: 50 }, () => open(port)))
  for (const s of idle) s.on('error', () => {})
  // Served while 50 connections sit idle.
  t.equal((await sendTls(port, { ca: certs.ca.cert })).body, 'ok')
  // The server closes them (the test's own timeout is the bound): none is left open.
  await Promise.all(idle.map(closed))
  t.ok(
    idle.every((s) => s.destroyed),
    'all closed by the server',
  )
})

t.test('bytes that are not TLS end the connection; the server serves on', async (t) => {
  const { port, tlsErrors } = await tlsServer(t)
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
      const s = await open(port)
      s.on('error', () => {})
      s.on('data', () => {})
      s.write(bytes)
      // Not TLS: refused at once. A valid-looking record prefix waits for more: the timeout.
      await closed(s)
    }),
    { numRuns: 30 },
  )
  t.equal((await sendTls(port, { ca: certs.ca.cert })).body, 'ok')
  t.ok(tlsErrors.length > 0, 'each failed handshake is reported, not thrown')
})

t.test('an HTTP request to the TLS port is refused, not parsed', async (t) => {
  const { port } = await tlsServer(t)
  const s = await open(port)
  let got = ''
  s.on('data', (d: Buffer) => {
    got += d.toString('latin1')
  })
  s.on('error', () => {})
  s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  await closed(s)
  t.notMatch(got, /HTTP\/1\.1 200/, 'no HTTP answer to cleartext')
})

t.test('a flood of abandoned handshakes leaves the server serving', async (t) => {
  const { port } = await tlsServer(t, 2000)
  // Start a real ClientHello, then vanish: half-done handshakes at once.
  const { connect } = await import('node:tls')
  const abandoned = Array.from({ length: 100 }, () => {
    const s = connect({ port, host: '127.0.0.1', ca: certs.ca.cert, servername: 'localhost' })
    s.on('error', () => {})
    setImmediate(() => s.destroy())
    return s
  })
  t.equal((await sendTls(port, { ca: certs.ca.cert })).body, 'ok')
  await Promise.all(abandoned.map((s) => closed(s as unknown as Socket)))
  t.equal((await sendTls(port, { ca: certs.ca.cert })).body, 'ok')
})
