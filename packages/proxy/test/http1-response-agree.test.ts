// The fast path (response-scan.ts) and the full path (head.ts parse, then response-plan.ts) must
// make the same of every response head the fast path accepts: the status, the framing, whether
// the connection is kept, the Keep-Alive hint and the headers the client gets. Heads are
// generated around the framing headers, where a disagreement would be a desync.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import t from 'tap'
import { planResponse } from '../src/forward/response-plan.js'
import { findHeadEnd, type HeaderMap, parseResponseHead } from '../src/http1/head.js'
import { keepAliveHint } from '../src/http1/keep-alive.js'
import { scanResponseHead } from '../src/http1/response-scan.js'

const buf = (s: string) => Buffer.from(s, 'latin1')

const ows = fc.constantFrom('', ' ', '  ', '\t', ' \t')
const cased = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((up) => [...name].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''))

const values: Record<string, readonly string[]> = {
  'transfer-encoding': [
    'chunked',
    'Chunked',
    'CHUNKED',
    'gzip, chunked',
    'chunked, gzip',
    'chunkedchunked',
    'xchunked',
    'chunked, chunked',
    ',chunked',
    'chunked;q=1',
    'identity',
    '',
  ],
  'content-length': ['0', '5', '007', '5, 5', '5,6', '-1', '1e3', '', ' 12 ', '000000000000005'],
  connection: ['close', 'keep-alive', 'Close', 'x-a', 'close, x-a', 'upgrade'],
  'keep-alive': ['timeout=5', 'timeout=1, max=10', 'max=0', 'timeout=0', 'timeout=x', 'foo'],
  'x-a': ['1', 'a b', ''],
  'set-cookie': ['a=1', 'b=2'],
  'proxy-connection': ['keep-alive'],
  trailer: ['x-t'],
  te: ['trailers'],
}

const line = fc
  .constantFrom(...Object.keys(values))
  .chain((name) =>
    fc
      .tuple(cased(name), ows, fc.constantFrom(...values[name]!), ows)
      .map(([n, a, v, b]) => `${n}:${a}${v}${b}\r\n`),
  )

const response = fc.record({
  version: fc.constantFrom('1.1', '1.0'),
  status: fc.constantFrom(200, 204, 206, 304, 404, 503),
  reason: fc.constantFrom(' OK', ' X', '', ' ', ' O\x0bK', ' \x7f', ' \xe9', ' a\tb', ' O\x01K'),
  lines: fc.array(line, { maxLength: 6 }),
  method: fc.constantFrom('GET', 'HEAD', 'POST'),
})

/** Headers as a plain object, for comparison. */
const plain = (h: HeaderMap) => JSON.parse(JSON.stringify({ ...h })) as Record<string, unknown>

t.test(
  'the fast path and the full path make the same of every head the fast path takes',
  async (t) => {
    let taken = 0
    let runs = 0
    // A counterexample fails the test with its shrunk input and the seed to replay it.
    fc.assert(
      fc.property(response, (r) => {
        runs++
        const text = `HTTP/${r.version} ${r.status}${r.reason}\r\n${r.lines.join('')}\r\n`
        const b = buf(text)
        const end = findHeadEnd(b, 0)
        const fast = scanResponseHead(b, 0, end, r.method)
        if (fast === undefined) return
        taken++
        const head = parseResponseHead(b, 0, end)
        const plan = planResponse(head, r.method)
        const out = Buffer.concat([fast.head.subarray(0, fast.length), buf('\r\n')])
        const sent = parseResponseHead(out, 0, out.length)
        assert.deepStrictEqual(
          {
            status: fast.status,
            framing: fast.framing,
            reusable: fast.reusable,
            keepAlive: fast.keepAlive,
            headers: plain(sent.headers),
            version: sent.httpVersion,
          },
          {
            status: head.status,
            framing: plan.framing,
            reusable: plan.reusable,
            keepAlive: plan.keepAlive,
            headers: plain(plan.headers),
            version: '1.1',
          },
        )
      }),
      { numRuns: 3000 },
    )
    t.ok(taken > runs / 5, `the fast path took ${taken} of ${runs}`)
  },
)

t.test('a head the full path refuses is never taken by the fast path', async (t) => {
  let refusals = 0
  fc.assert(
    fc.property(response, (r) => {
      const text = `HTTP/${r.version} ${r.status}${r.reason}\r\n${r.lines.join('')}\r\n`
      const b = buf(text)
      const end = findHeadEnd(b, 0)
      try {
        planResponse(parseResponseHead(b, 0, end), r.method)
      } catch {
        refusals++
        assert.equal(scanResponseHead(b, 0, end, r.method), undefined)
      }
    }),
    { numRuns: 3000 },
  )
  t.ok(refusals > 100, `${refusals} refused heads tried`)
})

t.test('the Keep-Alive hint: timeout in ms, 0 for max=0 or timeout=0, -1 for none', async (t) => {
  const hint = (v: string) => keepAliveHint(buf(v), 0, v.length)
  t.equal(hint('timeout=5'), 5000)
  t.equal(hint('timeout=5, max=100'), 5000)
  t.equal(hint('Timeout = 2 ,max=3'), 2000)
  t.equal(hint('timeout="7"'), 7000)
  t.equal(hint('max=0, timeout=5'), 0)
  t.equal(hint('timeout=0'), 0)
  t.equal(hint('timeout=9, timeout=3'), 3000, 'given twice: the smaller')
  t.equal(hint('max=5'), -1)
  t.equal(hint('timeout=x'), -1)
  t.equal(hint('timeout=5x'), -1, 'not a whole number: ignored')
  t.equal(hint('xtimeout=5'), -1)
  t.equal(hint(''), -1)
  t.equal(hint('timeout'), -1)
})
