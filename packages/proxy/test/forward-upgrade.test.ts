import { createServer } from 'node:http'
import t from 'tap'
import { request } from 'undici'
import { WebSocket, WebSocketServer } from 'ws'
import { closeServer, front, listen, newClient } from './forward-helpers.js'

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
