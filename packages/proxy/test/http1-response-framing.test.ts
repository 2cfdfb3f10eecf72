// A response's Transfer-Encoding and Content-Length by RFC 9112 §6.3, over real sockets: each
// backend response is sent as raw bytes, once through the fast path and once through the full
// path (a response-head hook makes the proxy parse it), and the client must get exactly the
// same bytes from both; the framing headers it gets are the proxy's own and describe exactly
// the bytes that follow. Whether the backend connection carries the next request is checked
// by what each backend connection received.
import t, { type Test as Tap } from 'tap'
import { front, newClient } from './forward-helpers.js'
import { rawClient, responses, scriptedBackend, statusAt } from './http1-response-helpers.js'

interface Case {
  readonly name: string
  readonly method?: string
  /** The client's request line version. */
  readonly http10?: boolean
  /** What the backend answers the first request with; it closes after it with `close`. */
  readonly response: string
  readonly close?: boolean
  /** What the client must receive, exactly; undefined for a 502 from the proxy. */
  readonly client: string | undefined
  /** The second request goes on the same backend connection. */
  readonly reused: boolean
}

const OK = 'HTTP/1.1 200 OK\r\n'
const CHUNKS = '5\r\nhello\r\n0\r\n\r\n'

const CASES: readonly Case[] = [
  {
    name: 'chunked: chunked, with a header of the proxy',
    response: `${OK}Transfer-Encoding: chunked\r\n\r\n${CHUNKS}`,
    client: `${OK}transfer-encoding: chunked\r\n\r\n${CHUNKS}`,
    reused: true,
  },
  {
    name: 'a coding name in any case, with spaces around it, is the same coding',
    response: `${OK}Transfer-Encoding:  CHUNKED \t\r\n\r\n${CHUNKS}`,
    client: `${OK}transfer-encoding: chunked\r\n\r\n${CHUNKS}`,
    reused: true,
  },
  {
    name: 'chunked and an empty list element: refused (llhttp reads it to the close)',
    response: `${OK}Transfer-Encoding: chunked,\r\n\r\n${CHUNKS}`,
    client: undefined,
    reused: false,
  },
  {
    name: 'an empty line beside chunked: one list with an empty element, refused',
    response: `${OK}Transfer-Encoding: \r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKS}`,
    client: undefined,
    reused: false,
  },
  {
    name: 'gzip, chunked: chunked, and sent on as chunked (the proxy applies no other coding)',
    response: `${OK}Transfer-Encoding: GZip , Chunked\r\n\r\n${CHUNKS}`,
    client: `${OK}transfer-encoding: chunked\r\n\r\n${CHUNKS}`,
    reused: true,
  },
  {
    name: 'identity, then chunked in a second line: one list, chunked last',
    response: `${OK}Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKS}`,
    client: `${OK}transfer-encoding: chunked\r\n\r\n${CHUNKS}`,
    reused: true,
  },
  {
    name: 'chunked, gzip: chunked is not last, so the body runs to the close, sent without a Transfer-Encoding',
    response: `${OK}Transfer-Encoding: chunked, gzip\r\n\r\n${CHUNKS}`,
    close: true,
    client: `${OK}connection: close\r\n\r\n${CHUNKS}`,
    reused: false,
  },
  {
    name: 'chunked, then identity in a second line: runs to the close',
    response: `${OK}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\nraw bytes`,
    close: true,
    client: `${OK}connection: close\r\n\r\nraw bytes`,
    reused: false,
  },
  {
    name: 'chunkedchunked is not chunked: runs to the close',
    response: `${OK}Transfer-Encoding: chunkedchunked\r\n\r\n${CHUNKS}`,
    close: true,
    client: `${OK}connection: close\r\n\r\n${CHUNKS}`,
    reused: false,
  },
  {
    name: 'xchunked beside a Content-Length: refused',
    response: `${OK}Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\nhello`,
    client: undefined,
    reused: false,
  },
  {
    name: 'chunked beside a Content-Length: refused (RFC 9112 §6.3 item 3, as nginx and llhttp)',
    response: `${OK}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKS}`,
    client: undefined,
    reused: false,
  },
  {
    name: 'chunked twice: refused (RFC 9112 §6.1)',
    response: `${OK}Transfer-Encoding: chunked, chunked\r\n\r\n${CHUNKS}`,
    client: undefined,
    reused: false,
  },
  {
    name: 'chunked twice in two lines: refused',
    response: `${OK}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKS}`,
    client: undefined,
    reused: false,
  },
  {
    name: 'a coding with parameters: refused',
    response: `${OK}Transfer-Encoding: chunked;q=1\r\n\r\n${CHUNKS}`,
    client: undefined,
    reused: false,
  },
  {
    name: 'a coding followed by a non-ASCII space (0xA0) is not that coding: refused',
    response: `${OK}Transfer-Encoding: chunked\xa0\r\n\r\n${CHUNKS}`,
    client: undefined,
    reused: false,
  },
  {
    name: 'an empty Transfer-Encoding: refused',
    response: `${OK}Transfer-Encoding: \r\n\r\n${CHUNKS}`,
    client: undefined,
    reused: false,
  },
  {
    name: 'a Content-Length with leading zeros goes on as its number',
    response: `${OK}Content-Length: 007\r\n\r\nabcdefg`,
    client: `${OK}content-length: 7\r\n\r\nabcdefg`,
    reused: true,
  },
  {
    name: 'a Content-Length followed by a non-ASCII space (0xA0): refused',
    response: `${OK}Content-Length: 5\xa0\r\n\r\nhello`,
    client: undefined,
    reused: false,
  },
  {
    name: 'HEAD: no body whatever the framing says, and no Transfer-Encoding',
    method: 'HEAD',
    response: `${OK}Transfer-Encoding: chunked\r\n\r\n`,
    client: `${OK}\r\n`,
    reused: true,
  },
  {
    name: "HEAD: the representation's Content-Length goes on",
    method: 'HEAD',
    response: `${OK}Content-Length: 10\r\n\r\n`,
    client: `${OK}content-length: 10\r\n\r\n`,
    reused: true,
  },
  {
    name: '204: no body and no framing header',
    response: 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n',
    client: 'HTTP/1.1 204 No Content\r\n\r\n',
    reused: true,
  },
  {
    name: '304: no body, no Transfer-Encoding',
    response: 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n',
    client: 'HTTP/1.1 304 Not Modified\r\n\r\n',
    reused: true,
  },
  {
    name: 'an HTTP/1.0 backend that chunks: chunked, and its connection not kept',
    response: `HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${CHUNKS}`,
    client: `${OK}transfer-encoding: chunked\r\n\r\n${CHUNKS}`,
    reused: false,
  },
  {
    name: 'a chunked response to an HTTP/1.0 request: refused (RFC 9112 §6.1)',
    http10: true,
    response: `${OK}Transfer-Encoding: chunked\r\n\r\n${CHUNKS}`,
    client: undefined,
    reused: false,
  },
  {
    name: 'a gzip-coded response to an HTTP/1.0 request runs to the close, no Transfer-Encoding',
    http10: true,
    response: `${OK}Transfer-Encoding: gzip\r\n\r\nraw`,
    close: true,
    client: `${OK}connection: close\r\n\r\nraw`,
    reused: false,
  },
]

/** The first request, as the proxy sends it on. */
const forwarded = (method: string, http10: boolean) =>
  `${method} / HTTP/1.${http10 ? 0 : 1}\r\nhost: world\r\n\r\n`

async function run(t: Tap, c: Case, full: boolean) {
  const method = c.method ?? 'GET'
  const http10 = c.http10 === true
  const b = await scriptedBackend(t, (req, socket) => {
    if (req.index > 0) {
      socket.write(`${OK}Content-Length: 8\r\n\r\nanswer-${req.index}`, 'latin1')
      return
    }
    if (c.close === true) socket.end(c.response, 'latin1')
    else socket.write(c.response, 'latin1')
  })
  const client = newClient([b.port])
  const f = await front(client, full ? { onResponseHead: () => {} } : {})
  t.teardown(async () => {
    await f.close()
    await client.close()
  })
  const conn = await rawClient(t, f.port)
  const keepAlive = http10 ? 'Connection: keep-alive\r\n' : ''
  conn.send(`${method} / HTTP/1.${http10 ? 0 : 1}\r\nHost: world\r\n${keepAlive}\r\n`)
  let first: string
  if (c.client === undefined) {
    first = await conn.until((r) => responses(r) >= 1)
    t.equal(statusAt(first), 502, 'a 502 from the proxy')
    t.match(first, /^HTTP\/1\.1 502 .*\r\nl5d-err: invalid%20response/)
    t.notMatch(first, 'hello')
    t.ok(await b.closedByPeer(0), 'the backend connection is closed')
  } else {
    first = await conn.until((r) => r.length >= c.client!.length)
    t.equal(first, c.client, 'the client got exactly this')
  }
  t.equal(b.connections[0]?.received, forwarded(method, http10), 'the backend got the request')
  const closing = /\r\nconnection: close\r\n/.test(first)
  if (closing) {
    t.ok((await conn.closed()).closed, 'the client connection closes after it')
    return
  }
  // The next request, on the same client connection: which backend connection carries it?
  conn.send(`GET /next HTTP/1.${http10 ? 0 : 1}\r\nHost: world\r\n${keepAlive}\r\n`)
  await conn.until((r) => r.endsWith('answer-1'))
  t.match(conn.received.slice(first.length), /^HTTP\/1\.1 200 OK\r\n[\s\S]*answer-1$/)
  const next = `GET /next HTTP/1.${http10 ? 0 : 1}\r\nhost: world\r\n\r\n`
  if (c.reused) {
    t.equal(b.connections.length, 1, 'the backend connection was kept')
    t.equal(b.connections[0]?.received, forwarded(method, http10) + next)
  } else {
    t.equal(b.connections.length, 2, 'a new backend connection')
    t.equal(b.connections[1]?.received, next)
    t.ok(await b.closedByPeer(0), 'and the first one closed')
  }
}

for (const c of CASES) {
  t.test(c.name, async (t) => {
    await t.test('fast path', (t) => run(t, c, false))
    await t.test('full path', (t) => run(t, c, true))
  })
}
