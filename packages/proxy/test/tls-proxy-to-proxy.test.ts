// Proxy to proxy over TLS, the DaemonSet topology: the outgoing router's client speaks TLS with
// its own certificate to the incoming router's server, which requires it (mTLS) and forwards
// in the clear to the backend. The l5d context travels across the encrypted hop.
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { inet, localConfig, recordingBackend, runProxy, send } from './router-helpers.js'

const certs = await makeTestCerts()
t.teardown(() => certs.close())

async function incoming(t: { teardown(fn: () => unknown): void }, backendPort: number) {
  return runProxy(
    t,
    localConfig(`/svc => ${inet(backendPort)}`, {
      label: 'incoming',
      servers: [
        {
          ip: '127.0.0.1',
          port: 0,
          tls: {
            certPath: certs.server.certPath,
            keyPath: certs.server.keyPath,
            caCertPath: certs.ca.certPath,
            requireClientAuth: true,
          },
        },
      ],
    }),
  )
}

t.test('an outgoing proxy reaches an incoming one over mTLS, context intact', async (t) => {
  const b = await recordingBackend(t, 'hello')
  const inProxy = await incoming(t, b.port)
  const outProxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(inProxy.port)}`, {
      client: {
        tls: {
          trustCerts: [certs.ca.certPath],
          commonName: 'hello.example',
          clientAuth: { certPath: certs.client.certPath, keyPath: certs.client.keyPath },
        },
      },
    }),
  )
  const r = await send(outProxy.port, {
    headers: {
      host: 'hello',
      'l5d-dtab': '/staging => /$/inet/127.0.0.1/1',
      'l5d-ctx-trace': 'abc',
    },
  })
  t.equal(r.status, 200)
  t.equal(r.body, 'hello')
  const seen = b.seen[0]!
  t.equal(seen.headers['l5d-ctx-trace'], 'abc', 'context headers cross the TLS hop')
  t.match(String(seen.headers['l5d-ctx-dtab']), '/staging=>/$/inet/127.0.0.1/1')
  // Many requests share the TLS connections (keep-alive), in order.
  const many = await Promise.all(
    Array.from({ length: 20 }, () => send(outProxy.port, { headers: { host: 'hello' } })),
  )
  t.same(
    many.map((m) => m.status),
    Array(20).fill(200),
  )
})

t.test(
  'an outgoing proxy without its certificate gets a 502 that says one is needed',
  async (t) => {
    const b = await recordingBackend(t, 'hello')
    const inProxy = await incoming(t, b.port)
    const outProxy = await runProxy(
      t,
      localConfig(`/svc => ${inet(inProxy.port)}`, {
        client: { tls: { trustCerts: [certs.ca.certPath], commonName: 'hello.example' } },
      }),
    )
    const r = await send(outProxy.port, { headers: { host: 'hello' } })
    t.equal(r.status, 502)
    t.match(r.body, 'requires a client certificate (set tls.clientAuth)')
    t.equal(b.seen.length, 0)
  },
)

t.test('an outgoing proxy trusting another CA refuses the incoming one', async (t) => {
  const b = await recordingBackend(t, 'hello')
  const inProxy = await incoming(t, b.port)
  const outProxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(inProxy.port)}`, {
      client: {
        tls: {
          trustCerts: [certs.otherCa.certPath],
          clientAuth: { certPath: certs.client.certPath, keyPath: certs.client.keyPath },
        },
      },
    }),
  )
  const r = await send(outProxy.port, { headers: { host: 'hello' } })
  t.equal(r.status, 502)
  t.match(r.body, `is signed by a CA not trusted (trustCerts: ${certs.otherCa.certPath})`)
})

t.test('a websocket crosses both TLS hops, and one router serves TLS and cleartext', async (t) => {
  const { createServer } = await import('node:http')
  const { WebSocket, WebSocketServer } = await import('ws')
  const server = createServer((_req, res) => res.end('plain'))
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo ${String(m)}`)))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    wss.close()
    server.closeAllConnections()
    return new Promise<void>((r) => server.close(() => r()))
  })
  const port = (server.address() as { port: number }).port
  const inProxy = await incoming(t, port)
  const outProxy = await runProxy(
    t,
    localConfig(`/svc => ${inet(inProxy.port)}`, {
      servers: [
        { ip: '127.0.0.1', port: 0 },
        {
          ip: '127.0.0.1',
          port: 0,
          tls: { certPath: certs.server.certPath, keyPath: certs.server.keyPath },
        },
      ],
      client: {
        tls: {
          trustCerts: [certs.ca.certPath],
          clientAuth: { certPath: certs.client.certPath, keyPath: certs.client.keyPath },
        },
      },
    }),
  )
  const [plainAddr, tlsAddr] = outProxy.running.routers[0]!.addresses()
  const echo = async (url: string) => {
    // ws passes TLS options on to tls.connect; its types do not list servername.
    const options = { headers: { host: 'chat' }, ca: certs.ca.cert, servername: 'localhost' }
    const ws = new WebSocket(url, options)
    t.teardown(() => ws.close())
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve())
      ws.on('error', reject)
    })
    ws.send('ping')
    return new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))))
  }
  t.equal(await echo(`ws://${plainAddr}/`), 'echo ping', 'cleartext in, TLS between the proxies')
  t.equal(await echo(`wss://${tlsAddr}/`), 'echo ping', 'TLS in, TLS between the proxies')
})
