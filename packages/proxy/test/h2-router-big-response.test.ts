// A backend's response head (or trailers) too large to send on is the proxy's own error on that
// stream, naming the backend and the size; the client's connection, which carries its other
// streams (a grpc-js channel carries every call), stays up. Node's server would otherwise fail
// the send and close the whole client session (GOAWAY).
import { createServer, type ServerHttp2Stream } from 'node:http2'
import t from 'tap'
import {
  grpcAnswer,
  grpcFrame,
  h2Config,
  h2Connect,
  h2Proxy,
  h2Request,
  inet,
  listenForTest,
} from './h2-router-helpers.js'

const GRPC = { 'content-type': 'application/grpc', te: 'trailers', ':method': 'POST' }

/**
 * An h2c backend able to send large header blocks: 100 KB of response headers on /big, as
 * much in trailers on /bigtrailers, else a small gRPC answer.
 */
async function bigBackend(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const server = createServer({ maxSendHeaderBlockLength: 4_000_000 })
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {})
    stream.resume()
    answer(stream, String(headers[':path']))
  })
  return listenForTest(t, server)
}

function answer(stream: ServerHttp2Stream, path: string): void {
  const big: Record<string, string> = {}
  for (let i = 0; i < 10; i++) big[`x-n${i}`] = 'v'.repeat(10_000)
  if (path.endsWith('/big')) grpcAnswer(0, { headers: big })(stream)
  else if (path.endsWith('/bigtrailers')) grpcAnswer(0, { trailers: big })(stream)
  else if (path === '/plainbig') {
    stream.respond({ ':status': 200, ...big })
    stream.end('never')
  } else grpcAnswer(0)(stream)
}

t.test(
  "a 100 KB response head is the proxy's error on its stream; another stream on the same connection completes",
  async (t) => {
    const port = await bigBackend(t)
    const p = await h2Proxy(t, h2Config(`/svc/big => ${inet(port)}`))
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    let goaway = false
    s.on('goaway', () => {
      goaway = true
    })
    const big = await h2Request(
      s,
      { ':authority': 'big', ':path': '/a.B/big', ...GRPC },
      grpcFrame(''),
    )
    t.equal(big.status, 200, 'a gRPC answer (trailers-only)')
    t.equal(big.headers['grpc-status'], '13', 'INTERNAL')
    const msg = decodeURIComponent(String(big.headers['grpc-message']))
    t.match(msg, new RegExp(`127\\.0\\.0\\.1:${port}`), `names the backend: ${msg}`)
    t.match(msg, /response headers of \d{6} bytes, over the 64000/, 'and the size')
    const ok = await h2Request(
      s,
      { ':authority': 'big', ':path': '/a.B/small', ...GRPC },
      grpcFrame(''),
    )
    t.equal(ok.trailers?.['grpc-status'], '0', 'another stream on the same connection completes')
    t.notOk(goaway, 'no GOAWAY to the client')
    t.notOk(s.destroyed || s.closed, 'the connection is up')

    const plain = await h2Request(s, { ':authority': 'big', ':path': '/plainbig' })
    t.equal(plain.status, 502, 'a plain h2 request gets a 502')
    t.match(plain.body, /response headers of \d+ bytes/)

    const tr = await h2Request(
      s,
      { ':authority': 'big', ':path': '/a.B/bigtrailers', ...GRPC },
      grpcFrame(''),
    )
    t.equal(
      tr.trailers?.['grpc-status'],
      '13',
      'trailers too large: INTERNAL in trailers of its own',
    )
    t.match(decodeURIComponent(String(tr.trailers?.['grpc-message'])), /trailers of \d+ bytes/)
    const again = await h2Request(
      s,
      { ':authority': 'big', ':path': '/a.B/small', ...GRPC },
      grpcFrame(''),
    )
    t.equal(again.trailers?.['grpc-status'], '0', 'and the connection still serves')
    t.notOk(goaway, 'still no GOAWAY')
  },
)
