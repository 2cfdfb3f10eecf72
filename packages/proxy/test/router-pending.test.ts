// The first request for a concrete name nobody has resolved yet waits for its addresses. That
// wait is part of the request: it spends the router's timeout, an inbound deadline bounds it,
// and a client that leaves during it is not forwarded. The interpreter is hand-driven (the
// test decides when the addresses arrive); the router, its sockets and the backend are real.
import { request as httpRequest } from 'node:http'
import { pino } from 'pino'
import t from 'tap'
import { RouterConfig } from '../src/config/schema.js'
import { Router } from '../src/router/router.js'
import { FakeInterpreter, up } from './route-helpers.js'
import { recordingBackend, send } from './router-helpers.js'

const DTAB = '/svc/world => /#/world'

async function pendingRouter(t: { teardown(fn: () => unknown): void }, timeoutMs: number) {
  const interpreter = new FakeInterpreter(DTAB)
  const router = new Router(
    RouterConfig.parse({ servers: [{ port: 0 }], timeoutMs }),
    interpreter,
    pino({ level: 'silent' }),
    undefined,
  )
  const [address] = await router.listen()
  t.teardown(() => router.close())
  return { interpreter, router, port: Number(address!.slice(address!.lastIndexOf(':') + 1)) }
}

const l5dErr = (r: { headers: Record<string, unknown> }) =>
  decodeURIComponent(String(r.headers['l5d-err']).replace(/\+/g, ' '))

const later = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test(
  'the wait for addresses counts against timeoutMs: the whole request gets it, not each half',
  async (t) => {
    const world = await recordingBackend(t, 'world', (_req, res) => {
      setTimeout(() => res.end('slow world'), 700)
    })
    const { interpreter, port } = await pendingRouter(t, 1000)
    const start = performance.now()
    const reply = send(port, { headers: { host: 'world' } })
    await later(600)
    interpreter.set('world', up(world.port))
    const r = await reply
    const took = performance.now() - start
    t.equal(r.status, 503, '600 ms waiting + 700 ms answering is past the 1000 ms timeout')
    t.equal(world.seen.length, 1, 'the request went out once its addresses came')
    t.ok(took < 1250, `answered at the timeout, not 600 ms after it (${Math.round(took)} ms)`)
  },
)

t.test('an inbound l5d-ctx-deadline bounds the wait for addresses', async (t) => {
  const { port } = await pendingRouter(t, 10_000)
  const nowNs = BigInt(Date.now()) * 1_000_000n
  const start = performance.now()
  const r = await send(port, {
    headers: { host: 'world', 'l5d-ctx-deadline': `${nowNs} ${nowNs + 300_000_000n}` },
  })
  const took = performance.now() - start
  t.equal(r.status, 503)
  t.match(l5dErr(r), 'Timed out waiting for the addresses')
  t.equal(r.headers['l5d-retryable'], 'false', 'timeouts are never marked retryable')
  t.ok(took < 5000, `the caller's 300 ms deadline, not the router's 10 s (${Math.round(took)} ms)`)
})

t.test('a deadline already past is answered 503 without waiting', async (t) => {
  const { port } = await pendingRouter(t, 10_000)
  const past = BigInt(Date.now() - 1000) * 1_000_000n
  const r = await send(port, {
    headers: { host: 'world', 'l5d-ctx-deadline': `${past - 1_000_000n} ${past}` },
  })
  t.equal(r.status, 503)
  t.match(l5dErr(r), 'Deadline expired before the addresses')
  t.equal(r.headers['l5d-retryable'], 'false', 'a retry would meet the same deadline')
})

t.test('a client that leaves while its request waits for addresses is not forwarded', async (t) => {
  const world = await recordingBackend(t, 'world')
  const { interpreter, router, port } = await pendingRouter(t, 10_000)
  const req = httpRequest({ host: '127.0.0.1', port, path: '/', headers: { host: 'world' } })
  req.on('error', () => {})
  req.end()
  const server = () => [...router.stats.servers.byId.values()][0]!
  await later(150)
  t.equal(server().pending, 1, 'the request is waiting')
  req.destroy()
  await later(150)
  t.equal(server().pending, 0, 'it stopped waiting when the client left')
  interpreter.set('world', up(world.port))
  await later(150)
  t.equal(world.seen.length, 0, 'the addresses came later; nothing was sent for nobody')
})
