import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { answer, ask, forwardingTo, h2Server } from './h2-forward-helpers.js'

const GET = { ':method': 'GET', ':path': '/hello', ':authority': 'hello', ':scheme': 'http' }
const POST = { ...GET, ':method': 'POST' }

t.test(
  'a request, its answer and trailers pass through; the deadline is written for the next hop',
  async (t) => {
    const seen: Record<string, unknown>[] = []
    const backend = await h2Server((stream, headers) => {
      seen.push({ ...headers })
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        stream.respond({ ':status': 201, 'x-backend': 'b1' }, { waitForTrailers: true })
        stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc' }))
        stream.end(`echo:${Buffer.concat(chunks).toString()}`)
      })
    })
    const { front, session } = await forwardingTo(t, [backend], {
      front: { timeoutMs: 10_000, deadlineMs: 3000 },
    })
    const a = await ask(session, POST, 'ping')
    t.equal(a.headers[':status'], 201)
    t.equal(a.headers['x-backend'], 'b1')
    t.equal(a.body, 'echo:ping')
    t.equal(a.trailers?.['x-checksum'], 'abc')
    t.equal(a.rstCode, 0)
    t.match(front.results[0], {
      ok: true,
      status: 201,
      endpoint: `127.0.0.1:${backend.port}`,
      retries: 0,
    })
    const deadline = String(seen[0]?.['l5d-ctx-deadline'])
    const m = /^(\d+) (\d+)$/.exec(deadline)
    t.ok(m, `l5d-ctx-deadline is "<ts> <deadline>": ${deadline}`)
    const left = Number(BigInt(m![2]!) - BigInt(m![1]!)) / 1e6
    t.ok(left > 2900 && left <= 3000, `the deadline is the caller's 3000 ms (${left})`)
    t.equal(seen[0]?.['grpc-timeout'], undefined, 'no grpc-timeout on a request that is not gRPC')
  },
)

t.test('a GET without a body reaches the backend with END_STREAM on its headers', async (t) => {
  let ended = false
  const backend = await h2Server((stream) => {
    stream.on('end', () => {
      ended = true
    })
    stream.resume()
    stream.respond({ ':status': 200 })
    stream.end('ok')
  })
  const { session } = await forwardingTo(t, [backend])
  const a = await ask(session, GET)
  t.equal(a.body, 'ok')
  t.ok(ended, 'the backend saw the request end')
})

t.test(
  'gRPC: grpc-timeout carries the time left, grpc-status comes from the trailers',
  async (t) => {
    const timeouts: string[] = []
    const backend = await h2Server((stream, headers) => {
      timeouts.push(String(headers['grpc-timeout']))
      stream.resume()
      stream.on('end', () => {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc' },
          { waitForTrailers: true },
        )
        stream.on('wantTrailers', () =>
          stream.sendTrailers({ 'grpc-status': '5', 'grpc-message': 'no%20such' }),
        )
        stream.end(Buffer.from([0, 0, 0, 0, 0]))
      })
    })
    // The caller's deadline (the router reads it from grpc-timeout and l5d-ctx-deadline).
    const { front, session } = await forwardingTo(t, [backend], {
      front: { timeoutMs: 10_000, deadlineMs: 2000 },
    })
    const a = await ask(
      session,
      { ...POST, 'content-type': 'application/grpc', 'grpc-timeout': '2S' },
      Buffer.from([0, 0, 0, 0, 0]),
    )
    t.equal(a.trailers?.['grpc-status'], '5')
    t.equal(a.trailers?.['grpc-message'], 'no%20such')
    const m = /^(\d{1,8})([num])$/.exec(timeouts[0] ?? '')
    const ms =
      m === null ? Number.NaN : Number(m[1]) * { n: 1e-6, u: 1e-3, m: 1 }[m[2] as 'n' | 'u' | 'm']
    t.ok(ms <= 2000 && ms > 1800, `grpc-timeout is the time left, at most 8 digits: ${timeouts[0]}`)
    t.match(front.results[0], { ok: true, status: 200, grpcStatus: 5 })
  },
)

t.test('a trailers-only answer goes out as one HEADERS frame with END_STREAM', async (t) => {
  const backend = await h2Server((stream) => {
    stream.resume()
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc',
        'grpc-status': '7',
        'grpc-message': 'denied',
      },
      { endStream: true },
    )
  })
  const { front, session } = await forwardingTo(t, [backend])
  const stream = session.request({ ...POST, 'content-type': 'application/grpc' })
  let endOnHead = false
  stream.on('response', (_h, flags) => {
    endOnHead = (flags & 1) !== 0
  })
  const a = answer(stream)
  stream.end(Buffer.from([0, 0, 0, 0, 0]))
  const got = await a
  t.ok(endOnHead, 'END_STREAM on the head')
  t.equal(got.headers['grpc-status'], '7')
  t.equal(got.body, '')
  t.match(front.results[0], { ok: true, status: 200, grpcStatus: 7 })
})

t.test('onResponseHeaders and onTrailers edit what the client sees', async (t) => {
  const backend = await h2Server((stream) => {
    stream.respond({ ':status': 200, 'l5d-secret': 'x', 'x-keep': 'y' }, { waitForTrailers: true })
    stream.on('wantTrailers', () => stream.sendTrailers({ 'l5d-t': '1', 'x-t': '2' }))
    stream.end('body')
  })
  const { session } = await forwardingTo(t, [backend], {
    front: {
      onResponseHeaders: (h) => {
        delete h['l5d-secret']
      },
      onTrailers: (h) => {
        delete h['l5d-t']
      },
    },
  })
  const a = await ask(session, GET)
  t.equal(a.headers['l5d-secret'], undefined)
  t.equal(a.headers['x-keep'], 'y')
  t.equal(a.trailers?.['l5d-t'], undefined)
  t.equal(a.trailers?.['x-t'], '2')
})

t.test(
  'a POST with an empty body (END_STREAM on an empty DATA frame) on a new session is answered',
  async (t) => {
    const bodies: string[] = []
    const backend = await h2Server((stream) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString())
        stream.respond({ ':status': 200 })
        stream.end('answered')
      })
    })
    const { front, session } = await forwardingTo(t, [backend], { front: { timeoutMs: 2000 } })
    const a = await ask(session, POST, '')
    t.equal(a.body, 'answered')
    t.same(bodies, [''])
    t.match(front.results[0], { ok: true, status: 200 })
  },
)

t.test('an HTTP/1.1 backend is a connect failure that says it does not speak HTTP/2', async (t) => {
  const h1 = createServer((_req, res) => res.end('h1'))
  await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r))
  const port = (h1.address() as AddressInfo).port
  const h1Backend = { port, close: () => new Promise((r) => h1.close(r)) }
  const { front, session } = await forwardingTo(t, [h1Backend], {
    front: { maxRetries: 0 },
  })
  const a = await ask(session, POST, 'x')
  t.equal(a.headers[':status'], 502)
  t.match(front.results[0], { ok: false, kind: 'connect', endpoint: `127.0.0.1:${port}` })
  t.match(front.results[0], {
    message: /did not answer in HTTP\/2 \(no SETTINGS frame\): is it an HTTP\/1\.1 server\?/,
  })
})

t.test("a request's trailers go to the backend after its body", async (t) => {
  const got: { body: string; trailers: Record<string, unknown> | undefined }[] = []
  const backend = await h2Server((stream) => {
    const chunks: Buffer[] = []
    let trailers: Record<string, unknown> | undefined
    stream.on('trailers', (h) => {
      trailers = { ...h }
    })
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      got.push({ body: Buffer.concat(chunks).toString(), trailers })
      stream.respond({ ':status': 200 })
      stream.end('ok')
    })
  })
  const { session } = await forwardingTo(t, [backend])
  const stream = session.request(POST, { waitForTrailers: true })
  stream.on('wantTrailers', () => stream.sendTrailers({ 'x-request-checksum': '42' }))
  const a = answer(stream)
  stream.end('with trailers')
  t.equal((await a).body, 'ok')
  t.equal(got[0]?.body, 'with trailers')
  t.equal(got[0]?.trailers?.['x-request-checksum'], '42')
  const plain = await ask(session, POST, 'without')
  t.equal(plain.body, 'ok')
  t.equal(got[1]?.body, 'without')
  t.equal(got[1]?.trailers, undefined, 'no trailers when the client sent none')
})
