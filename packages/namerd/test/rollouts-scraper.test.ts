// The scraper and proxiesSource against real proxies' snapshot endpoints on 127.0.0.1, and
// against hostile admin servers (a huge body, one that never answers, bad JSON) that must fail
// in bounded time and memory, and make the source say it cannot read.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import {
  inet,
  localConfig,
  recordingBackend,
  runProxy,
  send,
} from '../../proxy/test/router-helpers.js'
import type { DirectoryProxy, ProxyDirectory } from '../src/rollouts/directory.js'
import { proxiesSource } from '../src/rollouts/sources/proxies.js'
import { readSnapshot } from '../src/rollouts/sources/scraper.js'

const log = pino({ level: 'silent' })
const directory = (list: DirectoryProxy[]): ProxyDirectory => ({ proxies: async () => list })

async function server(
  t: { teardown(fn: () => unknown): void },
  handler: Parameters<typeof createServer>[1],
) {
  const s: Server = createServer(handler)
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    s.closeAllConnections()
    s.close()
  })
  return `127.0.0.1:${(s.address() as AddressInfo).port}`
}

t.test('a window read from two real proxies', async (t) => {
  const v1 = await recordingBackend(t, 'v1')
  const v2 = await recordingBackend(t, 'v2', (_req, res) => {
    res.writeHead(500)
    res.end('no')
  })
  const dtab = `/svc/v1 => ${inet(v1.port)}; /svc/v2 => ${inet(v2.port)}`
  const a = await runProxy(t, localConfig(dtab))
  const b = await runProxy(t, localConfig(dtab))
  const source = proxiesSource({
    directory: directory([
      { admin: a.running.admin, id: 'a', replica: 'r1' },
      { admin: b.running.admin, id: 'b', replica: 'r2' },
    ]),
    scrapeMs: 50,
    log,
  })
  t.teardown(() => source.close())
  const ids = { from: [inet(v1.port)], to: [inet(v2.port)] }
  const start = new Date()
  t.ok(
    (await source.read('internal', ids, start, new Date())).ok,
    'the first read takes the baseline',
  )
  await new Promise((r) => setTimeout(r, 20))
  for (let i = 0; i < 4; i++) await send(a.port, { headers: { host: 'v1' } })
  for (let i = 0; i < 3; i++) await send(b.port, { headers: { host: 'v2' } })
  await send(a.port, { headers: { host: 'v2' } })
  await new Promise((r) => setTimeout(r, 200)) // a few rounds
  const r = await source.read('internal', ids, start, new Date())
  t.ok(r.ok)
  if (!r.ok) return
  t.equal(r.reading.proxies, 2)
  t.match(r.reading.from, { requests: 4, successes: 4, failures: 0, successRate: 1 })
  t.match(r.reading.to, { requests: 4, successes: 0, failures: 4, successRate: 0 })
  t.type(r.reading.to.p99Ms, 'number')
})

t.test('no proxy named an admin address: unreadable, saying what to check', async (t) => {
  const source = proxiesSource({ directory: directory([]), scrapeMs: 50, log })
  t.teardown(() => source.close())
  const r = await source.read('internal', { from: [], to: [] }, new Date(), new Date())
  t.notOk(r.ok)
  if (!r.ok) t.match(r.problem, /no proxy watching namespace internal.*l5d-watcher-admin/)
})

t.test('hostile admin servers fail in bounded time and memory', async (t) => {
  const huge = await server(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(64 * 1024, 'x')
    const pump = () => {
      while (res.write(chunk)) {}
    }
    res.on('drain', pump)
    pump()
  })
  const slow = await server(t, () => {}) // never answers
  const trickle = await server(t, (_req, res) => {
    res.writeHead(200)
    const timer = setInterval(() => res.write(' '), 50)
    res.on('close', () => clearInterval(timer))
  })
  const badJson = await server(t, (_req, res) => res.end('{"instance":'))
  // A port that was free a moment ago: nothing listens there now.
  const closed = await new Promise<string>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => resolve(`127.0.0.1:${port}`))
    })
  })
  const wrong = await server(t, (_req, res) => res.end('{"instance":"x"}'))
  const cases: [string, string, RegExp][] = [
    ['huge', huge, /over 1048576 bytes/],
    ['never answers', slow, /no whole answer within 300 ms/],
    ['trickles', trickle, /no whole answer within 300 ms/],
    ['bad JSON', badJson, /not JSON/],
    ['not a snapshot', wrong, /not a metrics snapshot/],
    ['nothing listening', closed, /ECONNREFUSED/],
  ]
  for (const [name, admin, why] of cases) {
    const began = Date.now()
    await t.rejects(readSnapshot(admin, 300), why, name)
    t.ok(Date.now() - began < 5000, `${name}: gave up (took ${Date.now() - began} ms)`)
  }

  const source = proxiesSource({
    directory: directory([{ admin: slow, id: 'proxy-7', replica: 'r1' }]),
    scrapeMs: 50,
    timeoutMs: 200,
    log,
  })
  t.teardown(() => source.close())
  const ids = { from: [], to: [] }
  let r = await source.read('internal', ids, new Date(), new Date())
  t.ok(r.ok, 'one failed read is not yet unreadable')
  await new Promise((resolve) => setTimeout(resolve, 400))
  r = await source.read('internal', ids, new Date(), new Date())
  t.notOk(r.ok, 'two in a row are')
  if (!r.ok) t.match(r.problem, `proxy proxy-7 (admin ${slow}) failed`)
})

t.test('a window counts only traffic after its start, whatever the scrape interval', async (t) => {
  // Smoke-like traffic just before the window, with no scrape between it and the window's start
  // (scrapeMs far longer than the test): the baseline is the snapshot mark() takes at the start.
  const v2 = await recordingBackend(t, 'v2')
  const a = await runProxy(t, localConfig(`/svc/v2 => ${inet(v2.port)}`))
  const source = proxiesSource({
    directory: directory([{ admin: a.running.admin, id: 'a', replica: 'r1' }]),
    scrapeMs: 60_000,
    log,
  })
  t.teardown(() => source.close())
  const ids = { from: [], to: [inet(v2.port)] }
  t.ok((await source.read('internal', ids, new Date(), new Date())).ok, 'first scrape')
  for (let i = 0; i < 30; i++) await send(a.port, { headers: { host: 'v2' } })
  const windowStart = new Date()
  t.same(await source.mark!('internal', windowStart), { ok: true }, 'the probe reads')
  for (let i = 0; i < 2; i++) await send(a.port, { headers: { host: 'v2' } })
  await source.mark!('internal', new Date()) // stands for the next round's scrape
  const r = await source.read('internal', ids, windowStart, new Date())
  t.ok(r.ok)
  if (r.ok) t.equal(r.reading.to.requests, 2, 'the 30 before the start are not in the window')
})

t.test('a new source waits for proxies to register before calling it unreadable', async (t) => {
  let now = 1_000_000
  const source = proxiesSource({
    directory: { proxies: async () => [], graceMs: 400 },
    scrapeMs: 60_000,
    log,
    now: () => now,
  })
  t.teardown(() => source.close())
  const ids = { from: [], to: ['/#/io.l5d.fs/world-v2'] }
  let r = await source.read('internal', ids, new Date(), new Date())
  t.ok(r.ok, 'within the grace period: a reading, not a pause')
  if (r.ok) t.equal(r.reading.to.requests, 0, 'with no traffic (insufficient)')
  t.match(await source.mark!('internal', new Date()), { ok: false, waiting: true })
  now += 399
  t.ok((await source.read('internal', ids, new Date(), new Date())).ok, 'still waiting')
  now += 1
  r = await source.read('internal', ids, new Date(), new Date())
  t.notOk(r.ok, 'after 2 × presence: unreadable')
  if (!r.ok) t.match(r.problem, /no proxy watching namespace internal/)
  const p = await source.mark!('internal', new Date())
  t.match(p, { ok: false })
  t.notOk('waiting' in p && p.waiting, 'no longer waiting')
})
