// Resets travel both ways, a timeout cancels the backend's stream, and a backend that dies
// mid-answer resets the client's stream without taking the proxy with it.
import { spawn } from 'node:child_process'
import { constants, type ServerHttp2Stream } from 'node:http2'
import t from 'tap'
import {
  answer,
  ask,
  forwardingTo,
  type H2Server,
  h2Client,
  h2Connect,
  h2Front,
  h2Server,
  until,
} from './h2-forward-helpers.js'

const GET = { ':method': 'GET', ':path': '/', ':authority': 'svc', ':scheme': 'http' }

/**
 * A backend that reads each request and answers as `onStream` says (by default never);
 * `rstCode` is the reset code its last stream closed with, once it closed.
 */
async function watchedBackend(
  onStream: (stream: ServerHttp2Stream) => void = () => {},
): Promise<H2Server & { readonly rstCode: number | undefined }> {
  let rstCode: number | undefined
  const server = await h2Server((stream) => {
    stream.resume()
    stream.on('close', () => {
      rstCode = stream.rstCode
    })
    onStream(stream)
  })
  return {
    ...server,
    get rstCode() {
      return rstCode
    },
  }
}

t.test('a client that resets its stream cancels the backend stream (CANCEL)', async (t) => {
  const backend = await watchedBackend((stream) => {
    stream.respond({ ':status': 200 })
    stream.write('first')
  })
  const { client, front, session } = await forwardingTo(t, [backend])
  const stream = session.request(GET)
  const a = answer(stream)
  await new Promise((resolve) => stream.once('data', resolve))
  const result = front.next()
  stream.close(constants.NGHTTP2_CANCEL)
  await a
  t.match(await result, { ok: false, kind: 'client-aborted', headersSent: true })
  t.ok(await until(() => backend.rstCode !== undefined))
  t.equal(backend.rstCode, constants.NGHTTP2_CANCEL, 'the backend saw CANCEL')
  t.equal(client.pending, 0, 'the endpoint has nothing outstanding')
})

t.test('a client that resets while the backend is still to answer cancels it too', async (t) => {
  const backend = await watchedBackend()
  const { front, session } = await forwardingTo(t, [backend])
  const stream = session.request({ ...GET, ':method': 'POST' })
  stream.on('error', () => {})
  stream.write('part of a body')
  const result = front.next()
  await until(() => backend.sessions.size > 0)
  setTimeout(() => stream.close(constants.NGHTTP2_CANCEL), 50)
  t.match(await result, { ok: false, kind: 'client-aborted', headersSent: false })
  t.ok(await until(() => backend.rstCode !== undefined))
  t.equal(backend.rstCode, constants.NGHTTP2_CANCEL)
})

t.test("a backend's reset mid-answer resets the client's stream with the same code", async (t) => {
  const backend = await h2Server((stream) => {
    stream.resume()
    stream.respond({ ':status': 200 })
    // More than the windows hold, so the reset overtakes data still queued: a real mid-answer
    // reset, not an answer that ended first.
    stream.write(Buffer.alloc(1024 * 1024, 'p'))
    setTimeout(() => stream.close(constants.NGHTTP2_ENHANCE_YOUR_CALM), 100)
  })
  const { front, session } = await forwardingTo(t, [backend])
  const stream = session.request(GET)
  stream.on('error', () => {})
  let status: unknown
  stream.on('response', (h) => {
    status = h[':status']
  })
  stream.pause()
  const r = await front.next()
  const a = answer(stream)
  stream.resume()
  const got = await a
  t.equal(status, 200)
  t.ok(got.body.length < 1024 * 1024, `part of the answer came (${got.body.length} bytes)`)
  t.equal(got.rstCode, constants.NGHTTP2_ENHANCE_YOUR_CALM)
  t.match(r, {
    ok: false,
    kind: 'upstream-reset',
    headersSent: true,
    rstCode: constants.NGHTTP2_ENHANCE_YOUR_CALM,
    message: /ENHANCE_YOUR_CALM/,
  })
})

t.test(
  "a backend's reset before answering is a failure the router answers (502 here)",
  async (t) => {
    const backend = await h2Server((stream) => {
      stream.resume()
      stream.close(constants.NGHTTP2_INTERNAL_ERROR)
    })
    const { front, session } = await forwardingTo(t, [backend])
    const a = await ask(session, GET)
    t.equal(a.headers[':status'], 502)
    t.match(front.results[0], {
      ok: false,
      kind: 'upstream-reset',
      headersSent: false,
      retries: 0,
      rstCode: constants.NGHTTP2_INTERNAL_ERROR,
      message: /the backend reset the stream \(INTERNAL_ERROR\) before answering/,
    })
  },
)

t.test(
  'no answer within the timeout: the backend stream is cancelled, the result says timeout',
  async (t) => {
    const backend = await watchedBackend()
    const { front, session } = await forwardingTo(t, [backend], { front: { timeoutMs: 150 } })
    const a = await ask(session, GET)
    t.equal(a.headers[':status'], 504)
    t.match(front.results[0], { ok: false, kind: 'timeout', headersSent: false, message: /150 ms/ })
    t.ok(await until(() => backend.rstCode !== undefined))
    t.equal(backend.rstCode, constants.NGHTTP2_CANCEL)
  },
)

t.test('an answer that began is not cut by the timeout', async (t) => {
  const backend = await h2Server((stream) => {
    stream.resume()
    stream.respond({ ':status': 200 })
    stream.write('a')
    setTimeout(() => stream.end('b'), 250)
  })
  const { front, session } = await forwardingTo(t, [backend], { front: { timeoutMs: 100 } })
  const a = await ask(session, GET)
  t.equal(a.body, 'ab')
  t.match(front.results[0], { ok: true })
})

/**
 * A backend in its own process: a 200 and one chunk every 20 ms, until killed; `content-type:
 * application/grpc` on the answer when `grpc`.
 */
async function processBackend(
  grpc = false,
): Promise<{ port: number; kill(): void; exited: Promise<unknown> }> {
  const head = grpc
    ? `{ ':status': 200, 'content-type': 'application/grpc' }`
    : `{ ':status': 200 }`
  const script = `
    const http2 = require('node:http2')
    const server = http2.createServer()
    server.on('stream', (stream) => {
      stream.on('error', () => {})
      stream.respond(${head})
      setInterval(() => stream.write('tick\\n'), 20)
    })
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'))
  `
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    child.once('exit', () => reject(new Error('the backend process exited before listening')))
  })
  return { port, kill: () => child.kill('SIGKILL'), exited }
}

t.test('a backend killed mid-answer resets the client stream; the proxy carries on', async (t) => {
  const dying = await processBackend()
  const live = await h2Server((stream: ServerHttp2Stream) => {
    stream.resume()
    stream.respond({ ':status': 200 })
    stream.end('alive')
  })
  // At first only the dying backend is the client's; the name points to the live one later.
  const { client, front, session } = await forwardingTo(
    t,
    [{ port: dying.port, close: dying.kill }, live],
    {
      ports: [dying.port],
    },
  )
  const stream = session.request(GET)
  const a = answer(stream)
  await new Promise((resolve) => stream.once('data', resolve))
  dying.kill()
  await dying.exited
  const got = await a
  t.equal(got.headers[':status'], 200)
  t.match(got.body, /^tick\n/)
  t.equal(
    got.rstCode,
    constants.NGHTTP2_INTERNAL_ERROR,
    "the client's stream was reset (INTERNAL_ERROR, not CANCEL)",
  )
  t.match(front.results[0], {
    ok: false,
    kind: 'upstream-reset',
    headersSent: true,
    message: /the connection was lost while answering/,
  })
  t.equal(
    (front.results[0] as { rstCode?: number }).rstCode,
    undefined,
    'the backend reset nothing',
  )
  // The same proxy and client session go on working once the name points elsewhere.
  client.setAddr({
    type: 'bound',
    addrs: [{ ip: '127.0.0.1', port: live.port, meta: {} }],
    meta: {},
  })
  const next = await ask(session, GET)
  t.equal(next.body, 'alive')
})

t.test('a client connection cut with 100 streams in flight leaves nothing behind', async (t) => {
  const open = new Set<ServerHttp2Stream>()
  const backend = await h2Server((stream) => {
    open.add(stream)
    stream.on('close', () => open.delete(stream))
    stream.resume()
    stream.respond({ ':status': 200 })
    stream.write(Buffer.alloc(32 * 1024))
  })
  const client = h2Client([backend.port])
  const front = await h2Front(client)
  const session = await h2Connect(front.port)
  t.teardown(async () => {
    await front.close()
    await client.close()
    await backend.close()
  })
  for (let i = 0; i < 100; i++) {
    const s = session.request({ ...GET, ':method': 'POST' })
    s.on('error', () => {})
    s.write('some body')
  }
  t.ok(await until(() => open.size === 100), 'all 100 reached the backend')
  session.destroy()
  t.ok(await until(() => front.results.length === 100), 'every stream has its result')
  t.ok(front.results.every((r) => !r.ok && r.kind === 'client-aborted'))
  t.ok(await until(() => open.size === 0), 'every backend stream was cancelled')
  t.equal(client.pending, 0, 'nothing outstanding on the client')
  const pool = client.endpoints()[0]
  t.equal(pool?.outstanding, 0)
})

const GRPC_POST = {
  ':method': 'POST',
  ':path': '/world.World/Chat',
  ':authority': 'svc',
  ':scheme': 'http',
  'content-type': 'application/grpc',
  te: 'trailers',
}

t.test(
  "a gRPC backend resetting mid-answer with its request open (END_STREAM, then RST_STREAM CANCEL, as node's close() sends them) resets the client's stream with CANCEL",
  async (t) => {
    const backend = await h2Server((stream) => {
      stream.resume()
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' })
      stream.write('message')
      // The request is still open: node ends its side first, then resets.
      setTimeout(() => stream.close(constants.NGHTTP2_CANCEL), 50)
    })
    const { front, session } = await forwardingTo(t, [backend])
    const stream = session.request(GRPC_POST)
    stream.write('a request message, the stream left open')
    const got = await answer(stream)
    t.equal(got.body, 'message')
    t.equal(got.trailers, undefined, 'no trailers: the answer did not end as a complete one')
    t.equal(got.rstCode, constants.NGHTTP2_CANCEL, "the client's stream was reset with CANCEL")
    t.match(front.results[0], {
      ok: false,
      kind: 'upstream-reset',
      headersSent: true,
      rstCode: constants.NGHTTP2_CANCEL,
    })
  },
)

t.test(
  'a gRPC answer ending without trailers and no reset still ends at the client (at the close)',
  async (t) => {
    const backend = await h2Server((stream) => {
      stream.resume()
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' })
      stream.end('message')
    })
    const { front, session } = await forwardingTo(t, [backend])
    const got = await ask(session, GRPC_POST, 'request')
    t.equal(got.body, 'message')
    t.equal(got.rstCode, constants.NGHTTP2_NO_ERROR)
    t.match(front.results[0], { ok: true, status: 200, grpcStatus: undefined })
  },
)

t.test(
  'a gRPC call whose backend is killed mid-answer ends with grpc-status 14 (UNAVAILABLE) in trailers naming the lost connection, not a reset',
  async (t) => {
    const dying = await processBackend(true)
    const { client, front, session } = await forwardingTo(t, [
      { port: dying.port, close: dying.kill },
    ])
    const stream = session.request(GRPC_POST, { endStream: true })
    const a = answer(stream)
    await new Promise((resolve) => stream.once('data', resolve))
    dying.kill()
    await dying.exited
    const got = await a
    t.equal(got.headers[':status'], 200)
    t.match(got.body, /^tick\n/)
    t.equal(got.rstCode, constants.NGHTTP2_NO_ERROR, 'ended, not reset')
    t.equal(got.trailers?.['grpc-status'], '14')
    t.match(
      decodeURIComponent(String(got.trailers?.['grpc-message'])),
      /127\.0\.0\.1:\d+: the connection was lost while answering/,
    )
    t.ok(got.trailers?.['l5d-err'], 'l5d-err too')
    t.match(front.results[0], {
      ok: false,
      kind: 'upstream-reset',
      headersSent: true,
      grpcStatus: 14,
      message: /the connection was lost while answering/,
    })
    t.equal(client.pending, 0)
  },
)

t.test(
  "on a clearContext server the forwarder's own gRPC status carries no message and no l5d-err",
  async (t) => {
    const dying = await processBackend(true)
    const { session } = await forwardingTo(t, [{ port: dying.port, close: dying.kill }], {
      front: { clear: true },
    })
    const stream = session.request(GRPC_POST, { endStream: true })
    const a = answer(stream)
    await new Promise((resolve) => stream.once('data', resolve))
    dying.kill()
    const got = await a
    t.equal(got.trailers?.['grpc-status'], '14')
    t.equal(got.trailers?.['grpc-message'], undefined)
    t.equal(got.trailers?.['l5d-err'], undefined)
  },
)
