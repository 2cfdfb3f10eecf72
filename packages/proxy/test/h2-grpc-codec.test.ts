// gRPC's header codecs in h2/grpc.ts: grpc-timeout (parse and format), grpc-message
// (percent-encoding), which requests are gRPC, and how outcomes and errors are classified.
import { constants } from 'node:http2'
import fc from 'fast-check'
import t from 'tap'
import {
  decodeGrpcMessage,
  encodeGrpcMessage,
  formatGrpcTimeout,
  GrpcStatus,
  grpcFailed,
  isGrpc,
  parseGrpcTimeout,
  readGrpcStatus,
} from '../src/h2/grpc.js'
import {
  grpcStatusOf,
  grpcStatusOfReset,
  h2ForwardError,
  headersTooLarge,
} from '../src/h2/h2-errors.js'

t.test('grpc-timeout values in every unit are read as milliseconds', async (t) => {
  t.equal(parseGrpcTimeout('1H'), 3_600_000)
  t.equal(parseGrpcTimeout('2M'), 120_000)
  t.equal(parseGrpcTimeout('3S'), 3000)
  t.equal(parseGrpcTimeout('250m'), 250)
  t.equal(parseGrpcTimeout('1500u'), 1.5)
  t.equal(parseGrpcTimeout('2000000n'), 2)
  t.equal(parseGrpcTimeout('99999999S'), 99_999_999_000, 'eight digits is the most')
  t.equal(parseGrpcTimeout(['5S', '1S']), 5000, 'a repeated header: the first')
})

t.test('a malformed grpc-timeout is ignored (undefined), never an error', async (t) => {
  for (const bad of [
    '',
    'S',
    '10',
    '10s',
    '10 S',
    ' 10S',
    '-1S',
    '1.5S',
    '123456789S',
    '10SS',
    '0x10S',
    '１S',
  ]) {
    t.equal(parseGrpcTimeout(bad), undefined, JSON.stringify(bad))
  }
  t.equal(parseGrpcTimeout(undefined), undefined)
})

t.test('any string parses to undefined or a finite non-negative number', async () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), (s) => {
      const v = parseGrpcTimeout(s)
      return v === undefined || (Number.isFinite(v) && v >= 0)
    }),
  )
})

t.test('formatGrpcTimeout writes at most 8 digits and a unit, and never less time', async () => {
  fc.assert(
    fc.property(fc.double({ min: 0.000_001, max: 1e12, noNaN: true }), (ms) => {
      const text = formatGrpcTimeout(ms)
      if (!/^\d{1,8}[HMSmun]$/.test(text)) return false
      const back = parseGrpcTimeout(text)!
      // Rounded up in its unit: at least what was meant, and less than one unit more.
      return back >= ms * (1 - 1e-12) && back - ms <= unitOf(text) * (1 + 1e-9)
    }),
  )
})

t.test('formatGrpcTimeout of an integer millisecond count reads back exactly', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 90_000_000 }), (ms) => {
      return parseGrpcTimeout(formatGrpcTimeout(ms)) === ms
    }),
  )
})

t.test('no time left is 0n, which the next hop reads as already expired', async (t) => {
  t.equal(formatGrpcTimeout(0), '0n')
  t.equal(formatGrpcTimeout(-5), '0n')
  t.equal(formatGrpcTimeout(Number.NaN), '0n')
  t.equal(parseGrpcTimeout('0n'), 0)
})

const unitOf = (text: string): number =>
  ({ H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 })[text.at(-1)!]!

t.test(
  'grpc-message: printable ASCII but % is sent as is, the rest percent-encoded UTF-8',
  async (t) => {
    t.equal(
      encodeGrpcMessage('No hosts are available for /svc/hello'),
      'No hosts are available for /svc/hello',
    )
    t.equal(encodeGrpcMessage('100% done'), '100%25 done')
    t.equal(encodeGrpcMessage('line\nbreak'), 'line%0Abreak')
    t.equal(encodeGrpcMessage('café'), 'caf%C3%A9')
    t.equal(encodeGrpcMessage('😀'), '%F0%9F%98%80')
  },
)

t.test('grpc-message round-trips any text, and the encoding is header-safe ASCII', async () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
      const enc = encodeGrpcMessage(s)
      return /^[\x20-\x7e]*$/.test(enc) && decodeGrpcMessage(enc) === s
    }),
  )
})

t.test('decoding a hostile grpc-message never throws', async (t) => {
  t.equal(decodeGrpcMessage('50%'), '50%', 'a lone % is kept')
  t.equal(decodeGrpcMessage('%zz'), '%zz')
  t.equal(decodeGrpcMessage('%C3'), '\ufffd', 'half a UTF-8 character becomes U+FFFD')
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => typeof decodeGrpcMessage(s) === 'string'),
  )
})

t.test(
  'a gRPC request is content-type application/grpc, with a format or parameters',
  async (t) => {
    t.ok(isGrpc('application/grpc'))
    t.ok(isGrpc('application/grpc+proto'))
    t.ok(isGrpc('application/grpc+json'))
    t.ok(isGrpc('Application/GRPC'))
    t.ok(isGrpc('application/grpc; charset=utf-8'))
    t.ok(isGrpc(['application/grpc', 'text/plain']))
    t.notOk(isGrpc('application/grpc-web'), 'gRPC-Web carries its trailers in the body')
    t.notOk(isGrpc('application/grpc-web+proto'))
    t.notOk(isGrpc('application/json'))
    t.notOk(isGrpc('application/grpcx'))
    t.notOk(isGrpc(undefined))
  },
)

t.test('only grpc-status 0 succeeds; none at all is a failure (UNKNOWN)', async (t) => {
  t.notOk(grpcFailed(0))
  t.ok(grpcFailed(14))
  t.ok(grpcFailed(2))
  t.ok(grpcFailed(undefined))
  t.equal(readGrpcStatus('0'), 0)
  t.equal(readGrpcStatus('14'), 14)
  t.equal(readGrpcStatus(['4']), 4)
  t.equal(readGrpcStatus('abc'), undefined)
  t.equal(readGrpcStatus('-1'), undefined)
  t.equal(readGrpcStatus(undefined), undefined)
})

t.test('the proxy own errors map to gRPC statuses as documented in h2-errors.ts', async (t) => {
  t.equal(
    grpcStatusOf({ status: 400, message: 'Unknown destination' }),
    GrpcStatus.INVALID_ARGUMENT,
  )
  t.equal(grpcStatusOf({ status: 502, message: 'no route' }), GrpcStatus.UNAVAILABLE)
  t.equal(
    grpcStatusOf({ status: 503, message: 'No dtab yet', retryable: true }),
    GrpcStatus.UNAVAILABLE,
  )
  t.equal(
    grpcStatusOf({ status: 503, message: 'Deadline expired', retryable: false }),
    GrpcStatus.DEADLINE_EXCEEDED,
  )
  const base = { retries: 0, budgetExhausted: false, headersSent: false }
  t.equal(
    h2ForwardError({ ok: false, kind: 'timeout', message: 'x', ...base }, '/svc/a', '/$/b')
      .grpcStatus,
    GrpcStatus.DEADLINE_EXCEEDED,
  )
  t.equal(
    h2ForwardError(
      { ok: false, kind: 'connect', message: 'ECONNREFUSED', ...base },
      '/svc/a',
      '/$/b',
    ).grpcStatus,
    GrpcStatus.UNAVAILABLE,
  )
  const tls = h2ForwardError(
    { ok: false, kind: 'tls', message: 'the certificate of 127.0.0.1:1 has expired', ...base },
    '/svc/a',
    '/$/b',
  )
  t.equal(tls.status, 502)
  t.match(tls.message, /has expired/, 'a TLS failure is named')
  t.equal(
    tls.message,
    'Cannot connect to /$/b for /svc/a: the certificate of 127.0.0.1:1 has expired',
    "worded as HTTP/1.1's 502 for a TLS failure",
  )
  const big = headersTooLarge(20_000, 16_384)
  t.equal(big.status, 431)
  t.equal(big.grpcStatus, GrpcStatus.RESOURCE_EXHAUSTED)
  t.match(big.message, /maxHeaderListBytes \(16384\)/)
  t.equal(
    h2ForwardError(
      { ok: false, kind: 'upstream-reset', message: 'the connection was lost', ...base },
      '/svc/a',
      '/$/b',
    ).grpcStatus,
    GrpcStatus.UNAVAILABLE,
    'a connection lost before answering (no reset code) is UNAVAILABLE',
  )
  t.equal(
    h2ForwardError(
      {
        ok: false,
        kind: 'upstream-reset',
        message: 'reset',
        rstCode: constants.NGHTTP2_INTERNAL_ERROR,
        ...base,
      },
      '/svc/a',
      '/$/b',
    ).grpcStatus,
    GrpcStatus.INTERNAL,
    'a reset is read by its code',
  )
  t.equal(grpcStatusOfReset(constants.NGHTTP2_REFUSED_STREAM), GrpcStatus.UNAVAILABLE)
  t.equal(grpcStatusOfReset(constants.NGHTTP2_CANCEL), GrpcStatus.CANCELLED)
  t.equal(grpcStatusOfReset(constants.NGHTTP2_INTERNAL_ERROR), GrpcStatus.INTERNAL)
})
