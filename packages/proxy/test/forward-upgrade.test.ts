import { createServer, request as httpRequest } from 'node:http'
import t from 'tap'
import { request } from 'undici'
import { WebSocket, WebSocketServer } from 'ws'
import { closeServer, deadPort, front, listen, newClient, seeded } from './forward-helpers.js'

t.test('a websocket upgrade passes through and messages flow both ways', async (t) => {
  const server = createServer((_req, res) => res.end('plain'))
  const wss = new WebSocketServer({ server })
  let serverClosed!: () => void
  const closed = new Promise<void>((r) => {
    serverClosed = r
  })
  wss.on('connection', (ws, req) => {
    ws.send(`hello ${req.headers['x-through']}`)
    ws.on('message', (m) => ws.send(`echo ${String(m)}`))
    ws.on('close', () => serverClosed())
  })
  const port = await listen(server)
  const client = newClient([port])
  const f = await front(client)
  t.teardown(async () => {
    await f.close()
    await client.close()
    wss.close()
    await closeServer(server)
  })
  const ws = new WebSocket(`ws://127.0.0.1:${f.port}/chat`, { headers: { 'x-through': 'yes' } })
  const messages: string[] = []
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (m) => {
      messages.push(String(m))
      if (messages.length === 1) ws.send('ping')
      if (messages.length === 2) resolve()
    })
    ws.on('error', reject)
  })
  t.same(messages, ['hello yes', 'echo ping'])
  t.match(await f.next(), { ok: true, status: 101 })
  ws.close()
  await closed
  // Plain requests still work next to the tunnel.
  t.equal(await (await request(f.url)).body.text(), 'plain')
})

t.test('an upgrade the backend declines is relayed as its plain response', async (t) => {
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('no websockets here')
  })
  const port = await listen(server)
  const client = newClient([port])
  const f = await front(client)
  t.teardown(async () => {
    await f.close()
    await client.close()
    await closeServer(server)
  })
  const ws = new WebSocket(`ws://127.0.0.1:${f.port}/`)
  const status = await new Promise<number>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('error', () => {})
  })
  t.equal(status, 404)
  t.match(await f.next(), { ok: true, status: 404 })
})

t.test(
  'an upgrade with no endpoints gets kind no-endpoints (the router answers 502)',
  async (t) => {
    const client = newClient([])
    const f = await front(client)
    t.teardown(async () => {
      await f.close()
      await client.close()
    })
    const ws = new WebSocket(`ws://127.0.0.1:${f.port}/`)
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('error', () => {})
    })
    t.equal(status, 502)
    t.match(await f.next(), { ok: false, kind: 'no-endpoints', headersSent: false })
  },
)

t.test(
  'onResponseHead (clearContext) sees the 101 and interim heads too, not only the final one',
  async (t) => {
    const server = createServer((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload', 'l5d-secret': 'from-backend' })
      res.end('plain')
    })
    const wss = new WebSocketServer({ server })
    wss.on('headers', (headers) => headers.push('l5d-secret: from-backend', 'x-kept: yes'))
    wss.on('connection', (ws) => ws.send('hi'))
    const port = await listen(server)
    const client = newClient([port])
    const f = await front(client, {
      onResponseHead: (_status, headers) => {
        for (const name of Object.keys(headers)) {
          if (name.startsWith('l5d-')) delete headers[name]
        }
      },
    })
    t.teardown(async () => {
      await f.close()
      await client.close()
      wss.close()
      await closeServer(server)
    })
    const ws = new WebSocket(`ws://127.0.0.1:${f.port}/`)
    // The message can arrive in the same read as the 101: listen before either.
    const message = new Promise((r) => ws.once('message', r))
    const upgrade = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.on('upgrade', (res) => resolve(res.headers))
      ws.on('error', reject)
    })
    await message
    ws.close()
    t.equal(upgrade['x-kept'], 'yes')
    t.notOk('l5d-secret' in upgrade, 'stripped from the 101')

    const hints = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: f.port, path: '/' }, (res) => res.resume())
      req.on('information', (info) => resolve(info.headers))
      req.on('error', reject)
      req.end()
    })
    t.equal(hints.link, '</style.css>; rel=preload', 'the 103 came through')
    t.notOk('l5d-secret' in hints, 'stripped from the 103')
  },
)

t.test('an upgrade retried past a dead endpoint reports its retry', async (t) => {
  const server = createServer((_req, res) => res.end('plain'))
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws) => ws.send('hello'))
  const port = await listen(server)
  const dead = await deadPort()
  // Ten upgrades over a seeded pick of the two: some first try the dead one.
  const client = newClient([dead, port], { random: seeded(11) })
  const f = await front(client)
  t.teardown(async () => {
    await f.close()
    await client.close()
    wss.close()
    await closeServer(server)
  })
  for (let i = 0; i < 10; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${f.port}/`)
    await new Promise<void>((resolve, reject) => {
      ws.on('message', () => resolve())
      ws.on('error', reject)
    })
    ws.close()
  }
  const results = f.results.filter((r) => r.ok && r.status === 101)
  t.equal(results.length, 10, 'every upgrade reached the live endpoint')
  const retried = results.filter((r) => r.retries > 0)
  t.ok(retried.length > 0, `${retried.length} of 10 upgrades were retried, and say so`)
})
