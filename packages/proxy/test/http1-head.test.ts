import t, { type Test } from 'tap'
import {
  findHeadEnd,
  HttpParseError,
  hasToken,
  parseRequestHead,
  parseResponseHead,
} from '../src/http1/head.js'

const req = (text: string) => {
  const buf = Buffer.from(text, 'latin1')
  const end = findHeadEnd(buf, 0)
  if (end < 0) throw new Error('test head has no blank line')
  return parseRequestHead(buf, 0, end)
}

const fails = (t: Test, text: string, code: string, status: number, offset?: number) => {
  try {
    req(text)
    t.fail(`expected ${code} for ${JSON.stringify(text)}`)
  } catch (err) {
    t.type(err, HttpParseError)
    const e = err as HttpParseError
    t.equal(e.code, code, JSON.stringify(text))
    t.equal(e.status, status)
    if (offset !== undefined) t.equal(e.offset, offset, 'offset of the problem')
  }
}

t.test('a request head: method, target, version, lower-cased names, trimmed values', async (t) => {
  const h = req('GET /a?b=c HTTP/1.1\r\nHost:  world \r\nX-Thing:\tv1\r\n\r\n')
  t.equal(h.method, 'GET')
  t.equal(h.url, '/a?b=c')
  t.equal(h.httpVersion, '1.1')
  t.equal(h.headers.host, 'world')
  t.equal(h.headers['x-thing'], 'v1')
  t.equal(req('GET / HTTP/1.0\r\n\r\n').httpVersion, '1.0')
})

t.test('a repeated header is an array in arrival order, never comma-joined', async (t) => {
  const h = req(
    'GET / HTTP/1.1\r\nHost: a\r\nl5d-dtab: /a=>/b\r\nL5d-Dtab: /c=>/d\r\nl5d-dtab: /e=>/f\r\n\r\n',
  )
  t.same(h.headers['l5d-dtab'], ['/a=>/b', '/c=>/d', '/e=>/f'])
})

t.test('headers named like Object.prototype members are only headers', async (t) => {
  const h = req('GET / HTTP/1.1\r\nHost: a\r\n__proto__: x\r\nconstructor: y\r\n\r\n')
  t.equal(Object.getOwnPropertyDescriptor(h.headers, '__proto__')?.value, 'x')
  t.equal(h.headers.constructor, 'y')
  t.equal(req('GET / HTTP/1.1\r\nHost: a\r\n\r\n').headers.constructor, undefined)
})

t.test('malformed request lines are 400, other versions 505', async (t) => {
  fails(t, 'GET /\r\n\r\n', 'bad_request_line', 400, 5)
  fails(t, 'GET  / HTTP/1.1\r\n\r\n', 'bad_request_line', 400)
  fails(t, 'G(T / HTTP/1.1\r\n\r\n', 'bad_request_line', 400)
  fails(t, 'GET /a b HTTP/1.1\r\n\r\n', 'bad_request_line', 400)
  fails(t, 'GET / HTTP/2.0\r\n\r\n', 'unsupported_version', 505)
  fails(t, 'GET / HTTP/1.2\r\n\r\n', 'unsupported_version', 505)
})

t.test('header lines that servers read differently are refused (RFC 9112 §5)', async (t) => {
  fails(t, 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', 'bad_header', 400, 20)
  fails(t, 'GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n', 'bad_header', 400, 24)
  fails(t, 'GET / HTTP/1.1\r\nnocolon\r\n\r\n', 'bad_header', 400)
  fails(t, 'GET / HTTP/1.1\r\nX-A: 1\nX-B: 2\r\n\r\n', 'bad_header', 400, 22)
  fails(t, 'GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n', 'bad_header', 400)
  fails(t, 'GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n', 'bad_header', 400)
  fails(t, 'GET / HTTP/1.1\r\n: empty\r\n\r\n', 'bad_header', 400)
})

t.test('a response head: status, reason, version, headers', async (t) => {
  const buf = Buffer.from('HTTP/1.0 404 Not Found\r\nContent-Length: 3\r\n\r\nabc', 'latin1')
  const end = findHeadEnd(buf, 0)
  t.equal(end, buf.length - 3)
  const h = parseResponseHead(buf, 0, end)
  t.same(
    { status: h.status, reason: h.reason, v: h.httpVersion, cl: h.headers['content-length'] },
    { status: 404, reason: 'Not Found', v: '1.0', cl: '3' },
  )
  const bare = Buffer.from('HTTP/1.1 204\r\n\r\n', 'latin1')
  t.equal(parseResponseHead(bare, 0, bare.length).reason, '')
  const bad = Buffer.from('HTTP/1.1 20x OK\r\n\r\n', 'latin1')
  t.throws(() => parseResponseHead(bad, 0, bad.length), { code: 'bad_status_line' })
})

t.test(
  'findHeadEnd resumes a search in a growing buffer without missing a split CRLF',
  async (t) => {
    const whole = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\nrest', 'latin1')
    const expected = findHeadEnd(whole, 0)
    for (let cut = 1; cut < whole.length; cut++) {
      const first = whole.subarray(0, cut)
      const found = findHeadEnd(first, 0)
      if (found >= 0) {
        t.equal(found, expected, `found at once with ${cut} bytes`)
        continue
      }
      t.equal(findHeadEnd(whole, 0, first.length), expected, `resumed after ${cut} bytes`)
    }
  },
)

t.test('hasToken matches whole elements of a comma-separated list only', async (t) => {
  for (const list of ['close', 'keep-alive, close', 'close ,x', ' close\t', 'a,,close'])
    t.ok(hasToken(list, 'close'), list)
  for (const list of ['x-close-y', 'closed', 'enclose', 'keep-alive', '', 'close-ish, x'])
    t.notOk(hasToken(list, 'close'), list)
  t.ok(hasToken('x-close-y, close', 'close'), 'a later whole element after a partial one')
})
