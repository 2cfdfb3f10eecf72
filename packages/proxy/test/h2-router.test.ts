// The h2 router end to end on loopback: node's http2 client → the proxy (an h2c router started
// as main.ts starts it) → node's http2 servers as backends. Routing, the headers on the way
// out and back, the proxy's own errors (HTTP and gRPC), gRPC outcomes in the metrics,
// deadlines, clearContext and the access log.
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { h2Request as readRequest } from '../src/h2/h2-headers.js'
import {
  grpcAnswer,
  grpcFrame,
  h2Backend,
  h2Config,
  h2Connect,
  h2Proxy,
  h2Request,
  inet,
  l5dOf,
} from './h2-router-helpers.js'

const GRPC = { 'content-type': 'application/grpc', te: 'trailers' }

t.test(
  'a stream for :authority world reaches world with the path, l5d-dst-*, l5d-reqid and Via',
  async (t) => {
    const world = await h2Backend(t, 'world')
    const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`))
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const r = await h2Request(s, { ':authority': 'world', ':path': '/a/b?c=d', 'x-app': 'yes' })
    t.equal(r.status, 200)
    t.equal(r.body, 'world')
    t.equal(world.seen.length, 1)
    const h = world.seen[0]!.headers
    t.equal(h[':path'], '/a/b?c=d', 'the path and query are kept')
    t.equal(h[':authority'], 'world', 'the authority is kept')
    t.equal(h[':method'], 'GET')
    t.equal(h['x-app'], 'yes', 'the application headers pass')
    t.equal(h['l5d-dst-service'], '/svc/world')
    t.equal(h['l5d-dst-client'], inet(world.port))
    t.match(h['l5d-reqid'], /^[0-9a-f]{16}$/)
    t.equal(h.via, '2 switchyard')
    t.notOk('l5d-ctx-dtab' in h, 'no l5d-ctx-dtab without overrides')
    // The router's timeout bounds only the wait for the answer's head: not a deadline to pass on.
    t.notOk('l5d-ctx-deadline' in h, 'no l5d-ctx-deadline when the client gave no deadline')
  },
)

t.test('a request body streams to the backend and its answer back', async (t) => {
  const echo = await h2Backend(t, 'echo', (stream, seen) => {
    stream.respond({ ':status': 200 })
    stream.end(`got ${seen.body.length} bytes`)
  })
  const p = await h2Proxy(t, h2Config(`/svc/echo => ${inet(echo.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const body = 'x'.repeat(300_000)
  const r = await h2Request(s, { ':authority': 'echo', ':method': 'POST', ':path': '/' }, body)
  t.equal(r.status, 200)
  t.equal(r.body, 'got 300000 bytes', 'a body larger than the windows arrives whole')
  t.equal(echo.seen[0]!.body.length, 300_000)
})

t.test('many streams on one connection are routed at once', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const replies = await Promise.all(
    Array.from({ length: 50 }, (_, i) => h2Request(s, { ':authority': 'world', ':path': `/${i}` })),
  )
  t.same(
    replies.map((r) => r.status),
    replies.map(() => 200),
  )
  t.equal(world.seen.length, 50)
})

t.test('connection-specific headers are dropped; te: trailers goes on', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const r = await h2Request(s, { ':authority': 'world', ':path': '/', te: 'trailers' })
  t.equal(r.status, 200)
  t.equal(world.seen[0]!.headers.te, 'trailers')
})

t.test('the router own headers replace what a client sent as them', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  await h2Request(s, {
    ':authority': 'world',
    ':path': '/',
    'l5d-dst-service': '/svc/forged',
    'l5d-reqid': 'forged',
    via: '2 earlier',
  })
  const h = world.seen[0]!.headers
  t.equal(h['l5d-dst-service'], '/svc/world')
  t.not(h['l5d-reqid'], 'forged')
  t.equal(h.via, '2 earlier, 2 switchyard', 'Via gains this hop')
})

t.test(
  'l5d-dtab reroutes the stream, travels on as l5d-ctx-dtab, and the response says where it went',
  async (t) => {
    const v1 = await h2Backend(t, 'v1')
    const v2 = await h2Backend(t, 'v2')
    const dtab = `/srv/world-v1 => ${inet(v1.port)}; /srv/world-v2 => ${inet(v2.port)}; /svc/world => /srv/world-v1`
    const p = await h2Proxy(t, h2Config(dtab))
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const r = await h2Request(s, {
      ':authority': 'world',
      ':path': '/',
      'l5d-ctx-dtab': '/x => /y',
      'l5d-dtab': '/svc/world => /srv/world-v2',
    })
    t.equal(r.body, 'v2')
    t.equal(v1.seen.length, 0)
    const h = v2.seen[0]!.headers
    t.equal(h['l5d-ctx-dtab'], '/x=>/y;/svc/world=>/srv/world-v2', 'ctx then user, one header')
    t.notOk('l5d-dtab' in h, 'l5d-dtab itself is not forwarded')
    t.equal(r.headers['l5d-dst-service'], '/svc/world', 'the response names the service')
    t.equal(r.headers['l5d-dst-client'], inet(v2.port), 'and the client it went to')
  },
)

t.test('a malformed l5d-dtab is a 400 naming it; for gRPC INVALID_ARGUMENT', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const http = await h2Request(s, { ':authority': 'world', ':path': '/', 'l5d-dtab': '/a =>' })
  t.equal(http.status, 400)
  t.match(http.body, /dtab/i)
  t.ok(http.headers['l5d-err'])
  const grpc = await h2Request(s, {
    ':authority': 'world',
    ':path': '/pkg.S/M',
    ':method': 'POST',
    ...GRPC,
    'l5d-dtab': '/a =>',
  })
  t.equal(grpc.status, 200, 'a gRPC error is a trailers-only 200')
  t.equal(grpc.headers['grpc-status'], '3')
  t.equal(grpc.headers['content-type'], 'application/grpc')
  t.equal(world.seen.length, 0)
})

t.test('a name with no route: 502 with l5d-err and the message; gRPC UNAVAILABLE', async (t) => {
  const p = await h2Proxy(t, h2Config('/svc/world => /$/inet/127.0.0.1/1'))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const http = await h2Request(s, { ':authority': 'nowhere', ':path': '/' })
  t.equal(http.status, 502)
  t.match(http.body, /\/svc\/nowhere/, 'the body names the service')
  t.match(decodeURIComponent(String(http.headers['l5d-err']).replace(/\+/g, ' ')), /svc\/nowhere/)
  t.equal(http.headers['l5d-retryable'], 'true')
  const grpc = await h2Request(
    s,
    { ':authority': 'nowhere', ':path': '/pkg.S/M', ':method': 'POST', ...GRPC },
    grpcFrame('hi'),
  )
  t.equal(grpc.status, 200)
  t.equal(grpc.headers['grpc-status'], '14')
  t.match(decodeURIComponent(String(grpc.headers['grpc-message'])), /\/svc\/nowhere/)
  t.ok(grpc.headers['l5d-err'], 'l5d-err too, for whoever reads the mesh')
  t.equal(grpc.rstCode, 0, 'the stream ends cleanly')
})

t.test('a backend that refuses connections: 502 naming it; gRPC UNAVAILABLE', async (t) => {
  const gone = await h2Backend(t, 'gone')
  await gone.close()
  const p = await h2Proxy(t, h2Config(`/svc/gone => ${inet(gone.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const http = await h2Request(s, { ':authority': 'gone', ':path': '/' })
  t.equal(http.status, 502)
  t.match(http.body, new RegExp(`127\\.0\\.0\\.1/${gone.port}`), 'names the client')
  const grpc = await h2Request(s, {
    ':authority': 'gone',
    ':path': '/p.S/M',
    ':method': 'POST',
    ...GRPC,
  })
  t.equal(grpc.headers['grpc-status'], '14')
  const stats = p.running.routers[0]!.stats
  t.equal(stats.services.get('/svc/gone').failures, 2, 'both count as failures of the service')
})

t.test('gRPC: trailers pass through, and grpc-status decides success in the metrics', async (t) => {
  let next = 0
  const statuses = [0, 14, 0]
  const hello = await h2Backend(t, 'hello', (stream) =>
    grpcAnswer(statuses[next++]!, {
      trailers: { 'grpc-message': 'from hello', 'x-trailer': 'kept' },
    })(stream),
  )
  const p = await h2Proxy(t, h2Config(`/svc/hello => ${inet(hello.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const call = () =>
    h2Request(
      s,
      { ':authority': 'hello', ':path': '/hello.Greeter/Hi', ':method': 'POST', ...GRPC },
      grpcFrame('x'),
    )
  const ok = await call()
  t.equal(ok.status, 200)
  t.equal(ok.trailers?.['grpc-status'], '0')
  t.equal(ok.trailers?.['x-trailer'], 'kept', 'the backend trailers reach the client')
  t.equal(ok.body.length, 10, 'the message frame passes untouched')
  const unavailable = await call()
  t.equal(unavailable.status, 200, 'HTTP 200...')
  t.equal(unavailable.trailers?.['grpc-status'], '14', '...with grpc-status 14')
  await call()
  const stats = p.running.routers[0]!.stats
  const service = stats.services.get('/svc/hello')
  t.equal(service.requests, 3)
  t.equal(service.success, 2)
  t.equal(service.failures, 1, 'grpc-status 14 under HTTP 200 is a failure')
  const client = stats.clients.get(inet(hello.port))
  t.equal(client.failures, 1, 'in the client scope too')
  t.equal(stats.servers.get(`127.0.0.1/${p.port}`).failures, 1, 'and the server scope')
})

t.test('a gRPC response without any grpc-status counts as a failure (UNKNOWN)', async (t) => {
  const bare = await h2Backend(t, 'bare', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' })
    stream.end(grpcFrame('x'))
  })
  const p = await h2Proxy(t, h2Config(`/svc/bare => ${inet(bare.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  await h2Request(
    s,
    { ':authority': 'bare', ':path': '/a.B/C', ':method': 'POST', ...GRPC },
    grpcFrame('x'),
  )
  t.equal(p.running.routers[0]!.stats.services.get('/svc/bare').failures, 1)
})

t.test('a plain h2 5xx counts as a failure, a 404 as a success (the 5xx rule)', async (t) => {
  let code = 503
  const b = await h2Backend(t, 'b', (stream) => {
    stream.respond({ ':status': code })
    stream.end()
  })
  const p = await h2Proxy(t, h2Config(`/svc/b => ${inet(b.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  t.equal((await h2Request(s, { ':authority': 'b', ':path': '/' })).status, 503)
  code = 404
  t.equal((await h2Request(s, { ':authority': 'b', ':path': '/' })).status, 404)
  const svc = p.running.routers[0]!.stats.services.get('/svc/b')
  t.equal(svc.failures, 1)
  t.equal(svc.success, 1)
})

t.test('grpc-timeout bounds the call: a silent backend is DEADLINE_EXCEEDED', async (t) => {
  const silent = await h2Backend(t, 'silent', () => {}, { streaming: true })
  const p = await h2Proxy(t, h2Config(`/svc/silent => ${inet(silent.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const start = Date.now()
  const r = await h2Request(s, {
    ':authority': 'silent',
    ':path': '/a.B/C',
    ':method': 'POST',
    ...GRPC,
    'grpc-timeout': '200m',
  })
  t.equal(r.headers['grpc-status'], '4', 'DEADLINE_EXCEEDED')
  t.ok(Date.now() - start < 5000, 'well before the router timeout of 10 s')
  const seen = silent.seen[0]!.headers
  t.match(seen['grpc-timeout'], /^\d{1,8}[HMSmun]$/, 'the backend is told the time left')
})

t.test(
  'an l5d-ctx-deadline shorter than the router timeout bounds a plain h2 request',
  async (t) => {
    const silent = await h2Backend(t, 'silent', () => {}, { streaming: true })
    const p = await h2Proxy(t, h2Config(`/svc/silent => ${inet(silent.port)}`))
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const now = BigInt(Date.now()) * 1_000_000n
    const r = await h2Request(s, {
      ':authority': 'silent',
      ':path': '/',
      'l5d-ctx-deadline': `${now} ${now + 200_000_000n}`,
    })
    t.equal(r.status, 503)
    t.match(r.body, /timed out/)
  },
)

t.test(
  "clearContext: l5d-* in the client's request trailers do not reach the backend; the rest do",
  async (t) => {
    let got: Record<string, unknown> | undefined
    const world = await h2Backend(
      t,
      'world',
      (stream) => {
        stream.on('trailers', (trailers) => {
          got = trailers
        })
        stream.resume()
        stream.on('end', () => {
          stream.respond({ ':status': 200 })
          stream.end('world')
        })
      },
      { streaming: true },
    )
    for (const clear of [true, false]) {
      got = undefined
      const p = await h2Proxy(
        t,
        h2Config(`/svc/world => ${inet(world.port)}`, {}, { clearContext: clear }),
      )
      const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
      const req = s.request(
        { ':method': 'POST', ':authority': 'world', ':path': '/' },
        { waitForTrailers: true },
      )
      req.on('wantTrailers', () =>
        req.sendTrailers({ 'l5d-ctx-deadline': '1 2', 'l5d-secret': 'x', 'x-checksum': 'abc' }),
      )
      req.end('body')
      const done = new Promise<void>((resolve) => req.on('close', () => resolve()))
      req.resume()
      await done
      t.equal(got?.['x-checksum'], 'abc', `other trailers go on (clearContext ${clear})`)
      if (clear) {
        t.equal(got?.['l5d-secret'], undefined, 'l5d-secret dropped')
        t.equal(got?.['l5d-ctx-deadline'], undefined, 'l5d-ctx-deadline dropped')
      } else {
        t.equal(got?.['l5d-secret'], 'x', 'a trusted client keeps its l5d-* trailers')
      }
    }
  },
)

t.test('clearContext: l5d-* from the client are ignored and none reach it', async (t) => {
  const v1 = await h2Backend(t, 'v1', (stream) => {
    stream.respond({ ':status': 200, 'l5d-secret': 'internal' }, { waitForTrailers: true })
    stream.on('wantTrailers', () => stream.sendTrailers({ 'l5d-more': 'x', 'grpc-status': '0' }))
    stream.end('v1')
  })
  const v2 = await h2Backend(t, 'v2')
  const dtab = `/srv/v1 => ${inet(v1.port)}; /srv/v2 => ${inet(v2.port)}; /svc/world => /srv/v1`
  const p = await h2Proxy(t, h2Config(dtab, {}, { clearContext: true }))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const r = await h2Request(s, {
    ':authority': 'world',
    ':path': '/',
    'l5d-dtab': '/svc/world => /srv/v2',
  })
  t.equal(r.body, 'v1', 'the override was dropped')
  t.notOk('l5d-ctx-dtab' in v1.seen[0]!.headers)
  t.same(l5dOf(r.headers), {}, 'no l5d-* response header')
  t.same(l5dOf(r.trailers ?? {}), {}, 'no l5d-* trailer')
  t.equal(r.trailers?.['grpc-status'], '0', 'other trailers pass')
  const err = await h2Request(s, { ':authority': 'nowhere', ':path': '/' })
  t.equal(err.status, 502)
  t.equal(err.body, '', 'an error carries only its status')
  t.same(l5dOf(err.headers), {})
  const grpc = await h2Request(s, {
    ':authority': 'nowhere',
    ':path': '/a.B/C',
    ':method': 'POST',
    ...GRPC,
  })
  t.equal(grpc.headers['grpc-status'], '14')
  t.notOk('grpc-message' in grpc.headers, 'no internal names in grpc-message')
})

t.test('the identifier io.l5d.header.path routes per gRPC service', async (t) => {
  const greeter = await h2Backend(t, 'greeter')
  const other = await h2Backend(t, 'other')
  const p = await h2Proxy(
    t,
    h2Config(`/svc/hello.Greeter => ${inet(greeter.port)}; /svc/other.Svc => ${inet(other.port)}`, {
      identifier: { kind: 'io.l5d.header.path', segments: 1 },
    }),
  )
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const a = await h2Request(
    s,
    { ':authority': 'x', ':path': '/hello.Greeter/Hi', ':method': 'POST', ...GRPC },
    grpcFrame('hi'),
  )
  const b = await h2Request(
    s,
    { ':authority': 'x', ':path': '/other.Svc/Do', ':method': 'POST', ...GRPC },
    grpcFrame('hi'),
  )
  t.equal(a.body, 'greeter')
  t.equal(b.body, 'other')
  t.equal(greeter.seen[0]!.headers[':path'], '/hello.Greeter/Hi', 'the path is not rewritten')
})

t.test('CONNECT is refused with a 400', async (t) => {
  const p = await h2Proxy(t, h2Config('/svc/x => /$/inet/127.0.0.1/1'))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const r = await h2Request(s, { ':method': 'CONNECT', ':authority': 'x:443' })
  t.equal(r.status, 400)
})

t.test(
  'the access log has one line per stream, with HTTP/2.0 and the response body size',
  async (t) => {
    const world = await h2Backend(t, 'world')
    const log = join(tmpdir(), `h2-access-${process.pid}-${Date.now()}.log`)
    const p = await h2Proxy(
      t,
      h2Config(`/svc/world => ${inet(world.port)}`, { httpAccessLog: log }),
    )
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const r = await h2Request(s, {
      ':authority': 'world',
      ':path': '/logged',
      'user-agent': 'tester',
    })
    const unrouted = await h2Request(s, { ':authority': 'nowhere', ':path': '/lost' })
    // Written asynchronously (sonic-boom): wait for both lines.
    let text = ''
    for (let i = 0; i < 100 && text.split('\n').length < 3; i++) {
      await new Promise((r) => setTimeout(r, 20))
      text = await readFile(log, 'utf8').catch(() => '')
    }
    const [answered, own] = text.split('\n')
    t.match(
      answered,
      new RegExp(
        `^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] "GET /logged HTTP/2\\.0" 200 ${Buffer.byteLength(r.body)} "-" "tester" \\d+\\.\\d$`,
      ),
      'the size is the body bytes sent to the client',
    )
    t.match(
      own,
      new RegExp(`"GET /lost HTTP/2\\.0" ${unrouted.status} ${Buffer.byteLength(unrouted.body)} `),
      "the proxy's own answer's body is counted too",
    )
  },
)

t.test('without :authority, host names the destination', async (t) => {
  const req = readRequest({ ':method': 'GET', ':path': '/x', ':scheme': 'http', host: 'world' })
  t.equal(req.headers[':authority'], 'world')
  t.equal(req.url, '/x')
  t.equal(req.method, 'GET')
})

t.test(
  'a client that resets its stream while the backend works cancels the upstream',
  async (t) => {
    let closedUpstream: () => void = () => {}
    const upstreamClosed = new Promise<void>((r) => {
      closedUpstream = r
    })
    const slow = await h2Backend(
      t,
      'slow',
      (stream) => {
        stream.on('close', () => closedUpstream())
      },
      { streaming: true },
    )
    const p = await h2Proxy(t, h2Config(`/svc/slow => ${inet(slow.port)}`))
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const req = s.request({ ':authority': 'slow', ':path': '/', ':method': 'POST' })
    req.on('error', () => {})
    req.write('partial')
    while (slow.seen.length === 0) await new Promise((r) => setTimeout(r, 10))
    req.close(8 /* CANCEL */)
    await upstreamClosed
    t.pass('the backend stream closed after the client reset')
    // The proxy still serves.
    const world = await h2Backend(t, 'world')
    t.ok(world)
  },
)

t.test(
  'a POST with an empty body (END_STREAM on an empty DATA frame) as the first stream to a backend is answered',
  async (t) => {
    // The empty body's end comes while the upstream session connects; the forwarder listens
    // for it from the start (d1e4646), so it is passed on and the backend answers.
    const world = await h2Backend(t, 'world')
    const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`, { timeoutMs: 1000 }))
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const r = await h2Request(s, { ':authority': 'world', ':path': '/', ':method': 'POST' }, '')
    t.equal(r.status, 200, 'answered')
    t.equal(r.body, 'world', 'by the backend')
  },
)

t.test('clearContext: a client l5d-ctx-deadline is ignored; its grpc-timeout is not', async (t) => {
  const silent = await h2Backend(t, 'silent', () => {}, { streaming: true })
  const p = await h2Proxy(
    t,
    h2Config(`/svc/silent => ${inet(silent.port)}`, { timeoutMs: 800 }, { clearContext: true }),
  )
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const now = BigInt(Date.now()) * 1_000_000n
  const start = performance.now()
  const r = await h2Request(s, {
    ':authority': 'silent',
    ':path': '/',
    'l5d-ctx-deadline': `${now} ${now + 50_000_000n}`,
  })
  const took = performance.now() - start
  t.equal(r.status, 503)
  t.ok(took >= 700, `the router's 800 ms applied, not the client's 50 ms (${Math.round(took)} ms)`)
  const g = await h2Request(s, {
    ':authority': 'silent',
    ':path': '/a.B/C',
    ':method': 'POST',
    ...GRPC,
    'grpc-timeout': '100m',
  })
  t.equal(g.headers['grpc-status'], '4', 'a gRPC client deadline still applies')
})
