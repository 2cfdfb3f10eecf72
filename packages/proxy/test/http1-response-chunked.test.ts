// A backend's chunked body that breaks the framing (a bare LF, a bare CR or a NUL where CRLF
// belongs, RFC 9112 §7.1) must never carry what follows it to a client: a second response hidden
// after `0\r\n\n` would otherwise answer the next request, possibly another client's. The
// client gets a 502 when nothing was written yet, a broken connection mid-body; the backend
// connection is closed, and the next request gets its own answer on a new one. Each case runs on
// the fast path (response-scan.ts) and the full path (a clearContext server parses the head).
import type { Socket } from 'node:net'
import t, { type Test } from 'tap'
import {
  forwardedByProxy,
  normalized,
  rawClient,
  responses,
  type ScriptedBackend,
  scriptedBackend,
  statusAt,
} from './http1-response-helpers.js'
import { inet, localConfig, runProxy } from './router-helpers.js'

const HEAD = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'
const HIDDEN = 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhidden'
const FIRST = 'GET /first HTTP/1.1\r\nHost: world\r\n\r\n'
const SECOND = 'GET /second HTTP/1.1\r\nHost: world\r\n\r\n'

const PATHS = [
  { name: 'fast path', clearContext: false },
  { name: 'full path', clearContext: true },
] as const

/** Chunked bodies, each broken at one byte, then a whole second response. */
const BROKEN: readonly (readonly [string, string])[] = [
  ['a bare LF ends the last chunk', `5\r\nhello\r\n0\r\n\n${HIDDEN}`],
  ['a bare LF ends a trailer line', `5\r\nhello\r\n0\r\nx: y\n\r\n${HIDDEN}`],
  ['a bare LF ends the chunk data', `5\r\nhello\n0\r\n\r\n${HIDDEN}`],
  ['a bare LF ends the chunk size', `5\nhello\r\n0\r\n\r\n${HIDDEN}`],
  ['a bare LF ends a chunk extension', `5;a=b\nhello\r\n0\r\n\r\n${HIDDEN}`],
  ['a bare CR in a chunk extension', `5;a\rb\r\nhello\r\n0\r\n\r\n${HIDDEN}`],
  ['a bare CR in a trailer line', `5\r\nhello\r\n0\r\nx: a\rb\r\n\r\n${HIDDEN}`],
  ['a bare CR ends the body', `5\r\nhello\r\n0\r\n\r${HIDDEN}`],
  ['a NUL in a trailer line', `5\r\nhello\r\n0\r\nx: a\0b\r\n\r\n${HIDDEN}`],
  ['a NUL in a chunk extension', `5;a\0\r\nhello\r\n0\r\n\r\n${HIDDEN}`],
]

/**
 * The proxy in front of a backend that answers the first request with `first`, and the rest
 * of the first response when the test calls `more`; later requests get `answer-<n>`.
 */
async function setup(
  t: { teardown(fn: () => unknown): void },
  clearContext: boolean,
  first: string,
) {
  let firstSocket: Socket | undefined
  const b = await scriptedBackend(t, (req, socket) => {
    if (req.index > 0) {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nanswer-${req.index}`, 'latin1')
      return
    }
    firstSocket = socket
    socket.write(first, 'latin1')
  })
  const p = await runProxy(
    t,
    localConfig(`/svc/world => ${inet(b.port)}`, {
      servers: [{ ip: '127.0.0.1', port: 0, clearContext }],
    }),
  )
  const more = (rest: string) => void firstSocket?.write(rest, 'latin1')
  return { b, p, more }
}

/** The backend got /first on the first connection and /second on a second one, byte for byte. */
function firstThenSecondOnNewConnection(t: Test, b: ScriptedBackend) {
  t.equal(b.connections.length, 2, 'on a new backend connection')
  t.equal(normalized(b.connections[0]!.received), forwardedByProxy(b.port, { path: '/first' }))
  t.equal(normalized(b.connections[1]!.received), forwardedByProxy(b.port, { path: '/second' }))
}

for (const path of PATHS) {
  t.test(
    `${path.name}: a chunked response broken before anything was relayed is a 502, and nothing after the bad byte reaches anyone`,
    async (t) => {
      for (const [what, body] of BROKEN) {
        await t.test(what, async (t) => {
          const { b, p } = await setup(t, path.clearContext, HEAD + body)
          const c = await rawClient(t, p.port)
          c.send(FIRST)
          const first = await c.until((r) => responses(r) >= 1)
          t.equal(statusAt(first), 502, 'a 502, not the backend status')
          t.notMatch(first, 'hello', 'no byte of the broken body')
          t.notMatch(first, 'hidden', 'nor of the response after it')
          if (!path.clearContext) t.match(first, 'invalid response')
          t.ok(await b.closedByPeer(0), 'the backend connection was closed')
          // The same client connection goes on, and its next request gets its own answer.
          c.send(SECOND)
          const both = await c.until((r) => responses(r) >= 2)
          t.match(both.slice(first.length), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nanswer-1$/)
          firstThenSecondOnNewConnection(t, b)
        })
      }
    },
  )

  t.test(
    `${path.name}: a chunked response broken mid-body breaks the client connection after the last good byte`,
    async (t) => {
      const cases: readonly (readonly [string, string])[] = [
        ['a bare LF ends the last chunk', `0\r\n\n${HIDDEN}`],
        ['a bare LF ends the chunk data', `5\r\nworld\n0\r\n\r\n${HIDDEN}`],
        ['a NUL in a trailer line', `0\r\nx: \0\r\n\r\n${HIDDEN}`],
      ]
      for (const [what, rest] of cases) {
        await t.test(what, async (t) => {
          const { b, p, more } = await setup(t, path.clearContext, `${HEAD}5\r\nhello\r\n`)
          const c = await rawClient(t, p.port)
          c.send(FIRST)
          // The rest comes once the first chunk has reached the client: mid-body for sure.
          await c.until((r) => r.endsWith('5\r\nhello\r\n'))
          more(rest)
          const got = await c.closed()
          t.ok(got.closed, 'the connection was closed')
          t.equal(
            got.received,
            'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n',
            'the head and the good chunk, then the connection breaks',
          )
          t.ok(await b.closedByPeer(0), 'the backend connection was closed')
          const next = await rawClient(t, p.port)
          next.send(SECOND)
          t.match(await next.until((r) => responses(r) >= 1), /\r\n\r\nanswer-1$/)
          firstThenSecondOnNewConnection(t, b)
        })
      }
    },
  )
}
