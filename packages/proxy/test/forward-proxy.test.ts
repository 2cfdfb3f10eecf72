import { request as httpRequest } from 'node:http'
import { Readable } from 'node:stream'
import t from 'tap'
import { request } from 'undici'
import { deadPort, front, newClient, proxied } from './forward-helpers.js'

t.test('a request and its response pass through with status, headers and body', async (t) => {
  const { b, f } = await proxied(t, (req, res) => {
    res.writeHead(201, { 'x-backend': 'yes', 'content-type': 'text/plain' })
    res.end(`${req.method} ${req.url} ${req.headers['x-custom']}`)
  })
  const r = await request(`${f.url}/a/b?c=d`, { headers: { 'x-custom': 'v' } })
  t.equal(r.statusCode, 201)
  t.equal(r.headers['x-backend'], 'yes')
  t.equal(await r.body.text(), 'GET /a/b?c=d v')
  const result = await f.next()
  t.match(result, { ok: true, status: 201, endpoint: `127.0.0.1:${b.port}`, retries: 0 })
})

t.test('many requests reuse one keep-alive connection to the backend', async (t) => {
  const { b, f } = await proxied(t, (_req, res) => res.end('ok'))
  for (let i = 0; i < 20; i++) {
    const r = await request(f.url)
    t.equal(await r.body.text(), 'ok')
  }
  t.equal(b.requests, 20)
  t.equal(b.connections, 1)
})

t.test(
  'hop-by-hop headers, and those Connection names, are not forwarded either way',
  async (t) => {
    let seen: Record<string, unknown> = {}
    const { f } = await proxied(t, (req, res) => {
      seen = req.headers
      res.setHeader('connection', 'x-resp-hop')
      res.setHeader('x-resp-hop', 'secret')
      res.setHeader('x-resp-kept', 'kept')
      res.setHeader('proxy-authenticate', 'Basic')
      res.end('ok')
    })
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${f.url}/`, {
        headers: {
          connection: 'keep-alive, x-hop',
          'x-hop': 'drop me',
          'keep-alive': 'timeout=5',
          'proxy-authorization': 'Basic Zm9v',
          'proxy-connection': 'keep-alive',
          te: 'trailers',
          'x-kept': 'kept',
        },
      })
      req.on('response', resolve).on('error', reject).end()
    })
    res.resume()
    t.equal(seen['x-hop'], undefined)
    t.equal(seen['keep-alive'], undefined)
    t.equal(seen['proxy-authorization'], undefined)
    t.equal(seen['proxy-connection'], undefined)
    t.equal(seen.te, 'trailers', 'TE: trailers survives')
    t.equal(seen['x-kept'], 'kept')
    t.equal(res.headers['x-resp-hop'], undefined)
    t.equal(res.headers['proxy-authenticate'], undefined)
    t.equal(res.headers['x-resp-kept'], 'kept')
  },
)

t.test('a 50 MB body streams through in both directions without being buffered', async (t) => {
  const { f } = await proxied(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    req.pipe(res)
  })
  const total = 50 * 1024 * 1024
  const chunk = Buffer.alloc(64 * 1024, 7)
  let sent = 0
  let firstEchoAt = -1
  const body = new Readable({
    read() {
      if (sent >= total) return this.push(null)
      sent += chunk.length
      this.push(chunk)
    },
  })
  const r = await request(f.url, { method: 'POST', body })
  let received = 0
  let maxInFlight = 0
  for await (const c of r.body) {
    if (firstEchoAt < 0) firstEchoAt = sent
    received += (c as Buffer).length
    maxInFlight = Math.max(maxInFlight, sent - received)
  }
  t.equal(received, total)
  t.ok(firstEchoAt < total, `the echo began before the upload ended (at ${firstEchoAt} bytes)`)
  // Buffering either body would let all 50 MB be in flight at once; streaming leaves only
  // what the sockets' kernel buffers and the streams' high-water marks hold (~10 MB here).
  t.ok(maxInFlight < 25 * 1024 * 1024, `at most ${(maxInFlight / 1048576).toFixed(1)} MB in flight`)
  t.match(await f.next(), { ok: true, status: 200 })
})

t.test('a POST body of known length reaches the backend intact', async (t) => {
  const { f } = await proxied(t, async (req, res) => {
    let n = 0
    for await (const c of req) n += (c as Buffer).length
    res.end(`${req.headers['content-length']} ${n}`)
  })
  const r = await request(f.url, { method: 'POST', body: 'x'.repeat(12345) })
  t.equal(await r.body.text(), '12345 12345')
})

t.test(
  'a client that goes away mid-response aborts the upstream request, leaking nothing',
  async (t) => {
    let upstreamClosed!: () => void
    const closed = new Promise<void>((resolve) => {
      upstreamClosed = resolve
    })
    const { client, f } = await proxied(t, (_req, res) => {
      res.writeHead(200)
      res.write('first chunk')
      res.on('close', () => upstreamClosed())
      // never ends
    })
    const ac = new AbortController()
    const r = await request(f.url, { signal: ac.signal })
    for await (const _ of r.body) break
    ac.abort()
    await closed
    const result = await f.next()
    t.match(result, { ok: false, kind: 'client-aborted', headersSent: true })
    t.equal(client.pending, 0, 'no request is counted as outstanding')
    // The aborted connection is gone from the pool; nothing is left running.
    const node = (client as unknown as { nodes: Map<string, { pool: { size: number } }> }).nodes
      .values()
      .next().value!
    await new Promise((r) => setTimeout(r, 20))
    t.equal(node.pool.size, 0, 'the upstream connection was closed, not kept')
  },
)

t.test('an upstream that dies mid-body destroys the client response', async (t) => {
  const { f } = await proxied(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '1000' })
    res.write('partial')
    setTimeout(() => res.socket?.destroy(), 20)
  })
  const r = await request(f.url)
  await t.rejects(r.body.text())
  t.match(await f.next(), { ok: false, kind: 'upstream-reset', headersSent: true })
})

t.test(
  'no endpoints gives kind no-endpoints; a refused connection gives kind connect',
  async (t) => {
    const empty = newClient([])
    const dead = newClient([await deadPort()])
    const f1 = await front(empty)
    const f2 = await front(dead)
    t.teardown(async () => {
      await f1.close()
      await f2.close()
      await empty.close()
      await dead.close()
    })
    const r1 = await request(f1.url)
    t.equal(r1.statusCode, 502)
    await r1.body.dump()
    t.match(await f1.next(), { ok: false, kind: 'no-endpoints', headersSent: false })
    const r2 = await request(f2.url)
    t.equal(r2.statusCode, 502)
    await r2.body.dump()
    t.match(await f2.next(), { ok: false, kind: 'connect', headersSent: false })
  },
)
