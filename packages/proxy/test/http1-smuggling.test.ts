// Messages a client or a backend frames or addresses in a way a careless proxy would pass on
// differently from how it read them: each is sent as raw bytes through the real proxy, and what
// the backend received is checked byte for byte, so a forwarded second request cannot hide.
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import t from 'tap'
import { statusOf, raw as writeRaw } from './http1-request-helpers.js'
import { forwardedByProxy, normalized } from './http1-response-helpers.js'
import {
  inet,
  localConfig,
  type RecordingBackend,
  recordingBackend,
  runProxy,
} from './router-helpers.js'

/** Writes `chunks` 50 ms apart and collects what comes back until the proxy closes. */
const raw = (port: number, chunks: readonly string[]) => writeRaw(port, chunks, 50)

/**
 * A backend that answers every connection with `response`, as raw bytes, and closes; `received`
 * holds every byte it was sent.
 */
async function rawBackend(
  t: { teardown(fn: () => unknown): void },
  response: string,
): Promise<{ port: number; received: () => string }> {
  const sockets = new Set<Socket>()
  let received = ''
  const server = createServer((s) => {
    sockets.add(s)
    s.on('data', (d: Buffer) => {
      received += d.toString('latin1')
    })
    s.once('data', () => s.end(response, 'latin1'))
    s.on('close', () => sockets.delete(s))
  })
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  return { port, received: () => received }
}

/**
 * Every byte `b` receives from now on, its connections one after the other, with the values
 * that change per request (request id, deadline) as `*`. The test clients here wait for each
 * answer, so requests never share the backend's time on two connections.
 */
function rawBytes(b: RecordingBackend): () => string {
  const connections: string[] = []
  b.server.on('connection', (s: Socket) => {
    const i = connections.push('') - 1
    s.on('data', (d: Buffer) => {
      connections[i] += d.toString('latin1')
    })
  })
  return () => normalized(connections.join(''))
}

t.test(
  'a Connection header naming Content-Length cannot strip it: no smuggled request',
  async (t) => {
    const world = await recordingBackend(t, 'world')
    const received = rawBytes(world)
    const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
    const hidden = 'GET /smuggled HTTP/1.1\r\nHost: world\r\n\r\n'
    const got = await raw(p.port, [
      `POST /outer HTTP/1.1\r\nHost: world\r\nConnection: content-length\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
      'GET /last HTTP/1.1\r\nHost: world\r\nConnection: close\r\n\r\n',
    ])
    t.same(
      world.seen.map((s) => s.url),
      ['/outer', '/last'],
      'the body stayed a body',
    )
    t.equal(world.seen[0]?.headers['content-length'], String(hidden.length))
    t.equal(got.match(/HTTP\/1\.1 200/g)?.length, 2)
    t.equal(
      received(),
      forwardedByProxy(world.port, { method: 'POST', path: '/outer', body: hidden }) +
        forwardedByProxy(world.port, { path: '/last' }),
      'the backend got the two requests, byte for byte',
    )
  },
)

t.test('Connection cannot strip Host either', async (t) => {
  const world = await recordingBackend(t, 'world')
  const received = rawBytes(world)
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  await raw(p.port, ['GET / HTTP/1.1\r\nHost: world\r\nConnection: close, host\r\n\r\n'])
  t.equal(world.seen[0]?.headers.host, 'world')
  t.equal(received(), forwardedByProxy(world.port, {}))
})

t.test('a repeated Content-Length of one value goes on as one number', async (t) => {
  const world = await recordingBackend(t, 'world')
  const received = rawBytes(world)
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  const got = await raw(p.port, [
    'POST / HTTP/1.1\r\nHost: world\r\nContent-Length: 5, 5\r\nConnection: close\r\n\r\nhello',
  ])
  t.equal(statusOf(got), 200, 'the backend did not refuse it')
  t.same(
    world.seen[0]?.rawHeaders.filter((h, i) => i % 2 === 0 && /^content-length$/i.test(h)),
    ['content-length'],
  )
  t.equal(world.seen[0]?.headers['content-length'], '5')
  t.equal(received(), forwardedByProxy(world.port, { method: 'POST', body: 'hello' }))
})

t.test('a body that arrives after an early error is dropped, never read as requests', async (t) => {
  const world = await recordingBackend(t, 'world')
  const received = rawBytes(world)
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  const body = 'GET /smuggled HTTP/1.1\r\nHost: world\r\n\r\n'
  const got = await raw(p.port, [
    `POST / HTTP/1.1\r\nHost: world\r\nl5d-dtab: =>>\r\nContent-Length: ${body.length}\r\n\r\n`,
    body,
  ])
  t.equal(statusOf(got), 400)
  t.match(got, /\r\nconnection: close\r\n/i, 'the client is told the connection ends')
  t.equal(got.match(/HTTP\/1\.1/g)?.length, 1, 'one response')
  t.equal(world.seen.length, 0, 'nothing reached the backend')
  t.equal(received(), '', 'not a byte')
})

t.test('after Connection: close, what the client sends next is not served', async (t) => {
  const world = await recordingBackend(t, 'world')
  const received = rawBytes(world)
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  const got = await raw(p.port, [
    'GET /first HTTP/1.1\r\nHost: world\r\nConnection: close\r\n\r\n',
    'GET /second HTTP/1.1\r\nHost: world\r\n\r\n',
  ])
  t.equal(got.match(/HTTP\/1\.1 200/g)?.length, 1)
  t.same(
    world.seen.map((s) => s.url),
    ['/first'],
  )
  t.equal(received(), forwardedByProxy(world.port, { path: '/first' }))
})

t.test('a client that keeps its socket open after a 400 is closed, not buffered', async (t) => {
  const world = await recordingBackend(t, 'world')
  const received = rawBytes(world)
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  const s = connect({ port: p.port, host: '127.0.0.1', allowHalfOpen: true })
  s.on('error', () => {})
  let got = ''
  s.on('data', (d: Buffer) => {
    got += d.toString('latin1')
  })
  s.write('GET / HTTP/1.1\r\nHost : world\r\n\r\n')
  const junk = setInterval(() => s.write('x'.repeat(16384)), 20)
  // The proxy drops what follows and destroys the socket after its lingering close (5 s).
  await new Promise((r) => s.on('close', r))
  clearInterval(junk)
  t.equal(statusOf(got), 400)
  t.equal(world.seen.length, 0)
  t.equal(received(), '')
})

t.test(
  'a backend response with both Content-Length and chunked is refused with a 502 (RFC 9112 §6.3, as nginx)',
  async (t) => {
    const b = await rawBackend(
      t,
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    )
    const p = await runProxy(t, localConfig(`/svc/world => ${inet(b.port)}`))
    const got = await raw(p.port, ['GET / HTTP/1.1\r\nHost: world\r\nConnection: close\r\n\r\n'])
    t.equal(statusOf(got), 502)
    t.match(got, 'Both Transfer-Encoding and Content-Length')
    t.notMatch(got, 'hello', 'no byte of the body')
    t.equal(normalized(b.received()), forwardedByProxy(b.port, {}))
  },
)

t.test('a backend response whose Connection names Content-Length keeps its length', async (t) => {
  const b = await rawBackend(
    t,
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: content-length\r\n\r\nhello',
  )
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(b.port)}`))
  const got = await raw(p.port, ['GET / HTTP/1.1\r\nHost: world\r\nConnection: close\r\n\r\n'])
  t.match(got, /content-length: 5\r\n/i)
  t.match(got, /\r\n\r\nhello$/)
  t.equal(normalized(b.received()), forwardedByProxy(b.port, {}))
})

t.test('a request in absolute form goes where its URI says, in origin form', async (t) => {
  const world = await recordingBackend(t, 'world')
  const other = await recordingBackend(t, 'other')
  const toWorld = rawBytes(world)
  const toOther = rawBytes(other)
  const p = await runProxy(
    t,
    localConfig(`/svc/world => ${inet(world.port)}; /svc/other => ${inet(other.port)}`),
  )
  const got = await raw(p.port, [
    'GET http://world/x?y=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n',
  ])
  t.equal(statusOf(got), 200)
  t.equal(other.seen.length, 0, 'RFC 9112 §3.2.2: the Host header is ignored')
  t.equal(world.seen[0]?.url, '/x?y=1')
  t.equal(world.seen[0]?.headers.host, 'world')
  const bad = await raw(p.port, ['GET world/x HTTP/1.1\r\nHost: world\r\n\r\n'])
  t.equal(statusOf(bad), 400)
  t.match(bad, 'neither a path nor an http URL')
  t.equal(toWorld(), forwardedByProxy(world.port, { path: '/x?y=1' }))
  t.equal(toOther(), '')
})

t.test('an h2c upgrade is not tunnelled: the request goes on as HTTP/1.1', async (t) => {
  const world = await recordingBackend(t, 'world')
  const received = rawBytes(world)
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  const got = await raw(p.port, [
    'GET / HTTP/1.1\r\nHost: world\r\nConnection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n',
  ])
  t.equal(statusOf(got), 200)
  t.equal(world.seen[0]?.headers.upgrade, undefined)
  t.equal(world.seen[0]?.headers['http2-settings'], undefined, 'named by Connection: dropped')
  t.equal(received(), forwardedByProxy(world.port, {}))
})

t.test('a head with bare LF line ends is a 400 at once', async (t) => {
  const world = await recordingBackend(t, 'world')
  const received = rawBytes(world)
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  const got = await raw(p.port, ['GET / HTTP/1.1\nHost: world\n\n'])
  t.equal(statusOf(got), 400)
  t.match(got, 'Bare LF')
  t.equal(world.seen.length, 0)
  t.equal(received(), '')
})

t.test(
  'Connection tokens are whole: x-close-y does not close, x-upgrade-y does not upgrade',
  async (t) => {
    const world = await recordingBackend(t, 'world')
    const received = rawBytes(world)
    const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
    const got = await raw(p.port, [
      'GET /1 HTTP/1.1\r\nHost: world\r\nConnection: x-close-y, x-upgrade-y\r\nUpgrade: websocket\r\n\r\n',
      'GET /2 HTTP/1.1\r\nHost: world\r\nConnection: close\r\n\r\n',
    ])
    t.equal(got.match(/HTTP\/1\.1 200/g)?.length, 2, 'the connection stayed open for the second')
    t.equal(world.seen[0]?.headers.upgrade, undefined)
    t.equal(
      received(),
      forwardedByProxy(world.port, { path: '/1' }) + forwardedByProxy(world.port, { path: '/2' }),
    )
  },
)

t.test('a header named __proto__ is only a header', async (t) => {
  const world = await recordingBackend(t, 'world')
  const received = rawBytes(world)
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  await raw(p.port, [
    'GET / HTTP/1.1\r\nHost: world\r\n__proto__: x\r\n__proto__: y\r\nConnection: close\r\n\r\n',
  ])
  const names = world.seen[0]?.rawHeaders.filter((_, i) => i % 2 === 0) ?? []
  t.notOk(names.includes('0') || names.includes('1'), names.join(','))
  t.equal(received(), forwardedByProxy(world.port, { headers: '__proto__: x\r\n__proto__: y\r\n' }))
})
