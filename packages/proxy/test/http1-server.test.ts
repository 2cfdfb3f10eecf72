// The proxy's HTTP/1.1 server end to end, on real sockets: raw bytes in, what a client and
// the backend see out.
import { request } from 'node:http'
import { connect } from 'node:net'
import t from 'tap'
import { proxied } from './forward-helpers.js'

/** Sends raw bytes and returns everything the proxy answers until it closes the connection. */
function raw(port: number, bytes: string, endAfterWrite = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    let out = ''
    s.setEncoding('latin1')
    s.on('data', (d: string) => {
      out += d
    })
    s.on('error', reject)
    s.on('close', () => resolve(out))
    s.write(bytes, 'latin1')
    if (endAfterWrite) s.end()
  })
}

t.test('pipelined requests are answered in order on one connection', async (t) => {
  const { b, f } = await proxied(t, (req, res) => res.end(`you asked for ${req.url}`))
  const out = await raw(
    f.port,
    'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  )
  const bodies = [...out.matchAll(/you asked for (\/\d)/g)].map((m) => m[1])
  t.same(bodies, ['/1', '/2', '/3'])
  t.equal(b.requests, 3)
  t.match(out, /connection: close\r\n/, 'the last response says the connection closes')
})

t.test('thousands of pipelined requests answered at once are answered in order', async (t) => {
  const { Http1Server } = await import('../src/http1/server.js')
  let n = 0
  const server = new Http1Server({
    onRequest: (tx) => tx.respond(200, { 'x-n': String(++n) }, undefined),
  })
  await server.listen(0, '127.0.0.1')
  t.teardown(() => server.close())
  const port = (server.net.address() as { port: number }).port
  const count = 5000
  const out = await raw(
    port,
    `${'GET / HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(count - 1)}GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
  )
  const seen = [...out.matchAll(/x-n: (\d+)/g)].map((m) => Number(m[1]))
  t.equal(seen.length, count)
  t.ok(
    seen.every((v, i) => v === i + 1),
    'in order',
  )
})

t.test('a chunked request body reaches the backend intact, trailers and all', async (t) => {
  let got = ''
  let trailers: NodeJS.Dict<string> = {}
  const { f } = await proxied(t, (req, res) => {
    req.setEncoding('utf8')
    req.on('data', (d: string) => {
      got += d
    })
    req.on('end', () => {
      trailers = req.trailers
      res.end('ok')
    })
  })
  const out = await raw(
    f.port,
    'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
      '3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nx-sum: 7\r\n\r\n',
  )
  t.match(out, /^HTTP\/1\.1 200 OK\r\n/)
  t.equal(got, 'abcdefg')
  t.same(trailers, { 'x-sum': '7' })
})

t.test('an HTTP/1.0 request goes on as HTTP/1.0 and its connection closes', async (t) => {
  let version = ''
  const { f } = await proxied(t, (req, res) => {
    version = req.httpVersion
    res.write('part one, ')
    res.end('part two')
  })
  const out = await raw(f.port, 'GET / HTTP/1.0\r\nHost: a\r\n\r\n')
  t.equal(version, '1.0')
  t.match(out, /^HTTP\/1\.1 200 OK\r\n/)
  t.notMatch(out, /transfer-encoding: chunked/i, 'no chunked framing for a 1.0 client')
  t.match(out, /part one, part two$/)
})

t.test('unparseable requests get their status and nothing reaches the backend', async (t) => {
  const { b, f } = await proxied(t, (_req, res) => res.end('should not happen'))
  const smuggle = await raw(
    f.port,
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  )
  t.match(smuggle, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.match(smuggle, /Both Transfer-Encoding and Content-Length/)
  const big = await raw(f.port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`)
  t.match(big, /^HTTP\/1\.1 431 /)
  const version = await raw(f.port, 'GET / HTTP/2.0\r\nHost: a\r\n\r\n')
  t.match(version, /^HTTP\/1\.1 505 /)
  const connect = await raw(
    f.port,
    'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
  )
  t.match(connect, /^HTTP\/1\.1 501 Not Implemented\r\n[\s\S]*CONNECT is not supported/)
  const folded = await raw(f.port, 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n')
  t.match(folded, /^HTTP\/1\.1 400 .*\r\n[\s\S]*obs-fold/)
  t.equal(b.requests, 0)
})

t.test('Expect: 100-continue is relayed from the backend, then the body flows', async (t) => {
  const { f } = await proxied(t, (req, res) => {
    let n = 0
    req.on('data', (d: Buffer) => {
      n += d.length
    })
    req.on('end', () => res.end(`got ${n}`))
  })
  const result = await new Promise<{ continued: boolean; body: string }>((resolve, reject) => {
    let continued = false
    const r = request(
      {
        port: f.port,
        host: '127.0.0.1',
        method: 'PUT',
        headers: { expect: '100-continue', 'content-length': '5' },
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          body += d
        })
        res.on('end', () => resolve({ continued, body }))
      },
    )
    r.on('continue', () => {
      continued = true
      r.end('12345')
    })
    r.on('error', reject)
  })
  t.same(result, { continued: true, body: 'got 5' })
})

t.test('a client that shuts its side mid-request aborts it', async (t) => {
  const { f } = await proxied(t, () => {
    // never answers
  })
  await raw(f.port, 'GET /slow HTTP/1.1\r\nHost: a\r\n\r\n', true)
  t.match(await f.next(), { ok: false, kind: 'client-aborted' })
})

t.test('an idle keep-alive connection is closed after the keep-alive timeout', async (t) => {
  const { Http1Server } = await import('../src/http1/server.js')
  const server = new Http1Server({
    keepAliveTimeoutMs: 150,
    onRequest: (tx) => tx.respond(204, {}, undefined),
  })
  await server.listen(0, '127.0.0.1')
  t.teardown(() => server.close())
  const port = (server.net.address() as { port: number }).port
  const started = Date.now()
  const out = await raw(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')
  t.match(out, /^HTTP\/1\.1 204 No Content\r\n/)
  t.ok(Date.now() - started >= 150, 'kept open at least the timeout')
})
