// Linkerd's h2 retry rules: a request that never reached a backend goes again (no session, a
// refused stream, a GOAWAY that left it unprocessed); a gRPC trailers-only UNAVAILABLE goes again
// only when the whole request body was read and kept (at most 64 KiB); nothing once the answer
// began; all within maxRetries and the retry budget.
import { constants, type ServerHttp2Stream } from 'node:http2'
import { createServer, type Socket } from 'node:net'
import t from 'tap'
import { RetryBudget } from '../src/retry/budget.js'
import { seeded } from './forward-helpers.js'
import { ask, forwardingTo, type H2Server, h2Server } from './h2-forward-helpers.js'

const POST = { ':method': 'POST', ':path': '/pkg.Svc/Call', ':authority': 'svc', ':scheme': 'http' }
const GRPC = { ...POST, 'content-type': 'application/grpc' }
/** responseClassifier io.l5d.h2.grpc.default: a trailers-only UNAVAILABLE may go again. */
const UNAVAILABLE_RETRYABLE: ReadonlySet<number> = new Set([14])

async function deadPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

/** Reads the whole request body, then calls `done` with it. */
function readAll(stream: ServerHttp2Stream, done: (body: string) => void): void {
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  stream.on('end', () => done(Buffer.concat(chunks).toString()))
}

function grpcAnswer(stream: ServerHttp2Stream, status: number): void {
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status) },
    { endStream: true },
  )
}

/**
 * A backend answering every call with a trailers-only UNAVAILABLE once it has read the request;
 * `seen` counts the calls its handler answered.
 */
async function unavailableBackend(): Promise<H2Server & { readonly seen: number }> {
  let seen = 0
  const server = await h2Server((stream) =>
    readAll(stream, () => {
      seen++
      grpcAnswer(stream, 14)
    }),
  )
  return {
    ...server,
    get seen() {
      return seen
    },
  }
}

t.test('a POST whose endpoint refuses connections goes to the live one, body intact', async (t) => {
  const bodies: string[] = []
  const live = await h2Server((stream) =>
    readAll(stream, (body) => {
      bodies.push(body)
      stream.respond({ ':status': 200 })
      stream.end('live')
    }),
  )
  const { front, session } = await forwardingTo(t, [live], {
    ports: [await deadPort(), live.port],
    random: seeded(11),
  })
  for (let i = 0; i < 10; i++) {
    const a = await ask(session, POST, `body ${i}`)
    t.equal(a.body, 'live')
  }
  t.same(
    bodies,
    Array.from({ length: 10 }, (_, i) => `body ${i}`),
  )
  const retried = front.results.filter((r) => r.retries > 0)
  t.ok(retried.length > 0, `${retried.length} of 10 were retried`)
  for (const r of retried) t.match(r, { ok: true, retries: 1, endpoint: `127.0.0.1:${live.port}` })
})

t.test('only dead endpoints: a connect failure once the retries are spent', async (t) => {
  const { front, session } = await forwardingTo(t, [], {
    ports: [await deadPort()],
    front: { maxRetries: 2 },
  })
  const a = await ask(session, POST, 'x')
  t.equal(a.headers[':status'], 502)
  t.match(front.results[0], {
    ok: false,
    kind: 'connect',
    retries: 2,
    message: /cannot connect to 127\.0\.0\.1:\d+/,
  })
})

t.test('a refused stream (REFUSED_STREAM) is sent again with its body', async (t) => {
  let seen = 0
  const bodies: string[] = []
  const backend = await h2Server((stream) => {
    seen++
    if (seen === 1) {
      stream.close(constants.NGHTTP2_REFUSED_STREAM)
      return
    }
    readAll(stream, (body) => {
      bodies.push(body)
      stream.respond({ ':status': 200 })
      stream.end('second')
    })
  })
  const { front, session } = await forwardingTo(t, [backend])
  const a = await ask(session, POST, 'payload')
  t.equal(a.body, 'second')
  t.same(bodies, ['payload'])
  // Never processed: sent again without counting as a retry or spending the budget.
  t.match(front.results[0], { ok: true, retries: 0 })
})

t.test('a stream a GOAWAY left unprocessed goes again on a new session', async (t) => {
  let sessions = 0
  const backend = await h2Server((stream) => {
    stream.resume()
    stream.respond({ ':status': 200 })
    stream.end('after goaway')
  })
  // The first session is told GOAWAY as soon as it opens, having processed nothing (last stream
  // id 0): a stream sent on it is refused; either way the next one goes on a new session.
  backend.server.on('session', (session) => {
    sessions++
    if (sessions === 1) session.goaway(constants.NGHTTP2_NO_ERROR, 0)
  })
  const { front, session } = await forwardingTo(t, [backend])
  const a = await ask(session, POST, 'x')
  t.equal(a.body, 'after goaway')
  t.equal(sessions, 2, 'a second session was opened')
  t.match(front.results[0], { ok: true })
  t.ok(front.results[0]!.retries <= 1, `retries: ${front.results[0]!.retries}`)
})

t.test('gRPC trailers-only UNAVAILABLE with a small whole body is sent again', async (t) => {
  let seen = 0
  const bodies: string[] = []
  const backend = await h2Server((stream) =>
    readAll(stream, (body) => {
      seen++
      bodies.push(body)
      grpcAnswer(stream, seen === 1 ? 14 : 0)
    }),
  )
  const { front, session } = await forwardingTo(t, [backend], {
    front: { retryableGrpc: UNAVAILABLE_RETRYABLE },
  })
  const a = await ask(session, GRPC, 'message')
  t.equal(a.headers['grpc-status'], '0')
  t.same(bodies, ['message', 'message'], 'the body was replayed')
  t.match(front.results[0], { ok: true, grpcStatus: 0, retries: 1 })
})

t.test(
  'gRPC UNAVAILABLE after a body over 64 KiB is answered as it is, not sent again',
  async (t) => {
    const backend = await unavailableBackend()
    const { front, session } = await forwardingTo(t, [backend], {
      front: { retryableGrpc: UNAVAILABLE_RETRYABLE },
    })
    const a = await ask(session, GRPC, Buffer.alloc(64 * 1024 + 1, 'b'))
    t.equal(a.headers['grpc-status'], '14')
    t.equal(backend.seen, 1)
    t.match(front.results[0], { ok: true, grpcStatus: 14, retries: 0 })
  },
)

t.test('gRPC UNAVAILABLE before the whole body was sent is not retried', async (t) => {
  let seen = 0
  const backend = await h2Server((stream) => {
    seen++
    stream.resume()
    grpcAnswer(stream, 14)
  })
  const { session } = await forwardingTo(t, [backend], {
    front: { retryableGrpc: UNAVAILABLE_RETRYABLE },
  })
  const stream = session.request(GRPC)
  stream.on('error', () => {})
  stream.write('still streaming')
  const status = await new Promise((resolve) =>
    stream.on('response', (h) => resolve(h['grpc-status'])),
  )
  stream.close(constants.NGHTTP2_CANCEL)
  t.equal(status, '14')
  t.equal(seen, 1)
})

t.test('an UNAVAILABLE in trailers after an answer began is never retried', async (t) => {
  let seen = 0
  const backend = await h2Server((stream) =>
    readAll(stream, () => {
      seen++
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      )
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '14' }))
      stream.end(Buffer.from([0, 0, 0, 0, 0]))
    }),
  )
  const { front, session } = await forwardingTo(t, [backend], {
    front: { retryableGrpc: UNAVAILABLE_RETRYABLE },
  })
  const a = await ask(session, GRPC, 'm')
  t.equal(a.trailers?.['grpc-status'], '14')
  t.equal(seen, 1)
  t.match(front.results[0], { ok: true, grpcStatus: 14, retries: 0 })
})

t.test('an empty retry budget stops retries and says so', async (t) => {
  const backend = await unavailableBackend()
  const { front, session } = await forwardingTo(t, [backend], {
    front: {
      budget: new RetryBudget({ percentCanRetry: 0, minRetriesPerSec: 0 }),
      retryableGrpc: UNAVAILABLE_RETRYABLE,
    },
  })
  const a = await ask(session, GRPC, 'm')
  t.equal(a.headers['grpc-status'], '14')
  t.equal(backend.seen, 1)
  t.match(front.results[0], { ok: true, grpcStatus: 14, retries: 0, budgetExhausted: true })
})

t.test('retries stop at maxRetries', async (t) => {
  const backend = await unavailableBackend()
  const { front, session } = await forwardingTo(t, [backend], {
    front: { maxRetries: 3, retryableGrpc: UNAVAILABLE_RETRYABLE },
  })
  const a = await ask(session, GRPC, 'm')
  t.equal(a.headers['grpc-status'], '14')
  t.equal(backend.seen, 4, 'the first try and 3 retries')
  t.match(front.results[0], { ok: true, grpcStatus: 14, retries: 3 })
})

t.test(
  'a connection lost before any answer: a GET goes again, a POST does not (RFC 9110 §9.2.2)',
  async (t) => {
    let seen = 0
    // The backend's raw sockets: node 22 refuses destroy() through a session's socket proxy
    // (ERR_HTTP2_NO_SOCKET_MANIPULATION), node 24 allows it.
    const raw = new Set<Socket>()
    const backend = await h2Server((stream) => {
      seen++
      if (seen % 2 === 1) {
        // The backend's process dies with the stream in hand: the connection is cut.
        for (const socket of raw) socket.destroy()
        raw.clear()
        return
      }
      stream.resume()
      stream.respond({ ':status': 200 })
      stream.end('second try')
    })
    backend.server.on('connection', (socket: Socket) => raw.add(socket))
    const { front, session } = await forwardingTo(t, [backend])
    const get = await ask(session, { ...POST, ':method': 'GET' })
    t.equal(get.body, 'second try')
    t.match(front.results[0], { ok: true, retries: 1 })
    const post = await ask(session, POST, 'not idempotent')
    t.equal(post.headers[':status'], 502)
    t.match(front.results[1], {
      ok: false,
      kind: 'upstream-reset',
      retries: 0,
      message: /connection was lost before answering/,
    })
  },
)

t.test(
  "by default (Linkerd's h2 classifier) a backend's own trailers-only UNAVAILABLE is answered as it is",
  async (t) => {
    const backend = await unavailableBackend()
    const { front, session } = await forwardingTo(t, [backend])
    const a = await ask(session, GRPC, 'm')
    t.equal(a.headers['grpc-status'], '14')
    t.equal(backend.seen, 1, 'the handler ran once')
    t.match(front.results[0], { ok: true, grpcStatus: 14, retries: 0, budgetExhausted: false })
  },
)
