import t from 'tap'
import { ChunkedScanner, requestFraming, responseFraming } from '../src/http1/framing.js'

t.test('a request body is framed by Transfer-Encoding: chunked or by Content-Length', async (t) => {
  t.same(requestFraming({}, false), { kind: 'none' })
  t.same(requestFraming({ 'content-length': '0' }, false), { kind: 'none' })
  t.same(requestFraming({ 'content-length': '12' }, false), { kind: 'length', length: 12 })
  t.same(requestFraming({ 'content-length': ['5', '5'] }, false), { kind: 'length', length: 5 })
  t.same(requestFraming({ 'content-length': '5, 5' }, false), { kind: 'length', length: 5 })
  t.same(requestFraming({ 'transfer-encoding': 'Chunked' }, false), { kind: 'chunked' })
})

t.test('framings that servers could read differently are refused (smuggling)', async (t) => {
  const refused = (
    h: Record<string, string | string[]>,
    code: string,
    status = 400,
    http10 = false,
  ) => t.throws(() => requestFraming(h, http10), { code, status }, JSON.stringify(h))
  refused({ 'transfer-encoding': 'chunked', 'content-length': '5' }, 'bad_framing')
  refused({ 'content-length': ['5', '6'] }, 'bad_framing')
  refused({ 'content-length': '-1' }, 'bad_framing')
  refused({ 'content-length': '0x10' }, 'bad_framing')
  refused({ 'content-length': '' }, 'bad_framing')
  refused({ 'transfer-encoding': 'chunked, gzip' }, 'bad_framing')
  refused({ 'transfer-encoding': 'identity' }, 'bad_framing')
  refused({ 'transfer-encoding': 'gzip, chunked' }, 'unsupported_coding', 501)
  refused({ 'transfer-encoding': 'chunked' }, 'bad_framing', 400, true)
})

t.test('a response body by RFC 9112 §6.3: HEAD, 1xx, 204, 304 have none', async (t) => {
  const cl = { 'content-length': '10' }
  t.same(responseFraming('HEAD', 200, cl), { kind: 'none' })
  t.same(responseFraming('GET', 204, {}), { kind: 'none' })
  t.same(responseFraming('GET', 304, cl), { kind: 'none' })
  t.same(responseFraming('GET', 200, cl), { kind: 'length', length: 10 })
  t.same(responseFraming('GET', 200, { 'transfer-encoding': 'chunked' }), { kind: 'chunked' })
  t.same(responseFraming('GET', 200, { 'transfer-encoding': 'gzip' }), { kind: 'close' })
  t.same(responseFraming('GET', 200, {}), { kind: 'close' })
  t.throws(() => responseFraming('GET', 200, { 'content-length': 'ten' }), { code: 'bad_framing' })
})

const body = Buffer.from(
  '5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-trailer: yes\r\n\r\n',
  'latin1',
)

t.test('the chunked scanner finds the end of a body however the bytes are split', async (t) => {
  const next = Buffer.from('GET /next HTTP/1.1\r\n\r\n', 'latin1')
  const stream = Buffer.concat([body, next])
  for (let a = 1; a < body.length; a++) {
    const s = new ChunkedScanner()
    t.equal(s.scan(stream, 0, a), -1)
    t.equal(s.scan(stream, a, stream.length), body.length, `split at ${a}`)
    t.ok(s.done)
    t.equal(s.data, 31, 'data bytes counted without the framing')
  }
})

t.test('a large chunk is skipped by count', async (t) => {
  const size = 5_000_000
  const s = new ChunkedScanner()
  t.equal(s.scan(Buffer.from(`${size.toString(16)}\r\n`, 'latin1')), -1)
  const data = Buffer.alloc(size, 120)
  t.equal(s.scan(data), -1)
  t.equal(s.scan(Buffer.from('\r\n0\r\n\r\n', 'latin1')), 7)
  t.equal(s.data, size)
})

t.test('a malformed chunked body is an error with its offset', async (t) => {
  const bad = (text: string, offset: number) =>
    t.throws(
      () => new ChunkedScanner().scan(Buffer.from(text, 'latin1')),
      {
        code: 'bad_chunk',
        offset,
      },
      JSON.stringify(text),
    )
  bad('g\r\n', 0)
  bad('5\r\nhelloX', 8)
  bad('5\nhello', 1)
  bad('\r\n', 0)
  bad('ffffffffffffff\r\n', 13)
})
