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

t.test(
  'a POST whose connection was refused goes to another endpoint, body intact: nothing was sent',
  async (t) => {
    const bodies: string[] = []
    const live = await backend((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (d: string) => {
        body += d
      })
      req.on('end', () => {
        bodies.push(body)
        res.end('live')
      })
    })
    const client = newClient([await deadPort(), live.port], { random: seeded(12) })
    const f = await front(client)
    t.teardown(async () => {
      await f.close()
      await client.close()
      await live.close()
    })
    for (let i = 0; i < 10; i++) {
      const r = await request(f.url, { method: 'POST', body: `payload ${i}` })
      t.equal(r.statusCode, 200)
      await r.body.dump()
    }
    t.same(
      bodies,
      Array.from({ length: 10 }, (_, i) => `payload ${i}`),
      'every body arrived once, whole',
    )
    t.ok(
      f.results.some((r) => r.retries > 0),
      'some went to the refused endpoint first and were requeued',
    )
  },
)

/** A backend that reads each request, then drops the connection without a word. */
const dropsAfterReading = () =>
  backend((req) => {
    req.resume()
    req.on('end', () => req.socket.destroy())
  })

t.test(
  'a GET or DELETE whose connection closed after it was sent, before any answer, is sent again (RFC 9110 §9.2.2)',
  async (t) => {
    for (const method of ['GET', 'DELETE']) {
      const b = await dropsAfterReading()
      const client = newClient([b.port])
      const f = await front(client, { maxRetries: 2 })
      const r = await request(f.url, { method })
      t.equal(r.statusCode, 502)
      await r.body.dump()
      t.equal(b.requests, 3, `${method}: the first attempt and two retries`)
      t.match(await f.next(), { ok: false, kind: 'upstream-reset', retries: 2 })
      await f.close()
      await client.close()
      await b.close()
    }
  },
)

t.test('a POST that was sent is never sent again, with a body or without', async (t) => {
  for (const body of ['payload', undefined]) {
    const b = await dropsAfterReading()
    const client = newClient([b.port])
    const f = await front(client, { maxRetries: 2 })
    const r = await request(f.url, { method: 'POST', ...(body !== undefined && { body }) })
    t.equal(r.statusCode, 502)
    await r.body.dump()
    t.equal(b.requests, 1, `body ${body ?? 'none'}: sent once`)
    t.match(await f.next(), { ok: false, kind: 'upstream-reset', retries: 0 })
    await f.close()
    await client.close()
    await b.close()
  }
})

t.test('a GET whose response had begun is never sent again', async (t) => {
  const { b, f } = await proxied(
    t,
    (_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('partial')
      setTimeout(() => res.socket?.destroy(), 20)
    },
    { maxRetries: 2 },
  )
  const r = await request(f.url)
  t.equal(r.statusCode, 200)
  await t.rejects(r.body.text(), 'the client sees the response break')
  t.equal(b.requests, 1)
  t.match(await f.next(), { ok: false, kind: 'upstream-reset', retries: 0, headersSent: true })
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
