// An h2 router's streams around their edges: the first stream for a name nobody has resolved
// waits for its addresses (within its deadline, grpc-timeout included; a client that resets
// during the wait is not forwarded), the SETTINGS the server announces, and close() letting
// streams in flight finish.
import { connect as netConnect } from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import { RouterConfig, ServerConfig } from '../src/config/schema.js'
import { H2Router } from '../src/h2/h2-router.js'
import { H2Server, SESSION_IDLE_MS } from '../src/h2/h2-server.js'
import {
  closedWithin,
  grpcFrame,
  h2Backend,
  h2Config,
  h2Connect,
  h2Proxy,
  h2Request,
  inet,
} from './h2-router-helpers.js'
import { FakeInterpreter, up } from './route-helpers.js'

const later = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function pendingRouter(
  t: { teardown(fn: () => unknown): void },
  timeoutMs: number,
  server: Record<string, unknown> = {},
) {
  const interpreter = new FakeInterpreter('/svc/world => /#/world')
  const router = new H2Router(
    RouterConfig.parse({ protocol: 'h2', servers: [{ port: 0, ...server }], timeoutMs }),
    interpreter,
    pino({ level: 'silent' }),
    undefined,
    { baseDir: process.cwd() },
  )
  const [address] = await router.listen()
  t.teardown(() => router.close())
  return { interpreter, router, port: Number(address!.slice(address!.lastIndexOf(':') + 1)) }
}

t.test('the first stream for a name waits for its addresses, then goes', async (t) => {
  const world = await h2Backend(t, 'world')
  const { interpreter, port } = await pendingRouter(t, 5000)
  const s = h2Connect(t, `http://127.0.0.1:${port}`)
  const reply = h2Request(s, { ':authority': 'world', ':path': '/' })
  await later(100)
  t.equal(world.seen.length, 0, 'nothing sent while the name is unresolved')
  interpreter.set('world', up(world.port))
  const r = await reply
  t.equal(r.status, 200)
  t.equal(r.body, 'world')
})

t.test('grpc-timeout bounds the wait for addresses: DEADLINE_EXCEEDED', async (t) => {
  const { port, router } = await pendingRouter(t, 10_000)
  const s = h2Connect(t, `http://127.0.0.1:${port}`)
  const start = performance.now()
  const r = await h2Request(
    s,
    {
      ':authority': 'world',
      ':path': '/a.B/C',
      ':method': 'POST',
      'content-type': 'application/grpc',
      'grpc-timeout': '300m',
    },
    grpcFrame('x'),
  )
  const took = performance.now() - start
  t.equal(r.headers['grpc-status'], '4', 'DEADLINE_EXCEEDED')
  t.ok(took < 3000, `at the call's deadline, not the router's (${Math.round(took)} ms)`)
  t.equal(router.stats.services.get('/svc/world').failures, 1, 'a failure of the service')
})

t.test('a client that resets its stream during the wait is not forwarded', async (t) => {
  const world = await h2Backend(t, 'world')
  const { interpreter, port, router } = await pendingRouter(t, 5000)
  const s = h2Connect(t, `http://127.0.0.1:${port}`)
  const req = s.request({ ':authority': 'world', ':path': '/', ':method': 'POST' })
  req.on('error', () => {})
  req.write('x')
  await later(100)
  req.close(8 /* CANCEL */)
  await later(100)
  interpreter.set('world', up(world.port))
  await later(200)
  t.equal(world.seen.length, 0, 'the backend never saw it')
  const server = router.stats.servers.get(`127.0.0.1/${port}`)
  t.equal(server.pending, 0, 'nothing left pending')
  t.equal(server.requests, 1, 'counted once, without a status')
  // And the next stream is served.
  const r = await h2Request(s, { ':authority': 'world', ':path': '/' })
  t.equal(r.status, 200)
})

t.test('the server announces its h2 settings from the config keys', async (t) => {
  const { port } = await pendingRouter(t, 1000, {
    maxConcurrentStreamsPerConnection: 7,
    initialStreamWindowBytes: 1_048_576,
    maxFrameBytes: 32_768,
    maxHeaderListBytes: 8192,
  })
  const s = h2Connect(t, `http://127.0.0.1:${port}`)
  await new Promise<void>((resolve) => s.once('remoteSettings', () => resolve()))
  t.equal(s.remoteSettings.maxConcurrentStreams, 7)
  t.equal(s.remoteSettings.initialWindowSize, 1_048_576)
  t.equal(s.remoteSettings.maxFrameSize, 32_768)
  t.equal(s.remoteSettings.maxHeaderListSize, 8192)
  t.equal(s.remoteSettings.enablePush, false)
})

t.test(
  'the defaults: 1000 streams, a 65535-byte window, 16 KiB frames and header lists',
  async (t) => {
    const { port } = await pendingRouter(t, 1000)
    const s = h2Connect(t, `http://127.0.0.1:${port}`)
    await new Promise<void>((resolve) => s.once('remoteSettings', () => resolve()))
    t.equal(s.remoteSettings.maxConcurrentStreams, 1000)
    t.equal(s.remoteSettings.initialWindowSize, 65_535)
    t.equal(s.remoteSettings.maxFrameSize, 16_384)
    t.equal(s.remoteSettings.maxHeaderListSize, 16_384)
  },
)

t.test('close() sends GOAWAY and lets a stream in flight finish', async (t) => {
  const slow = await h2Backend(t, 'slow', (stream) => {
    setTimeout(() => {
      stream.respond({ ':status': 200 })
      stream.end('finished')
    }, 300)
  })
  const p = await h2Proxy(t, h2Config(`/svc/slow => ${inet(slow.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  let goaway = false
  s.on('goaway', () => {
    goaway = true
  })
  const reply = h2Request(s, { ':authority': 'slow', ':path': '/' })
  while (slow.seen.length === 0) await later(10)
  const closing = p.running.routers[0]!.close()
  const r = await reply
  t.equal(r.status, 200)
  t.equal(r.body, 'finished', 'the stream in flight got its whole answer')
  t.ok(goaway, 'the client was told to go away')
  await closing
})

t.test('an idle session is closed; one with a quiet stream open is kept', async (t) => {
  const server = new H2Server({
    config: ServerConfig.parse({ port: 0 }),
    logger: pino({ level: 'silent' }),
    sessionIdleMs: 200,
    // Streams are held open, never answered.
    onStream: (stream) => stream.resume(),
  })
  await server.listen(0, '127.0.0.1')
  t.teardown(() => server.close(0))
  const url = `http://127.0.0.1:${server.address().port}`
  const idle = h2Connect(t, url)
  const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()))
  const busy = h2Connect(t, url)
  const quiet = busy.request({ ':path': '/', ':method': 'POST' })
  quiet.on('error', () => {})
  await idleClosed
  t.pass('the session without streams was closed')
  await later(400)
  t.notOk(busy.closed || busy.destroyed, 'the session with an open stream is kept')
})

t.test(
  'idle client sessions are closed after 60 s by default (as HTTP/1.1 keep-alive), and after their last stream',
  async (t) => {
    t.equal(SESSION_IDLE_MS, 60_000, 'the default idle time is a minute, not five')
    const server = new H2Server({
      config: ServerConfig.parse({ port: 0 }),
      logger: pino({ level: 'silent' }),
      sessionIdleMs: 200,
      onStream: (stream) => {
        stream.respond({ ':status': 200 })
        stream.end('ok')
      },
    })
    await server.listen(0, '127.0.0.1')
    t.teardown(() => server.close(0))
    const url = `http://127.0.0.1:${server.address().port}`
    // Many sessions that only say hello (preface and SETTINGS), as a flood of idle clients.
    const many = Array.from({ length: 20 }, () => h2Connect(t, url))
    // One that is served a stream, then goes quiet.
    const used = h2Connect(t, url)
    const req = used.request({ ':path': '/' })
    req.on('error', () => {})
    req.resume()
    await new Promise<void>((resolve) => req.on('close', () => resolve()))
    const start = performance.now()
    await Promise.all(
      [...many, used].map(
        (s) =>
          new Promise<void>((resolve) => (s.closed ? resolve() : s.once('close', () => resolve()))),
      ),
    )
    t.pass(
      `all 21 idle sessions closed (${Math.round(performance.now() - start)} ms after the last stream)`,
    )
  },
)

t.test('a connection that never sends the HTTP/2 preface is closed', async (t) => {
  const server = new H2Server({
    config: ServerConfig.parse({ port: 0 }),
    logger: pino({ level: 'silent' }),
    prefaceMs: 200,
    onStream: (stream) => stream.resume(),
  })
  await server.listen(0, '127.0.0.1')
  t.teardown(() => server.close(0))
  const start = performance.now()
  const closed = await closedWithin(netConnect(server.address().port, '127.0.0.1'), 3000)
  t.ok(closed, `closed after ${Math.round(performance.now() - start)} ms of silence`)
  // A client that does send it is served as usual.
  const s = h2Connect(t, `http://127.0.0.1:${server.address().port}`)
  await new Promise<void>((resolve) => s.once('remoteSettings', () => resolve()))
  await later(400)
  t.notOk(s.closed || s.destroyed, 'a client that sent its preface stays connected')
})
