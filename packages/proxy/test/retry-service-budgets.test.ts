import t from 'tap'
import { ServiceBudgets } from '../src/retry/service-budgets.js'

t.test('each service spends its own retry budget', async (t) => {
  const budgets = new ServiceBudgets({ minRetriesPerSec: 1, ttlMs: 1000, percentCanRetry: 0.2 })
  const flaky = budgets.get('/svc/flaky')
  t.equal(budgets.get('/svc/flaky'), flaky, 'one budget per service, kept')
  while (flaky.tryWithdraw()) {}
  t.equal(flaky.balance, 0, 'flaky spent its budget')
  t.equal(budgets.get('/svc/steady').balance, 1, 'steady still has its reserve')
})

t.test('a budget that cannot be honoured is refused when the router starts', async (t) => {
  t.throws(() => new ServiceBudgets({ ttlMs: 120_000 }), RangeError)
})
