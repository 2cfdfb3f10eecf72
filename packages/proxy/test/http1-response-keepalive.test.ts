// The upstream pool honours a backend's `Keep-Alive: timeout=N, max=M`: an idle connection is
// given up a margin before the backend would close it, so no request is written on a socket
// the backend is closing (a POST there cannot be retried, RFC 9110 §9.2.2).
//
// The backend here closes what it advertises: once a connection has idled for its timeout, the
// close is under way, and a request that arrives now has crossed the backend's FIN in flight;
// the backend drops it unanswered, as a real one does. (Its FIN reaches the proxy 300 ms later,
// as over a slow network; on loopback the race is too narrow to show on demand.)
import type { Socket } from 'node:net'
import t from 'tap'
import { idleLimit, NO_HINT } from '../src/http1/keep-alive.js'
import { front, newClient } from './forward-helpers.js'
import { type BackendRequest, rawClient, scriptedBackend } from './http1-response-helpers.js'

const FIN_LATENCY_MS = 300

/** A backend that advertises `keepAlive` and holds itself to it; counts what it drops. */
async function strictBackend(
  t: { teardown(fn: () => unknown): void },
  keepAlive: string,
  timeoutMs: number,
  maxRequests = Number.POSITIVE_INFINITY,
) {
  const idleSince = new WeakMap<Socket, number>()
  const served = new WeakMap<Socket, number>()
  const closing = new WeakMap<Socket, NodeJS.Timeout>()
  const answered: BackendRequest[] = []
  const dropped: BackendRequest[] = []
  const b = await scriptedBackend(t, (req, socket) => {
    clearTimeout(closing.get(socket))
    const since = idleSince.get(socket)
    const n = served.get(socket) ?? 0
    if ((since !== undefined && performance.now() - since >= timeoutMs) || n >= maxRequests) {
      dropped.push(req)
      socket.destroy()
      return
    }
    answered.push(req)
    served.set(socket, n + 1)
    const body = `answer-${answered.length}`
    socket.write(
      `HTTP/1.1 200 OK\r\nKeep-Alive: ${keepAlive}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      'latin1',
    )
    idleSince.set(socket, performance.now())
    const timer = setTimeout(() => socket.end(), timeoutMs + FIN_LATENCY_MS)
    timer.unref()
    closing.set(socket, timer)
  })
  return { ...b, answered, dropped }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const REQUESTS = [
  { method: 'GET', path: '/1', body: '' },
  { method: 'POST', path: '/2', body: 'two' },
  { method: 'GET', path: '/3', body: '' },
  { method: 'POST', path: '/4', body: 'four' },
] as const

const wire = (r: (typeof REQUESTS)[number], host: string) =>
  `${r.method} ${r.path} HTTP/1.1\r\n${host}: world\r\n` +
  (r.body === ''
    ? '\r\n'
    : `${host === 'host' ? 'content-length' : 'Content-Length'}: ${r.body.length}\r\n\r\n${r.body}`)

async function proxy(t: { teardown(fn: () => unknown): void }, port: number) {
  const client = newClient([port])
  const f = await front(client, { maxRetries: 2 })
  t.teardown(async () => {
    await f.close()
    await client.close()
  })
  return f
}

t.test(
  'with Keep-Alive: timeout=1, requests 1.1 s apart all succeed, POSTs included, and each reaches the backend once',
  async (t) => {
    const b = await strictBackend(t, 'timeout=1', 1000)
    const f = await proxy(t, b.port)
    const c = await rawClient(t, f.port)
    for (const [i, r] of REQUESTS.entries()) {
      if (i > 0) await sleep(1100)
      const before = c.received.length
      c.send(wire(r, 'Host'))
      const got = await c.until(
        (all) => all.endsWith(`answer-${i + 1}`) || all.includes(' 502 ', before),
      )
      t.match(got.slice(before), /^HTTP\/1\.1 200 OK\r\n/, `${r.method} ${r.path}: 200`)
    }
    t.same(
      b.answered.map((r) => r.text),
      REQUESTS.map((r) => wire(r, 'host')),
      'the backend answered each request once, byte for byte',
    )
    t.same(b.dropped, [], 'no request was written on a connection the backend was closing')
  },
)

t.test('within the hint the connection is reused', async (t) => {
  const b = await strictBackend(t, 'timeout=1', 1000)
  const f = await proxy(t, b.port)
  const c = await rawClient(t, f.port)
  c.send(wire(REQUESTS[0], 'Host'))
  await c.until((all) => all.endsWith('answer-1'))
  await sleep(300)
  c.send(wire(REQUESTS[1], 'Host'))
  await c.until((all) => all.endsWith('answer-2'))
  t.equal(b.connections.length, 1, 'one backend connection for both')
  t.equal(b.connections[0]?.received, wire(REQUESTS[0], 'host') + wire(REQUESTS[1], 'host'))
})

t.test('Keep-Alive: max=0 ends the connection after the response', async (t) => {
  const b = await strictBackend(t, 'timeout=5, max=0', 5000, 1)
  const f = await proxy(t, b.port)
  const c = await rawClient(t, f.port)
  c.send(wire(REQUESTS[0], 'Host'))
  await c.until((all) => all.endsWith('answer-1'))
  c.send(wire(REQUESTS[2], 'Host'))
  await c.until((all) => all.endsWith('answer-2'))
  t.same(b.dropped, [], 'the second request was not sent on the finished connection')
  t.equal(b.connections.length, 2)
  t.equal(b.connections[1]?.received, wire(REQUESTS[2], 'host'))
})

t.test('the idle limit: a margin short of the hint, never past the pool limit', async (t) => {
  t.equal(idleLimit(NO_HINT, 4000), 4000, 'no hint: the pool limit')
  t.equal(idleLimit(1000, 4000), 800, 'a fifth short of 1 s')
  t.equal(idleLimit(5000, 4000), 4000, '5 s less 1 s')
  t.equal(idleLimit(60_000, 4000), 4000, 'never past the pool limit')
  t.equal(idleLimit(60_000, 120_000), 59_000, 'at most 1 s short')
  t.equal(idleLimit(0, 4000), 0, 'timeout=0: not kept')
})
