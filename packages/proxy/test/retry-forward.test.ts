import t from 'tap'
import { request } from 'undici'
import { RetryBudget } from '../src/retry/budget.js'
import { backend, deadPort, front, newClient, proxied, seeded } from './forward-helpers.js'

t.test(
  'a GET to a dead endpoint is retried on the live one, and the retry is counted',
  async (t) => {
    const live = await backend((_req, res) => res.end('live'))
    const dead = await deadPort()
    const client = newClient([dead, live.port], { random: seeded(11) })
    const f = await front(client)
    t.teardown(async () => {
      await f.close()
      await client.close()
      await live.close()
    })
    for (let i = 0; i < 20; i++) {
      const r = await request(f.url)
      t.equal(r.statusCode, 200)
      t.equal(await r.body.text(), 'live')
    }
    const retried = f.results.filter((r) => r.retries > 0)
    t.ok(retried.length > 0, `${retried.length} of 20 requests were retried`)
    for (const r of retried)
      t.match(r, { ok: true, retries: 1, endpoint: `127.0.0.1:${live.port}` })
  },
)

t.test('a POST with a body is never retried', async (t) => {
  const client = newClient([await deadPort()])
  const f = await front(client)
  t.teardown(async () => {
    await f.close()
    await client.close()
  })
  const r = await request(f.url, { method: 'POST', body: 'payload' })
  t.equal(r.statusCode, 502)
  await r.body.dump()
  t.match(await f.next(), { ok: false, kind: 'connect', retries: 0 })
})

t.test('retries are bounded by maxRetries', async (t) => {
  const client = newClient([await deadPort()])
  const f = await front(client, { maxRetries: 2 })
  t.teardown(async () => {
    await f.close()
    await client.close()
  })
  const r = await request(f.url)
  t.equal(r.statusCode, 502)
  await r.body.dump()
  t.match(await f.next(), { ok: false, kind: 'connect', retries: 2, budgetExhausted: false })
})

t.test('an exhausted retry budget stops retries and is counted', async (t) => {
  const budget = new RetryBudget({ minRetriesPerSec: 0, percentCanRetry: 0.2 })
  const client = newClient([await deadPort()])
  const f = await front(client, { budget })
  t.teardown(async () => {
    await f.close()
    await client.close()
  })
  const r = await request(f.url)
  await r.body.dump()
  t.match(await f.next(), { ok: false, kind: 'connect', retries: 0, budgetExhausted: true })
  t.equal(budget.exhausted, 1)
})

t.test('a GET that reached the backend and got a 5xx is not retried', async (t) => {
  const { b, f } = await proxied(t, (_req, res) => {
    res.statusCode = 503
    res.end()
  })
  const r = await request(f.url)
  t.equal(r.statusCode, 503)
  await r.body.dump()
  t.equal(b.requests, 1)
  t.match(await f.next(), { ok: true, status: 503, retries: 0 })
})
