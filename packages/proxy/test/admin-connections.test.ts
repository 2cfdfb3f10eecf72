// The admin server's connection limits: a flood of idle or half-sent connections keeps
// neither the probes out nor more than admin.maxConnections descriptors, and a connection that
// does not finish its request head in time is closed. Raw sockets on 127.0.0.1.
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { ProxyConfig } from '../src/config/schema.js'
import { eventually } from './interpret-helpers.js'
import { localConfig, runProxy } from './router-helpers.js'

interface Raw {
  readonly socket: Socket
  received(): string
  /** Resolves once the socket is closed; rejects after `ms`. */
  closed(ms?: number): Promise<void>
}

async function raw(base: string, first = ''): Promise<Raw> {
  const { port } = new URL(base)
  const socket = connect(Number(port), '127.0.0.1')
  let data = ''
  socket.setEncoding('utf8')
  socket.on('data', (d: string) => {
    data += d
  })
  socket.on('error', () => {}) // a reset is one way of being closed
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  if (first !== '') socket.write(first)
  return {
    socket,
    received: () => data,
    closed: (ms = 10_000) =>
      Promise.race([
        gone,
        new Promise<void>((_, reject) =>
          setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms).unref(),
        ),
      ]),
  }
}

const proxyWithAdmin = (t: Parameters<typeof runProxy>[0], admin: Record<string, number>) =>
  runProxy(
    t,
    localConfig(
      '/svc/world => /$/inet/127.0.0.1/1',
      {},
      { admin: { ip: '127.0.0.1', port: 0, ...admin } },
    ),
  )

t.test(
  '100 half-sent heads against admin.maxConnections 20: at most 20 stay open, and /admin/ping and /admin/ready answer',
  async (t) => {
    const p = await proxyWithAdmin(t, { maxConnections: 20, headersTimeoutMs: 30_000 })
    const flood: Raw[] = []
    t.teardown(() => {
      for (const f of flood) f.socket.destroy()
    })
    for (let i = 0; i < 100; i += 25) {
      const batch = Array.from({ length: 25 }, () =>
        raw(p.admin, 'GET /admin/ping HTTP/1.1\r\nHost: admin\r\nX-Half: '),
      )
      flood.push(...(await Promise.all(batch)))
    }
    const open = () => flood.filter((f) => !f.socket.destroyed).length
    await eventually(
      'the admin server sheds the flood down to its limit',
      () => open() <= 20,
      20_000,
    )

    const ping = await fetch(`${p.admin}/admin/ping`)
    t.equal(ping.status, 200)
    t.equal(await ping.text(), 'pong')
    t.equal((await fetch(`${p.admin}/admin/ready`)).status, 200)
    t.ok(open() <= 20, `${open()} of the flood still open`)
  },
)

t.test(
  'an admin connection that sends nothing, or half a head, is closed after admin.headersTimeoutMs',
  async (t) => {
    const p = await proxyWithAdmin(t, { headersTimeoutMs: 300 })
    const silent = await raw(p.admin)
    const half = await raw(p.admin, 'GET /admin/ping HTTP/1.1\r\nHost: admin\r\n')
    await Promise.all([silent.closed(), half.closed()])
    t.match(half.received(), /^HTTP\/1\.1 408 /)
    const kept = await raw(p.admin, 'GET /admin/ping HTTP/1.1\r\nHost: admin\r\n\r\n')
    await eventually('pong', () => kept.received().endsWith('pong'))
    kept.socket.write('GET /admin/ping HTTP/1.1\r\nHo')
    await kept.closed()
    t.match(kept.received(), /pongHTTP\/1\.1 408 /, 'a second head left half-sent too')
  },
)

t.test('admin.maxConnections and admin.headersTimeoutMs are checked', async (t) => {
  const parse = (admin: Record<string, unknown>) =>
    ProxyConfig.safeParse({
      admin,
      routers: [{ interpreter: { kind: 'local', dtab: '' }, servers: [{ port: 0 }] }],
    })
  t.ok(parse({ maxConnections: 64, headersTimeoutMs: 5000 }).success)
  t.notOk(parse({ maxConnections: 8 }).success, 'at least 16')
  t.notOk(parse({ headersTimeoutMs: 10 }).success, 'at least 100 ms')
})
