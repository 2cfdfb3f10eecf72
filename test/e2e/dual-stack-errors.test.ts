// A failure to connect to a name with two addresses (localhost as ::1 and 127.0.0.1) says why
// each attempt failed. Node reports such a connect as an AggregateError with an empty message,
// and the proxy's 503 and /admin/ready read 'namerd at localhost:<port>: ' with nothing after.
// The real command, with `localhost` made dual-stack by a preload (fixtures/).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startProxy } from './mesh.js'
import { eventually, get, ROOT } from './processes.js'

/** A port nothing listens on, on either family: one the system just gave and took back. */
async function deadPort(): Promise<number> {
  const server = createServer().listen(0, '::')
  await new Promise((resolve) => server.once('listening', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  await new Promise((resolve) => server.close(resolve))
  return address.port
}

t.test('namerd unreachable on both addresses of localhost: both refusals are named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-dual-stack-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const dead = await deadPort()
  writeFileSync(
    join(dir, 'proxy.yaml'),
    `admin: {ip: 127.0.0.1, port: 0}
routers:
  - label: outgoing
    interpreter: {kind: io.l5d.namerd.http, dst: 'http://localhost:${dead}', namespace: internal, retry: {baseSeconds: 0.05, maxSeconds: 0.1}}
    servers: [{ip: 127.0.0.1, port: 0}]
`,
  )
  const { port, adminPort } = await startProxy(t, 'proxy', join(dir, 'proxy.yaml'), {
    preload: join(ROOT, 'test/e2e/fixtures/dual-stack-localhost.mjs'),
  })
  const cause = new RegExp(
    `^namerd at localhost:${dead}: connect ECONNREFUSED (::1:${dead}; connect ECONNREFUSED 127\\.0\\.0\\.1|127\\.0\\.0\\.1:${dead}; connect ECONNREFUSED ::1):${dead}$`,
  )
  let body = ''
  await eventually('a request to be answered with namerd’s failure', async () => {
    const r = await get(port, { host: 'world' })
    body = r.body
    return r.status === 503 && body.includes('namerd at')
  })
  t.match(body.replace('No dtab yet for router outgoing: ', ''), cause, 'the 503 names both')
  const ready = await fetch(`http://127.0.0.1:${adminPort}/admin/ready`)
  t.equal(ready.status, 503)
  const line = (await ready.text()).split('\n').find((l) => l.startsWith('  outgoing: '))
  t.match(line?.replace('  outgoing: ', ''), cause, '/admin/ready names both')
})
