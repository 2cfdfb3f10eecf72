// An endpoint's HTTP/2 sessions: packed under the peer's SETTINGS_MAX_CONCURRENT_STREAMS, more
// sessions up to maxSessions, then a bounded wait; GOAWAY drains a session; idle sessions close;
// close() lets in-flight streams finish. Real node http2 servers on 127.0.0.1.
import type { ClientHttp2Stream, ServerHttp2Stream } from 'node:http2'
import { createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { H2PoolError, type H2PoolOptions, H2SessionPool } from '../src/h2/session-pool.js'
import { endpoint, h2Server, sleep, until } from './h2-forward-helpers.js'

const GET = { ':method': 'GET', ':path': '/', ':authority': 'a', ':scheme': 'http' }

function pool(port: number, options: Partial<H2PoolOptions> = {}): H2SessionPool {
  return new H2SessionPool(endpoint(port), { connectTimeoutMs: 1000, ...options })
}

/** A stream from the pool, or the pool's error. */
function open(p: H2SessionPool): Promise<ClientHttp2Stream> {
  return new Promise((resolve, reject) =>
    p.open(
      {
        onStream: (s) => {
          s.on('error', () => {})
          resolve(s)
        },
        onOpenError: reject,
      },
      GET,
      { endStream: true },
    ),
  )
}

function closed(s: ClientHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    s.resume()
    if (s.closed) resolve()
    else s.on('close', () => resolve())
  })
}

/** A backend that holds each stream until `release()` answers them all. */
async function holdingBackend(maxConcurrentStreams?: number) {
  const held: ServerHttp2Stream[] = []
  const backend = await h2Server(
    (stream) => {
      held.push(stream)
    },
    maxConcurrentStreams === undefined ? {} : { maxConcurrentStreams },
  )
  const release = () => {
    for (const s of held.splice(0)) {
      s.respond({ ':status': 200 })
      s.end('done')
    }
  }
  return { backend, held, release }
}

/**
 * A pool to a holding backend, both stopped when `t` ends (the held streams answered first, so
 * the pool's close() does not wait on them).
 */
async function poolOnHoldingBackend(
  t: Test,
  maxConcurrentStreams?: number,
  options: Partial<H2PoolOptions> = {},
) {
  const { backend, held, release } = await holdingBackend(maxConcurrentStreams)
  const p = pool(backend.port, options)
  t.teardown(async () => {
    release()
    await p.close()
    await backend.close()
  })
  return { p, backend, held, release }
}

t.test('streams share one session while the peer allows them', async (t) => {
  const { p, backend, held, release } = await poolOnHoldingBackend(t)
  const streams = await Promise.all([open(p), open(p), open(p), open(p), open(p)])
  await until(() => held.length === 5)
  t.equal(p.sessionCount, 1)
  t.equal(p.activeStreams, 5)
  t.equal(backend.sessions.size, 1)
  release()
  await Promise.all(streams.map(closed))
  t.equal(p.activeStreams, 0)
})

t.test(
  "past the peer's maxConcurrentStreams another session opens; past maxSessions streams wait",
  async (t) => {
    const { p, held, release } = await poolOnHoldingBackend(t, 1, { maxSessions: 2 })
    const first = await open(p)
    // The peer's SETTINGS (1 stream) are in once its first stream is.
    await until(() => held.length === 1)
    const second = await open(p)
    await until(() => held.length === 2)
    t.equal(p.sessionCount, 2, 'a second session for the second stream')
    let thirdOpen = false
    const third = open(p).then((s) => {
      thirdOpen = true
      return s
    })
    await sleep(100)
    t.notOk(thirdOpen, 'the third waits: both sessions are full and there may be no third')
    t.equal(p.waitingCount, 1)
    release()
    await Promise.all([closed(first), closed(second)])
    const s3 = await third
    t.equal(p.sessionCount, 2, 'it went on a session that had room again')
    await until(() => held.length === 1)
    release()
    await closed(s3)
  },
)

t.test(
  'when every session is full and the waiting queue too, a stream is refused at once',
  async (t) => {
    const { p, held, release } = await poolOnHoldingBackend(t, 1, {
      maxSessions: 1,
      maxWaiting: 1,
    })
    const first = await open(p)
    await until(() => held.length === 1)
    const waiting = open(p)
    const err = await open(p).catch((e: unknown) => e)
    t.ok(err instanceof H2PoolError)
    t.match(err, { code: 'H2_POOL_FULL', message: /1 streams open on 1 sessions and 1 waiting/ })
    release()
    await closed(first)
    const s = await waiting
    await until(() => held.length === 1)
    release()
    await closed(s)
  },
)

t.test('a refused connection is an H2_CONNECT error naming the endpoint', async (t) => {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  const p = pool(port)
  t.teardown(() => p.close())
  const err = await open(p).catch((e: unknown) => e)
  t.match(err, {
    code: 'H2_CONNECT',
    message: new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
  })
  t.equal(p.sessionCount, 0)
})

t.test(
  'a TLS session that does not complete in connectTimeoutMs fails with H2_CONNECT_TIMEOUT',
  async (t) => {
    // Accepts TCP and says nothing: the TLS handshake never ends.
    const sockets = new Set<Socket>()
    const silent = createServer((sock) => {
      sockets.add(sock)
    })
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const port = (silent.address() as { port: number }).port
    const p = pool(port, {
      connectTimeoutMs: 150,
      tls: {
        connectOptions: (host) => ({ host, rejectUnauthorized: false, ALPNProtocols: ['h2'] }),
      },
    })
    t.teardown(async () => {
      await p.close()
      for (const s of sockets) s.destroy()
      await new Promise((r) => silent.close(r))
    })
    const started = Date.now()
    const err = await open(p).catch((e: unknown) => e)
    t.match(err, { code: 'H2_CONNECT_TIMEOUT', message: /took longer than 150 ms/ })
    t.ok(Date.now() - started < 1000)
  },
)

t.test(
  'after GOAWAY the next stream goes on a new session, even at maxSessions 1; the old one finishes its streams',
  async (t) => {
    const { p, backend, held, release } = await poolOnHoldingBackend(t, undefined, {
      maxSessions: 1,
    })
    const first = await open(p)
    await until(() => held.length === 1)
    const [serverSession] = [...backend.sessions]
    serverSession!.goaway()
    await sleep(50)
    const second = await open(p)
    await until(() => held.length === 2)
    t.equal(backend.sessions.size, 2, 'a second session was opened')
    release()
    await Promise.all([closed(first), closed(second)])
    t.equal(first.rstCode, 0, 'the stream in flight at the GOAWAY finished')
    t.ok(await until(() => p.sessionCount === 1), 'the drained session is gone')
  },
)

t.test('a session idle for idleTimeoutMs is closed', async (t) => {
  const backend = await h2Server((stream) => {
    stream.respond({ ':status': 200 })
    stream.end()
  })
  const p = pool(backend.port, { idleTimeoutMs: 100 })
  t.teardown(async () => {
    await p.close()
    await backend.close()
  })
  await closed(await open(p))
  t.equal(p.sessionCount, 1)
  t.ok(await until(() => p.sessionCount === 0, 1000), 'closed when idle')
  await closed(await open(p))
  t.equal(p.sessionCount, 1, 'a new stream opens a new session')
})

t.test(
  'close() lets streams in flight finish, refuses those waiting and any new one',
  async (t) => {
    const { backend, held, release } = await holdingBackend(1)
    const p = pool(backend.port, { maxSessions: 1 })
    t.teardown(async () => {
      release()
      await backend.close()
    })
    const first = await open(p)
    await until(() => held.length === 1)
    const waiting = open(p).catch((e: unknown) => e)
    let done = false
    const closing = p.close().then(() => {
      done = true
    })
    t.match(await waiting, { code: 'H2_POOL_CLOSED' })
    t.match(await open(p).catch((e: unknown) => e), { code: 'H2_POOL_CLOSED' })
    await sleep(50)
    t.notOk(done, 'close() waits for the stream in flight')
    release()
    await closed(first)
    await closing
    t.equal(first.rstCode, 0, 'it finished normally')
    t.equal(p.sessionCount, 0)
  },
)
