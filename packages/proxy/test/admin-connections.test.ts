// The admin server's connection limits: a flood of idle or half-sent connections keeps
// neither the probes out nor more than admin.maxConnections descriptors, and a connection that
// does not finish its request head in time is closed. Raw sockets on 127.0.0.1.
import t from 'tap'
import { flood, raw } from '../../../test/support/raw-socket.js'
import { ProxyConfig } from '../src/config/schema.js'
import { eventually } from './interpret-helpers.js'
import { localConfig, runProxy } from './router-helpers.js'

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
    const { open } = await flood(
      t,
      p.admin,
      100,
      'GET /admin/ping HTTP/1.1\r\nHost: admin\r\nX-Half: ',
    )
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
