import t from 'tap'
import { request } from 'undici'
import { effectiveDeadline, parseDeadline } from '../src/forward/deadline.js'
import { proxied } from './forward-helpers.js'

const MS = 1_000_000n

t.test('several l5d-ctx-deadline values combine to the strictest', async (t) => {
  t.same(parseDeadline('100 900, 200 800'), { timestampNs: 200n, deadlineNs: 800n })
  t.same(parseDeadline(['100 700', '50 900']), { timestampNs: 100n, deadlineNs: 700n })
  t.same(
    parseDeadline('garbage, 10 20'),
    { timestampNs: 10n, deadlineNs: 20n },
    'malformed values are ignored',
  )
  t.equal(parseDeadline('nope'), undefined)
  t.equal(parseDeadline(undefined), undefined)
})

t.test('the effective timeout is min(router timeout, deadline - now)', async (t) => {
  const now = 1_700_000_000_000
  const nowNs = BigInt(now) * MS
  const header = `${nowNs - 5n * MS} ${nowNs + 300n * MS}`
  t.same(effectiveDeadline({ 'l5d-ctx-deadline': header }, 1000, now), {
    timeoutMs: 300,
    header: `${nowNs} ${nowNs + 300n * MS}`,
  })
  t.same(effectiveDeadline({ 'l5d-ctx-deadline': header }, 100, now), {
    timeoutMs: 100,
    header: `${nowNs} ${nowNs + 100n * MS}`,
  })
  t.same(effectiveDeadline({ 'l5d-ctx-deadline': header }, undefined, now), {
    timeoutMs: 300,
    header,
  })
  t.same(effectiveDeadline({}, undefined, now), { timeoutMs: undefined, header: undefined })
  t.same(
    effectiveDeadline({}, 250, now + 0.7),
    { timeoutMs: 250, header: `${nowNs} ${nowNs + 250n * MS}` },
    'the router timeout alone: now and now + timeout, in whole milliseconds as nanoseconds',
  )
  t.ok(effectiveDeadline({ 'l5d-ctx-deadline': `1 ${nowNs - MS}` }, 500, now).timeoutMs! <= 0)
})

t.test(
  'a backend slower than the timeout gives kind timeout and its request is aborted',
  async (t) => {
    let closed!: () => void
    const upstreamClosed = new Promise<void>((r) => {
      closed = r
    })
    const { client, f } = await proxied(t, (req) => req.socket.on('close', () => closed()), {
      timeoutMs: 100,
    })
    const r = await request(f.url)
    t.equal(r.statusCode, 503)
    await r.body.dump()
    t.match(await f.next(), { ok: false, kind: 'timeout', headersSent: false })
    await upstreamClosed
    t.equal(client.pending, 0)
  },
)

t.test('the strictest deadline is propagated to the backend and limits the wait', async (t) => {
  const seen: (string | undefined)[] = []
  const { f } = await proxied(t, (req, res) => {
    seen.push(req.headers['l5d-ctx-deadline'] as string | undefined)
    if (req.url === '/slow') return // never answers
    res.end('ok')
  })
  const nowNs = BigInt(Date.now()) * MS
  const loose = `${nowNs - 10n * MS} ${nowNs + 60_000n * MS}`
  const strict = `${nowNs - 20n * MS} ${nowNs + 200n * MS}`
  const r = await request(f.url, { headers: { 'l5d-ctx-deadline': `${loose}, ${strict}` } })
  await r.body.dump()
  t.equal(seen[0], `${nowNs - 10n * MS} ${nowNs + 200n * MS}`)

  const start = Date.now()
  const slow = await request(`${f.url}/slow`, { headers: { 'l5d-ctx-deadline': strict } })
  t.equal(slow.statusCode, 503)
  await slow.body.dump()
  t.ok(Date.now() - start < 1000, 'the deadline cut the wait short')
  t.match(f.results.at(-1), { ok: false, kind: 'timeout' })
})

t.test('a request whose deadline has already passed is not sent', async (t) => {
  const { b, f } = await proxied(t, (_req, res) => res.end('ok'))
  const nowNs = BigInt(Date.now()) * MS
  const r = await request(f.url, { headers: { 'l5d-ctx-deadline': `1 ${nowNs - 1000n * MS}` } })
  t.equal(r.statusCode, 503)
  await r.body.dump()
  t.equal(b.requests, 0)
})
