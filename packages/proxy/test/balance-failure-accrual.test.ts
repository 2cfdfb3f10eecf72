import t from 'tap'
import {
  type AccrualBackoff,
  accrueFailure,
  accrueSuccess,
  ejectionMs,
  type FailureAccrualOptions,
} from '../src/balance/failure-accrual.js'

const low = () => 0
const high = () => 0.999_999
const fresh = () => ({ failures: 0, ejectedUntil: 0, probing: false, ejections: 0 })

t.test('a constant backoff rests exactly its ms, every time', async (t) => {
  const b: AccrualBackoff = { kind: 'constant', ms: 700 }
  for (const n of [0, 1, 5, 30]) {
    t.equal(ejectionMs(b, n, low), 700)
    t.equal(ejectionMs(b, n, high), 700)
  }
})

t.test('a jittered backoff doubles with each ejection in a row, from minMs to maxMs', async (t) => {
  const b: AccrualBackoff = { kind: 'jittered', minMs: 1000, maxMs: 10_000 }
  t.same(
    [0, 1, 2, 3, 4, 10].map((n) => [ejectionMs(b, n, low), ejectionMs(b, n, high)]),
    [
      [1000, 2000],
      [2000, 4000],
      [4000, 8000],
      [5000, 10_000],
      [5000, 10_000],
      [5000, 10_000],
    ],
    'each step is drawn from the upper half of min·2^(n+1), capped at maxMs',
  )
})

t.test('a jittered backoff never rests less than minMs nor more than maxMs', async (t) => {
  const b: AccrualBackoff = { kind: 'jittered', minMs: 3000, maxMs: 4000 }
  for (const n of [0, 1, 2, 50]) {
    for (const r of [low, () => 0.5, high]) {
      const ms = ejectionMs(b, n, r)
      t.ok(ms >= 3000 && ms <= 4000, `step ${n}: ${ms} ms`)
    }
  }
})

t.test('failed probes lengthen the rest; a success starts the schedule again', async (t) => {
  const opts: FailureAccrualOptions = {
    consecutiveFailures: 2,
    backoff: { kind: 'jittered', minMs: 100, maxMs: 100_000 },
  }
  const s = fresh()
  t.notOk(accrueFailure(s, opts, 0, low), 'one failure is not enough')
  t.ok(accrueFailure(s, opts, 0, low), 'the second in a row ejects')
  t.equal(s.ejectedUntil, 100, 'first rest: minMs')
  const rests = []
  for (let i = 0; i < 3; i++) {
    s.probing = true
    t.ok(accrueFailure(s, opts, 0, low), 'a failed probe ejects again')
    rests.push(s.ejectedUntil)
  }
  t.same(rests, [200, 400, 800])
  s.probing = true
  t.ok(accrueSuccess(s), 'a successful probe revives the endpoint')
  t.equal(s.ejectedUntil, 0)
  accrueFailure(s, opts, 1000, low)
  accrueFailure(s, opts, 1000, low)
  t.equal(s.ejectedUntil, 1100, 'the next ejection rests minMs again')
})
