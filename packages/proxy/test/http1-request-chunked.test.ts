// Chunked request bodies (RFC 9112 §7.1) through the real proxy, the backend's bytes checked
// exactly; and the scanner's grammar against a reference written from the RFC's ABNF.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { ChunkedScanner } from '../src/http1/framing.js'
import { HttpParseError } from '../src/http1/head.js'
import {
  forwarded,
  masked,
  raw,
  responses,
  type Setup,
  setup,
  sleep,
  statusOf,
} from './http1-request-helpers.js'

const HEAD = 'POST /up HTTP/1.1\r\nHost: world\r\nTransfer-Encoding: chunked\r\n\r\n'
/** What the backend gets for a chunked POST /up whose body the proxy re-framed as `body`. */
const chunkedSent = (s: Setup, body = '') =>
  forwarded(s, 'POST /up HTTP/1.1', 'host: world\r\n', 'transfer-encoding: chunked\r\n', body)
const headSent = (s: Setup) => chunkedSent(s)

/** Sends HEAD, then `body` once the head has reached the backend; what the client got. */
function afterHead(s: Setup, body: string): Promise<string> {
  return raw(s.port, [HEAD, body], 150)
}

/**
 * The head went on, then the body turned out malformed: the client has a 400 that names the
 * problem and closes, the backend got the head alone (no byte of the bad body, nothing after
 * it) and its connection was closed, not kept for another request.
 */
async function refusedAfterHead(t: Test, s: Setup, body: string, problem: RegExp) {
  const got = await afterHead(s, body)
  t.equal(statusOf(got), 400, `400 for ${JSON.stringify(body)}`)
  t.equal(responses(got), 1, 'one response')
  t.match(got, /\r\nconnection: close\r\n/)
  t.match(got, problem)
  t.match(got, /at byte \d+ of the body/, 'the offset is named')
  // The head went on as soon as the backend connection was up; on a slow run the body can
  // arrive first and the head is then never sent. Either way, not a byte of the body.
  const received = masked(s.relay.received())
  t.ok(
    received === headSent(s) || received === '',
    `the backend got the head and nothing more: ${JSON.stringify(received.slice(-40))}`,
  )
  await sleep(50)
  t.ok(
    s.relay.connections.every((c) => c.closed),
    'the backend connection was closed',
  )
  t.ok(
    s.world.seen.every((r) => r.url === '/up'),
    'no second request reached the backend',
  )
}

t.test('a bare LF after the last chunk is refused, not read as a trailer section', async (t) => {
  const s = await setup(t)
  await refusedAfterHead(
    t,
    s,
    '0\r\n\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n',
    /LF without CR|bare LF/i,
  )
})

t.test('a trailer line that is not a field line is refused', async (t) => {
  for (const body of [
    '0\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n',
    '0\r\nx-t: 1\r\n folded\r\n\r\n',
    '0\r\nx-t : 1\r\n\r\n',
    '0\r\nx-t: a\rb\r\n\r\n',
    '0\r\nx-t: a\x00b\r\n\r\n',
    '0\r\nx-t: a\nGET /x HTTP/1.1\r\n\r\n',
  ]) {
    await t.test(JSON.stringify(body), async (t) => {
      const s = await setup(t)
      await refusedAfterHead(t, s, body, /trailer|field|obs-fold|bare|CR|NUL/i)
    })
  }
})

t.test('chunk-size lines outside RFC 9112 §7.1 are refused with 400', async (t) => {
  for (const body of [
    '1 0\r\nx\r\n0\r\n\r\n',
    '3 junk\r\nabc\r\n0\r\n\r\n',
    '2 erfrferferf\r\nab\r\n0\r\n\r\n',
    '1 \r\nx\r\n0\r\n\r\n',
    '1\t\r\nx\r\n0\r\n\r\n',
    '1;\r\nx\r\n0\r\n\r\n',
    '1;a=\r\nx\r\n0\r\n\r\n',
    '1;a b\r\nx\r\n0\r\n\r\n',
    '1\nx\r\n0\r\n\r\n',
    '1\rx\r\n0\r\n\r\n',
    '1\r\nx\n0\r\n\r\n',
    '1\r\nx\r\n0\r\r\n',
    '-1\r\nx\r\n0\r\n\r\n',
    '0x1\r\nx\r\n0\r\n\r\n',
  ]) {
    await t.test(JSON.stringify(body), async (t) => {
      const s = await setup(t)
      await refusedAfterHead(t, s, body, /chunk|CR|LF/i)
    })
  }
})

t.test('a chunk size with leading zeros is valid whatever its length', async (t) => {
  const s = await setup(t)
  const body = `${'0'.repeat(18)}5;ext="a \\"q\\""\r\nhello\r\n${'0'.repeat(40)}\r\nx-t: 1\r\n\r\n`
  const got = await raw(s.port, [
    `POST /up HTTP/1.1\r\nHost: world\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`,
  ])
  t.equal(statusOf(got), 200)
  t.equal(
    masked(s.relay.received()),
    chunkedSent(s, '5\r\nhello\r\n0\r\nx-t: 1\r\n\r\n'),
    'the body went on with chunk-size lines of the proxy: short sizes, no extensions',
  )
})

t.test('whitespace the RFC allows in a chunk-size line does not reach the backend', async (t) => {
  // RFC 9112 §7.1 has BWS before ";" and around "="; llhttp, like many servers, refuses it,
  // and RFC 9110 §5.6.3 says a sender never generates it. The proxy reads it and writes
  // its own line.
  const s = await setup(t)
  const body = '3\t;a = "x" ;b\r\nabc\r\n0 ;last\r\n\r\n'
  const got = await raw(s.port, [
    `POST /up HTTP/1.1\r\nHost: world\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
    'GET /next HTTP/1.1\r\nHost: world\r\nConnection: close\r\n\r\n',
  ])
  t.equal(responses(got), 2)
  t.equal(got.match(/HTTP\/1\.1 200 /g)?.length, 2, 'the backend took both')
  t.equal(
    masked(s.relay.received()),
    chunkedSent(s, '3\r\nabc\r\n0\r\n\r\n') + forwarded(s, 'GET /next HTTP/1.1', 'host: world\r\n'),
  )
})

t.test('a chunked body split into one-byte reads goes on re-framed, whole', async (t) => {
  const s = await setup(t)
  const body = '00a;x=1\r\n0123456789\r\n1\r\nZ\r\n0\r\nx-sum: 11\r\n\r\n'
  const got = await raw(
    s.port,
    [
      'POST /up HTTP/1.1\r\nHost: world\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      ...body.split(''),
    ],
    2,
  )
  t.equal(statusOf(got), 200)
  t.equal(
    masked(s.relay.received()),
    chunkedSent(s, 'a\r\n0123456789\r\n1\r\nZ\r\n0\r\nx-sum: 11\r\n\r\n'),
  )
})

t.test('a chunk size that overflows is a 400, not a dropped connection', async (t) => {
  const s = await setup(t)
  await refusedAfterHead(t, s, '20000000000000\r\nx', /chunk size/i)
})

t.test('a chunk-size line is bounded: an endless extension is refused', async (t) => {
  const s = await setup(t)
  await refusedAfterHead(t, s, `1;${'a'.repeat(20_000)}`, /chunk/i)
})

t.test('a malformed body is a 400 in the access log, not "-"', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'chunked-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'access.log')
  const s = await setup(t, { httpAccessLog: file })
  const got = await afterHead(s, 'zz\r\n')
  t.equal(statusOf(got), 400)
  let line = ''
  for (let i = 0; i < 50 && line === ''; i++) {
    await sleep(20)
    line = await readFile(file, 'latin1').catch(() => '')
  }
  t.match(line, /"POST \/up HTTP\/1\.1" 400 /)
})

t.test('a malformed chunk after the response began cuts the connection', async (t) => {
  // The backend answers as soon as the head arrives; a later bad chunk can only end the
  // client's connection (the response is under way).
  const s = await setup(t)
  s.world.server.removeAllListeners('request')
  s.world.server.on('request', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('started')
  })
  const got = await raw(s.port, [HEAD, 'zz\r\n'], 300)
  t.equal(statusOf(got), 200)
  t.notMatch(got, /HTTP\/1\.1 400/)
  await sleep(50)
  t.ok(
    s.relay.connections.every((c) => c.closed),
    'the backend exchange was abandoned',
  )
})

// The grammar of RFC 9112 §7.1 and RFC 9110 §5.5, §5.6 written as regular expressions, as a
// reference the byte scanner must agree with.
const TCHAR = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]"
const TOKEN = `${TCHAR}+`
const QUOTED =
  '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"'
const EXT = `[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?`
const SIZE_LINE = new RegExp(`^0+(?:${EXT})*$`)
const FIELD_LINE = new RegExp(
  `^${TOKEN}:[ \\t]*(?:[\\x21-\\x7e\\x80-\\xff](?:[ \\t\\x21-\\x7e\\x80-\\xff]*[\\x21-\\x7e\\x80-\\xff])?)?[ \\t]*$`,
)

/** Whether the scanner takes `text` as a whole chunked body, ending exactly at its end. */
function scans(text: string): boolean {
  const buf = Buffer.from(text, 'latin1')
  try {
    return new ChunkedScanner().scan(buf) === buf.length
  } catch (err) {
    if (err instanceof HttpParseError && err.code === 'bad_chunk') return false
    throw err
  }
}

const alphabet = fc.constantFrom(
  ...'0aF;=" \t\\-x,/:\r\n\x00\x7f\x80\xff'.split(''),
  ';a',
  '=b',
  '"q"',
)

t.test('the last-chunk line is accepted exactly when RFC 9112 §7.1 allows it', async (t) => {
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 12 }), (parts) => {
      const line = `0${parts.join('')}`
      return scans(`${line}\r\n\r\n`) === SIZE_LINE.test(line)
    }),
    { numRuns: 20_000, seed: 11 },
  )
  // Each case the RFC allows, and a few near misses, by name.
  for (const ok of ['0', '000', '0;a', '0 ;a', '0; a', '0;a = b', '0;a="x\\"y";b', '0;a=b ;c'])
    t.ok(scans(`${ok}\r\n\r\n`), JSON.stringify(ok))
  for (const bad of ['0 ', '0;', '0;a ', '0 0', '0;a=', '0;a="x', '0;"a"', '0;a=b c', '0;a=\x00'])
    t.notOk(scans(`${bad}\r\n\r\n`), JSON.stringify(bad))
})

t.test('a trailer line is accepted exactly when it is a field line', async (t) => {
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 12 }), (parts) => {
      const line = `x${parts.join('')}`
      return scans(`0\r\n${line}\r\n\r\n`) === FIELD_LINE.test(line)
    }),
    { numRuns: 20_000, seed: 11 },
  )
  t.pass('the scanner and the grammar agree')
})

t.test('a bare CR, a bare LF or a NUL anywhere in the framing is refused', async (t) => {
  const body = '5;e=1\r\nhello\r\n3\r\nabc\r\n0;l="x"\r\nx-a: 1\r\nx-b: 2\r\n\r\n'
  t.ok(scans(body))
  // Every CRLF in turn made a bare LF, a bare CR, or given a NUL before it: chunk data
  // excepted (it is counted, not read), each is refused.
  const data = new Set<number>()
  for (const [at, len] of [
    [12, 5],
    [22, 3],
  ] as const)
    for (let i = at; i < at + len; i++) data.add(i)
  for (let i = 0; i < body.length; i++) {
    if (data.has(i) || body[i] !== '\r') continue
    t.notOk(scans(body.slice(0, i) + body.slice(i + 1)), `bare LF at ${i}`)
    t.notOk(scans(body.slice(0, i + 1) + body.slice(i + 2)), `bare CR at ${i}`)
    t.notOk(scans(`${body.slice(0, i)}\x00${body.slice(i)}`), `NUL at ${i}`)
  }
})

t.test('sizes: leading zeros are free, a value past 2^53 is refused', async (t) => {
  const s = new ChunkedScanner()
  t.equal(s.scan(Buffer.from(`${'0'.repeat(100)}1\r\nx\r\n0\r\n\r\n`)), 111)
  t.equal(s.data, 1)
  t.throws(() => new ChunkedScanner().scan(Buffer.from('20000000000000\r\n')), {
    code: 'bad_chunk',
    offset: 13,
  })
  t.equal(new ChunkedScanner().scan(Buffer.from('1fffffffffffff\r\n')), -1, '2^53 - 1 is a size')
})

t.test('a chunk-size line longer than 4 KiB is refused without waiting for its end', async (t) => {
  const s = new ChunkedScanner()
  t.equal(s.scan(Buffer.from(`1;${'a'.repeat(4000)}`)), -1)
  t.throws(() => s.scan(Buffer.from('a'.repeat(200))), { code: 'bad_chunk' })
  t.throws(() => new ChunkedScanner().scan(Buffer.from(`${'0'.repeat(5000)}1\r\n`)), {
    code: 'bad_chunk',
  })
})

t.test('a trailer section longer than 16 KiB is refused', async (t) => {
  const s = new ChunkedScanner()
  t.equal(s.scan(Buffer.from('0\r\n')), -1)
  for (let i = 0; i < 15; i++) t.equal(s.scan(Buffer.from(`x-${i}: ${'v'.repeat(1000)}\r\n`)), -1)
  t.throws(() => s.scan(Buffer.from(`x-last: ${'v'.repeat(2000)}\r\n`)), { code: 'bad_chunk' })
})

t.test('the re-framed body is the same however the input is split', async (t) => {
  const body = Buffer.from(
    '0005 ;a="b;c"\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n000\r\nx-a: 1\r\n\r\nNEXT',
    'latin1',
  )
  const want = '5\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-a: 1\r\n\r\n'
  for (let a = 0; a <= body.length; a++) {
    for (let b = a; b <= body.length; b += 7) {
      const s = new ChunkedScanner()
      let got = ''
      const out = { bodyPiece: (p: Buffer) => (got += p.toString('latin1')) }
      let end = -1
      for (const [from, to] of [
        [0, a],
        [a, b],
        [b, body.length],
      ] as const) {
        if (end >= 0 || from === to) continue
        end = s.scan(body, from, to, out)
      }
      if (got !== want || end !== body.length - 4) {
        t.fail(`split at ${a}, ${b}: ${JSON.stringify(got)}, end ${end}`)
        return
      }
    }
  }
  t.pass('every split gives the same pieces')
})
