// Request heads through the real proxy: refused at the first byte that makes them invalid,
// before their blank line; targets and Host values by RFC 3986 and RFC 9112 §3.2. The backend's
// bytes are checked exactly: nothing of a refused head ever reaches it.
import { connect } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import {
  findHeadEnd,
  HttpParseError,
  parseRequestHead,
  RequestHeadScanner,
} from '../src/http1/head.js'
import {
  answeredWithin,
  forwarded,
  masked,
  raw,
  setup,
  sleep,
  statusOf,
} from './http1-request-helpers.js'

t.test('a head that is already invalid is refused before its blank line', async (t) => {
  const s = await setup(t)
  const cases: [string, number, RegExp][] = [
    ['GET / HTTP/1.1\r\nHost: world\r\nX-A: 1\r\n folded', 400, /obs-fold/i],
    ['GET / HTTP/1.1\r\nHost: world\r\n\tfolded', 400, /obs-fold/i],
    ['GET / HTTP/1.1\r\nHost: wo\rrld', 400, /CR/],
    ['GET / HTTP/1.1\r\nHost: world\r\nX-A: a\x00', 400, /NUL/],
    ['GET / HTTP/1.1\r\nHost: world\nX', 400, /bare LF/i],
    ['GET / HTTP/5.6', 505, /HTTP\/5\.6|version/i],
    ['GET / HTTP/2', 505, /version/i],
    ['GET / HTTP/1.2', 505, /version/i],
    ['GET / HTTQ', 400, /request line/i],
    ['GET /a b', 400, /request line/i],
    ['GET /a#f', 400, /fragment/i],
    ['GET  /', 400, /request target/i],
    ['G(T', 400, /method/i],
    ['GET / HTTP/1.1\r\nX(A', 400, /header name/i],
    ['GET / HTTP/1.1\r\nHost : world', 400, /header name|colon/i],
    [
      'POST / HTTP/1.1\r\nHost: world\r\nContent-Length: 1\r\nContent-Length: 2\r\n',
      400,
      /Content-Length/,
    ],
    ['POST / HTTP/1.1\r\nHost: world\r\nContent-Length: 1x', 400, /Content-Length/],
    [
      'POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n',
      400,
      /Transfer-Encoding/,
    ],
    ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n', 400, /Transfer-Encoding/],
    ['GET / HTTP/1.1\r\nHost: wor ld', 400, /Host/],
    ['GET / HTTP/1.1\r\nHost: world\r\nHost: world\r\n', 400, /Host/],
    ['GET http://u@world/x ', 400, /userinfo/i],
    ['CONNECT world:80 ', 501, /CONNECT/],
  ]
  for (const [head, status, message] of cases) {
    const r = await answeredWithin(s.port, head, 2000)
    t.ok(r.closed, `closed at once: ${JSON.stringify(head)}`)
    t.equal(statusOf(r.got), status, JSON.stringify(head))
    t.match(r.got, message)
    t.match(r.got, /at byte \d+/)
    t.match(r.got, /\r\nconnection: close\r\n/)
  }
  t.equal(s.relay.received(), '', 'nothing reached the backend')
})

t.test('absolute-form targets: userinfo and anything outside RFC 3986 are 400', async (t) => {
  const s = await setup(t)
  for (const target of [
    'http://u@world/x',
    'http://u:p@world/x',
    'http://@world/x',
    'http:///x',
    'http://',
    'http:/world/x',
    'http:world/x',
    'ftp://world/x',
    'http://world/x#frag',
    'http://wor%zzld/x',
    'http://world:8o/x',
    'http://[::1/x',
    'http://[world]/x',
    'http://world/a%z',
    'http://world/a"b',
    'http://world/a\\b',
    'http://world/a{b',
    'http://world\\@evil/x',
  ]) {
    const got = await raw(s.port, [`GET ${target} HTTP/1.1\r\nHost: world\r\n\r\n`])
    t.equal(statusOf(got), 400, target)
    t.match(got, /target|userinfo/i)
  }
  t.equal(s.relay.received(), '', 'nothing reached the backend')
})

t.test('an absolute-form target goes on in origin form, its authority as Host', async (t) => {
  const s = await setup(t)
  const got = await raw(s.port, [
    "GET HTTP://world/a/b;c=d/%41:@!$&'()*+,=?x=/?y HTTP/1.1\r\nHost: other\r\n\r\n",
    'GET http://world?q HTTP/1.1\r\nHost: world\r\nConnection: close\r\n\r\n',
  ])
  t.equal(got.match(/HTTP\/1\.1 200/g)?.length, 2)
  t.equal(
    masked(s.relay.received()),
    forwarded(s, "GET /a/b;c=d/%41:@!$&'()*+,=?x=/?y HTTP/1.1", 'host: world\r\n') +
      forwarded(s, 'GET /?q HTTP/1.1', 'host: world\r\n'),
  )
})

t.test('Host values outside the RFC 3986 authority grammar are 400', async (t) => {
  const s = await setup(t)
  for (const host of [
    'wor ld',
    'world x',
    'wor\tld',
    'world/x',
    'wo"rld',
    'a@world',
    'world:8o',
    'world:80:80',
    '[::1',
    '[world]',
    'wor%zzld',
    'wor%4',
    'world,other',
    'wor{ld',
    'world\\',
  ]) {
    const got = await raw(s.port, [`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`])
    if (host === 'world,other') {
      // A comma is a sub-delim: valid reg-name syntax, so the identifier has it (no route).
      t.not(statusOf(got), 200, host)
      continue
    }
    t.equal(statusOf(got), 400, JSON.stringify(host))
    t.match(got, /Host/)
  }
  t.equal(s.relay.received(), '', 'nothing reached the backend')
})

t.test('more than one Host, or none in HTTP/1.1, is a 400 (RFC 9112 §3.2)', async (t) => {
  // io.l5d.path needs no Host to route: the 400 is the HTTP engine's, not the identifier's.
  const s = await setup(t, { identifier: { kind: 'io.l5d.path' } })
  const twice = await raw(s.port, ['GET /world/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'])
  t.equal(statusOf(twice), 400)
  t.match(twice, 'More than one Host')
  const none = await raw(s.port, ['GET /world/x HTTP/1.1\r\nX-A: 1\r\n\r\n'])
  t.equal(statusOf(none), 400)
  t.match(none, /without a Host|no Host/i)
  t.equal(s.relay.received(), '', 'nothing reached the backend')
  const http10 = await raw(s.port, ['GET /world/x HTTP/1.0\r\n\r\n'])
  t.equal(statusOf(http10), 200, 'HTTP/1.0 needs no Host')
  t.equal(
    masked(s.relay.received()),
    forwarded(s, 'GET /world/x HTTP/1.0', '', 'host: localhost\r\n'),
  )
})

t.test('a head sent one byte at a time is refused at its first bad byte', async (t) => {
  const s = await setup(t)
  const head = 'GET / HTTP/1.1\r\nHost: world\r\nX-A: 1\r\n folded, and more to come\r\n\r\n'
  const bad = head.indexOf(' folded')
  const sock = connect({ port: s.port, host: '127.0.0.1' })
  let got = ''
  sock.setEncoding('latin1')
  sock.on('data', (d: string) => {
    got += d
  })
  sock.on('error', () => {})
  await new Promise((r) => sock.on('connect', r))
  let written = 0
  // One byte every 10 ms until the proxy answers.
  while (written < head.length && got === '') {
    sock.write(head[written++]!, 'latin1')
    await sleep(10)
  }
  for (let i = 0; i < 50 && got === ''; i++) await sleep(10)
  sock.destroy()
  t.equal(statusOf(got), 400)
  t.match(got, `at byte ${bad}`)
  t.ok(written <= bad + 3, `answered after byte ${written - 1}, the bad one is ${bad}`)
  t.equal(s.relay.received(), '')
})

// The incremental scanner against the whole-head parser: for any head and any way to split it
// into reads, the same verdict at the same byte.
const pieces = fc.constantFrom(
  'GET',
  'POST',
  ' ',
  '/',
  'a',
  ':',
  '\r\n',
  '\r',
  '\n',
  '\t',
  '\x00',
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/5.6',
  'Host: world',
  'Host',
  'Content-Length: 1',
  'Content-Length: 2',
  'Transfer-Encoding: chunked',
  'http://',
  '@',
  '%41',
  '"',
  '\x80',
)

type Verdict = { end: number } | { code: string; offset: number; status: number }

function whole(text: string): Verdict {
  const buf = Buffer.from(text, 'latin1')
  try {
    const end = new RequestHeadScanner().scan(buf, 0, buf.length)
    if (end >= 0) parseRequestHead(buf, 0, end)
    return { end }
  } catch (err) {
    if (!(err instanceof HttpParseError)) throw err
    return { code: err.code, offset: err.offset, status: err.status }
  }
}

function split(text: string, cuts: number[]): Verdict {
  const buf = Buffer.from(text, 'latin1')
  const scanner = new RequestHeadScanner()
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b)
  try {
    let from = 0
    for (const cut of [...at, buf.length]) {
      const end = scanner.scan(buf.subarray(0, cut), from, cut)
      if (end >= 0) {
        parseRequestHead(buf, 0, end)
        return { end }
      }
      from = cut
    }
    return { end: -1 }
  } catch (err) {
    if (!(err instanceof HttpParseError)) throw err
    return { code: err.code, offset: err.offset, status: err.status }
  }
}

t.test('a head split anywhere gets the verdict it gets whole, at the same byte', async (t) => {
  fc.assert(
    fc.property(
      fc.array(pieces, { maxLength: 16 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (parts, cuts) => {
        const text = parts.join('')
        const a = whole(text)
        const b = split(text, cuts)
        if (JSON.stringify(a) !== JSON.stringify(b)) {
          throw new Error(`${JSON.stringify(text)}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`)
        }
      },
    ),
    { numRuns: 5000, seed: 11 },
  )
  t.pass('agreed')
})

t.test('the scanner finds the end where the blank line is, and stops at a bad byte', async (t) => {
  const text = 'GET / HTTP/1.1\r\nHost: world\r\n\r\nGET'
  const buf = Buffer.from(text, 'latin1')
  t.equal(new RequestHeadScanner().scan(buf, 0, buf.length), findHeadEnd(buf, 0))
  t.throws(() => new RequestHeadScanner().scan(Buffer.from('GET / HTTP/1.1\r\n folded'), 0, 23), {
    code: 'bad_header',
    offset: 16,
  })
})
