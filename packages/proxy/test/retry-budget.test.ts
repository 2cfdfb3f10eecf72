import t from 'tap'
import { requestFraming } from '../src/http1/framing.js'
import { RetryBudget } from '../src/retry/budget.js'
import { isIdempotent } from '../src/retry/policy.js'

function clock(start = 1_000_000) {
  const c = { now: start, fn: () => c.now }
  return c
}

t.test(
  'with no traffic the reserve allows minRetriesPerSec × ttl retries, then none',
  async (t) => {
    const c = clock()
    const b = new RetryBudget({
      ttlMs: 10_000,
      minRetriesPerSec: 10,
      percentCanRetry: 0.2,
      now: c.fn,
    })
    let n = 0
    while (b.tryWithdraw()) n++
    t.equal(n, 100)
    t.equal(b.exhausted, 1)
  },
)

t.test('each request deposits percentCanRetry of a retry', async (t) => {
  const c = clock()
  const b = new RetryBudget({ minRetriesPerSec: 0, percentCanRetry: 0.2, now: c.fn })
  for (let i = 0; i < 50; i++) b.deposit()
  let n = 0
  while (b.tryWithdraw()) n++
  t.equal(n, 10)
})

t.test('deposits and withdrawals expire after the ttl', async (t) => {
  const c = clock()
  const b = new RetryBudget({ ttlMs: 1000, minRetriesPerSec: 0, percentCanRetry: 0.5, now: c.fn })
  for (let i = 0; i < 10; i++) b.deposit()
  t.equal(b.balance, 5)
  c.now += 1100
  t.equal(b.balance, 0, 'the deposits are gone')
  t.notOk(b.tryWithdraw())
})

t.test('percentCanRetry 0 leaves only the reserve', async (t) => {
  const c = clock()
  const b = new RetryBudget({ ttlMs: 1000, minRetriesPerSec: 3, percentCanRetry: 0, now: c.fn })
  for (let i = 0; i < 1000; i++) b.deposit()
  t.equal(b.balance, 3)
})

t.test('bad settings are refused with a message naming them', async (t) => {
  t.throws(() => new RetryBudget({ ttlMs: 10 }), /ttl/)
  t.throws(() => new RetryBudget({ percentCanRetry: 2 }), /percentCanRetry/)
  t.throws(() => new RetryBudget({ minRetriesPerSec: -1 }), /minRetriesPerSec/)
})

t.test('only idempotent methods without a body may be retried', async (t) => {
  for (const m of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']) t.ok(isIdempotent(m), m)
  for (const m of ['POST', 'PATCH', 'CONNECT', undefined]) t.notOk(isIdempotent(m), String(m))
  const hasBody = (h: Record<string, string>) => requestFraming(h, false).kind !== 'none'
  t.notOk(hasBody({}))
  t.notOk(hasBody({ 'content-length': '0' }))
  t.ok(hasBody({ 'content-length': '3' }))
  t.ok(hasBody({ 'transfer-encoding': 'chunked' }))
})
