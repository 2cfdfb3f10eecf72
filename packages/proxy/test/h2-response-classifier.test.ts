// Linkerd's service.responseClassifier on an h2 router, read from the config's raw value: which
// grpc-status values of a trailers-only answer may be sent again. None by default.
import t from 'tap'
import { h2ResponseClassifier } from '../src/h2/response-classifier.js'

t.test('no classifier, neverRetryable and nonRetryable5XX retry nothing', async (t) => {
  for (const raw of [
    undefined,
    { kind: 'io.l5d.h2.grpc.neverRetryable' },
    { kind: 'io.l5d.h2.nonRetryable5XX' },
  ]) {
    const c = h2ResponseClassifier(raw)
    t.equal(c.retryableGrpc.size, 0, JSON.stringify(raw))
    t.equal(c.unsupported, undefined)
  }
})

t.test('io.l5d.h2.grpc.default retries UNAVAILABLE only', async (t) => {
  const c = h2ResponseClassifier({ kind: 'io.l5d.h2.grpc.default' })
  t.same([...c.retryableGrpc], [14])
})

t.test(
  'alwaysRetryable retries every non-OK status; retryableStatusCodes the ones listed',
  async (t) => {
    const all = h2ResponseClassifier({ kind: 'io.l5d.h2.grpc.alwaysRetryable' })
    t.ok(all.retryableGrpc.has(14) && all.retryableGrpc.has(2) && !all.retryableGrpc.has(0))
    const some = h2ResponseClassifier({
      kind: 'io.l5d.h2.grpc.retryableStatusCodes',
      retryableStatusCodes: [4, 14],
    })
    t.same([...some.retryableGrpc].sort(), [14, 4].sort())
  },
)

t.test('an unknown kind or a malformed value retries nothing and says why', async (t) => {
  const other = h2ResponseClassifier({ kind: 'io.l5d.h2.retryableRead5XX' })
  t.equal(other.retryableGrpc.size, 0)
  t.match(other.unsupported, /io\.l5d\.h2\.retryableRead5XX is not followed/)
  const bad = h2ResponseClassifier('io.l5d.h2.grpc.default')
  t.equal(bad.retryableGrpc.size, 0)
  t.match(bad.unsupported, /not a classifier/)
})
