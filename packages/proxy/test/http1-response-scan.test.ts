// The fast path must agree with the full parser on every response it accepts, and leave the
// unusual ones to it.
import t from 'tap'
import { stripHopByHop } from '../src/forward/hop-by-hop.js'
import { responseFraming } from '../src/http1/framing.js'
import { findHeadEnd, parseResponseHead } from '../src/http1/head.js'
import { scanResponseHead } from '../src/http1/response-scan.js'

const buf = (s: string) => Buffer.from(s, 'latin1')

/** What the client gets from the scanned head, read back with the full parser. */
function scanned(text: string, method = 'GET') {
  const b = buf(text)
  const end = findHeadEnd(b, 0)
  const r = scanResponseHead(b, 0, end, method)
  if (r === undefined) return undefined
  const out = Buffer.concat([r.head.subarray(0, r.length), buf('\r\n')])
  const h = parseResponseHead(out, 0, out.length)
  return {
    status: r.status,
    framing: r.framing,
    reusable: r.reusable,
    headers: { ...h.headers },
    v: h.httpVersion,
  }
}

/** The same through the full parser and stripHopByHop, as the slow path sends it. */
function parsed(text: string, method = 'GET') {
  const b = buf(text)
  const h = parseResponseHead(b, 0, findHeadEnd(b, 0))
  const headers = stripHopByHop({ ...h.headers })
  const framing = responseFraming(method, h.status, h.headers)
  // The chunked bytes pass through as they are, so their framing header goes with them.
  if (framing.kind === 'chunked') headers['transfer-encoding'] = 'chunked'
  return { status: h.status, framing, headers }
}

const ordinary = [
  'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\n',
  'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-Multi: a\r\nx-multi: b\r\n\r\n',
  'HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nKeep-Alive: timeout=5\r\n\r\n',
  'HTTP/1.1 204 No Content\r\nl5d-ctx-x: 1\r\n\r\n',
  'HTTP/1.1 500 Internal Server Error\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n',
  'HTTP/1.1 302\r\nLocation: /x\r\nContent-Length:\t3 \r\nProxy-Connection: keep-alive\r\n\r\n',
]

t.test('ordinary responses: the scanned head says what the parsed one says', async (t) => {
  for (const text of ordinary) {
    const s = scanned(text)
    const p = parsed(text)
    t.ok(s, `scanned: ${JSON.stringify(text.slice(0, 30))}`)
    t.equal(s!.status, p.status)
    t.same(s!.framing, p.framing)
    t.same(s!.headers, p.headers, 'the same end-to-end headers, hop-by-hop ones dropped')
    t.equal(s!.v, '1.1', 'the client always hears HTTP/1.1')
  }
})

t.test('HEAD and 304 responses have no body whatever their length says', async (t) => {
  const text = 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'
  t.same(scanned(text, 'HEAD')?.framing, { kind: 'none' })
  t.same(scanned('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n')?.framing, {
    kind: 'none',
  })
})

t.test('a body that runs to the close, and a backend that closes, are noticed', async (t) => {
  t.same(scanned('HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n')?.framing, { kind: 'close' })
  t.equal(
    scanned('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n')?.reusable,
    false,
  )
  t.equal(scanned('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n')?.reusable, false)
  t.equal(scanned(ordinary[0]!)?.reusable, true)
})

t.test('unusual responses are left to the full parser', async (t) => {
  for (const text of [
    'HTTP/1.1 100 Continue\r\n\r\n',
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    'HTTP/1.1 200 OK\r\nConnection: x-secret\r\nX-Secret: 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTrailer: x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n',
    'HTTP/2.0 200 OK\r\n\r\n',
    'HTTP/1.1 099 Odd\r\n\r\n',
  ]) {
    t.equal(scanned(text), undefined, JSON.stringify(text))
  }
})

t.test('room is left after the head for the blank line and a small body', async (t) => {
  const b = buf(ordinary[0]!)
  const r = scanResponseHead(b, 0, findHeadEnd(b, 0), 'GET', 6)!
  t.ok(r.head.length >= r.length + 21 + 6)
})
