// Response heads that cannot be a response are refused with a 502 at once, on the fast and the
// full path alike: one too large however it is read, bare LF, bare CR or NUL before its end, a
// status outside 100-599, a 101 nobody asked for. Interim (1xx) heads go on without framing or
// hop-by-hop headers. What the backend received is checked too: the one request.
import t, { type Test as Tap } from 'tap'
import { front, newClient } from './forward-helpers.js'
import { rawClient, responses, scriptedBackend, statusAt } from './http1-response-helpers.js'

const REQUEST = 'GET / HTTP/1.1\r\nHost: world\r\n\r\n'
const FORWARDED = 'GET / HTTP/1.1\r\nhost: world\r\n\r\n'

/** The backend answers with `parts`, written `gapMs` apart, and keeps the connection open. */
async function through(t: Tap, parts: readonly string[], full: boolean, gapMs = 0) {
  const b = await scriptedBackend(t, (_req, socket) => {
    let delay = 0
    for (const part of parts) {
      if (delay === 0) socket.write(part, 'latin1')
      else setTimeout(() => socket.destroyed || socket.write(part, 'latin1'), delay)
      delay += gapMs
    }
  })
  const client = newClient([b.port])
  const f = await front(client, full ? { onResponseHead: () => {} } : {})
  t.teardown(async () => {
    await f.close()
    await client.close()
  })
  const c = await rawClient(t, f.port)
  c.send(REQUEST)
  return { b, c }
}

const both = (name: string, fn: (t: Tap, full: boolean) => Promise<void>) =>
  t.test(name, async (t) => {
    await t.test('fast path', (t) => fn(t, false))
    await t.test('full path', (t) => fn(t, true))
  })

/** A 502 from the proxy came back at once, and the backend connection was closed. */
async function refused(t: Tap, parts: readonly string[], full: boolean, why: RegExp, gapMs = 0) {
  const start = performance.now()
  const { b, c } = await through(t, parts, full, gapMs)
  const got = await c.until((r) => responses(r) >= 1)
  t.equal(statusAt(got), 502, 'a 502')
  t.match(decodeURIComponent(got), why)
  t.ok(performance.now() - start < 2000, 'at once, not after a timeout')
  t.ok(await b.closedByPeer(0), 'the backend connection is closed')
  t.equal(b.connections[0]?.received, FORWARDED)
}

const line = `x-a: ${'a'.repeat(1000)}\r\n`
const big = `HTTP/1.1 200 OK\r\n${line.repeat(70)}content-length: 2\r\n\r\nok`

both('a 70 KB response head is refused, in one write', (t, full) =>
  refused(t, [big], full, /response head larger than 65536 bytes/),
)

both('a 70 KB response head is refused, in many small writes', (t, full) =>
  refused(
    t,
    Array.from({ length: 70 }, (_, i) =>
      big.slice(i * 1024, i === 69 ? undefined : (i + 1) * 1024),
    ),
    full,
    /response head larger than 65536 bytes/,
    5,
  ),
)

both('a 60 KB response head passes', async (t, full) => {
  const head = `HTTP/1.1 200 OK\r\n${line.repeat(60)}content-length: 2\r\n\r\n`
  const { c } = await through(t, [`${head}ok`], full)
  const got = await c.until((r) => r.endsWith('\r\n\r\nok'))
  t.equal(got, `${head}ok`, 'the whole head, and the body')
})

for (const [what, head] of [
  ['bare LF line ends', 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok'],
  ['a bare LF after the status line', 'HTTP/1.1 200 OK\nContent-Length: 2\r\n'],
  ['a bare CR in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\n'],
  ['a NUL in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\n'],
] as const) {
  both(`a response head with ${what} is refused before it ends`, (t, full) =>
    refused(t, [head], full, /(Bare LF|Bare CR|NUL) in the response head/),
  )
}

both('a bare CR at the end of one read and its LF in the next is a CRLF', async (t, full) => {
  const { c } = await through(
    t,
    ['HTTP/1.1 200 OK\r', '\nContent-Length: 2\r', '\n\r', '\nok'],
    full,
    20,
  )
  const got = await c.until((r) => r.endsWith('ok'))
  t.equal(got, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
})

for (const status of ['099', '600', '999']) {
  both(`status ${status} is refused (RFC 9110 §15: 100 to 599)`, (t, full) =>
    refused(
      t,
      [`HTTP/1.1 ${status} X\r\nContent-Length: 0\r\n\r\n`],
      full,
      /status \d+ is outside 100-599/,
    ),
  )
}

both('a 101 to a request that asked no upgrade is refused', (t, full) =>
  refused(
    t,
    ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nxyz'],
    full,
    /a 101 to a request that asked no upgrade/,
  ),
)

both('an interim response goes on without hop-by-hop or framing headers', async (t, full) => {
  const { b, c } = await through(
    t,
    [
      'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\nTransfer-Encoding: chunked\r\nConnection: x-y\r\nX-Y: 1\r\nKeep-Alive: timeout=1\r\n\r\n',
      'HTTP/1.1 100 Continue\r\nContent-Length: 7\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    ],
    full,
    20,
  )
  const got = await c.until((r) => r.endsWith('ok'))
  t.equal(
    got,
    'HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
  )
  t.equal(b.connections[0]?.received, FORWARDED)
})

for (const [what, interim] of [
  [
    'a 199 that says chunked (llhttp reads a body after it)',
    'HTTP/1.1 199 X\r\nTransfer-Encoding: chunked\r\n\r\n',
  ],
  ['a 199 with a Content-Length', 'HTTP/1.1 199 X\r\nContent-Length: 0\r\n\r\n'],
  ['a 100 with an invalid Content-Length', 'HTTP/1.1 100 Continue\r\nContent-Length: -1\r\n\r\n'],
  ['an HTTP/1.0 103 (HTTP/1.0 has no 1xx)', 'HTTP/1.0 103 Early Hints\r\nLink: </a>\r\n\r\n'],
  ['a 100 that says Connection: close', 'HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n'],
] as const) {
  both(`${what} is refused`, (t, full) =>
    refused(
      t,
      [`${interim}HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nleak!`],
      full,
      /(Content-Length|Transfer-Encoding|HTTP\/1\.0|Connection: close) in a 1\d\d response|Invalid Content-Length/,
    ),
  )
}
