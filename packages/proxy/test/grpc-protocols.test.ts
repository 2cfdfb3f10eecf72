// One switchyard-proxy process (the built command) serving three ways at once: gRPC over h2c
// and over h2 with TLS (two servers of one h2 router), a plain HTTP/2 request on the same
// router, and HTTP/1.1 on an http router, with traffic on all of them at the same time and
// each counted under its own router in the one admin.

import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { World } from '../../../test/support/grpc/services.js'
import { client, eventually, inet, metrics, world } from './grpc-helpers.js'
import { startProxyProcess, whenReady, writeConfig } from './proxy-process.js'
import { recordingBackend, send } from './router-helpers.js'

/** A plain HTTP/2 (h2c) backend answering `hello over h2` to every stream. */
async function h2Backend(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const server = createServer()
  server.on('stream', (stream) => {
    stream.on('error', () => {})
    stream.respond({ ':status': 200, 'content-type': 'text/plain' })
    stream.end('hello over h2')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const a = server.address()
  if (a === null || typeof a === 'string') throw new Error('no port')
  return a.port
}

/** One plain HTTP/2 GET over h2c with `:authority` `authority`: its status and body. */
function h2Get(port: number, authority: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`)
    session.on('error', reject)
    const req = session.request({ ':method': 'GET', ':path': '/', ':authority': authority })
    let body = ''
    let code = 0
    req.setEncoding('utf8')
    req.on('response', (h) => {
      code = Number(h[':status'])
    })
    req.on('data', (d: string) => {
      body += d
    })
    req.on('end', () => {
      session.close()
      resolve({ status: code, body })
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('h2c, h2 over TLS and HTTP/1.1 served by one proxy process at once', async (t) => {
  const certs = await makeTestCerts()
  t.teardown(() => certs.close())
  const dir = await mkdtemp(join(tmpdir(), 'grpc-protocols-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const w = await world(t, { version: 'v1' })
  const web = await recordingBackend(t, 'web over http/1.1')
  const plain = await h2Backend(t)
  const config = await writeConfig(
    dir,
    `admin: {ip: 127.0.0.1, port: 0}
routers:
  - protocol: h2
    label: h2
    interpreter: {kind: local, dtab: "/svc/world => ${inet(w.port)}; /svc/plain => ${inet(plain)}"}
    servers:
      - {ip: 127.0.0.1, port: 0}
      - ip: 127.0.0.1
        port: 0
        tls: {certPath: ${certs.server.certPath}, keyPath: ${certs.server.keyPath}}
  - protocol: http
    label: http
    interpreter: {kind: local, dtab: "/svc/web => ${inet(web.port)}"}
    servers: [{ip: 127.0.0.1, port: 0}]
`,
  )
  const proxy = await startProxyProcess(t, config)
  await whenReady(proxy)
  t.equal(proxy.ports.length, 3, 'three servers listen')
  const [h2c, h2tls, http1] = proxy.ports as [number, number, number]

  const clear = client(t, h2c, { authority: 'world' })
  const secure = client(t, h2tls, { authority: 'world', tls: { ca: certs.ca.cert } })
  const [a, b, c, d, e] = await Promise.all([
    clear.unary(World.Greet, { name: 'h2c' }),
    secure.unary(World.Greet, { name: 'tls' }),
    secure.serverStream(World.Count, { n: 100, bytes: 500 }),
    send(http1, { headers: { host: 'web' } }),
    h2Get(h2c, 'plain'),
  ])
  t.match(a, { code: status.OK, value: { name: 'h2c', version: 'v1' } }, 'gRPC over h2c')
  t.match(b, { code: status.OK, value: { name: 'tls', version: 'v1' } }, 'gRPC over h2 with TLS')
  t.equal(c.code, status.OK, c.details)
  t.equal(c.messages.length, 100, 'a stream over TLS')
  t.match(d, { status: 200, body: 'web over http/1.1' }, 'HTTP/1.1 on the http router')
  t.same(e, { status: 200, body: 'hello over h2' }, 'a plain HTTP/2 request on the h2 router')

  const admin = `http://127.0.0.1:${proxy.adminPort}`
  await eventually('every request counted', async () => {
    const m = await metrics(admin)
    return (
      m['rt/h2/service/svc/world/requests'] === 3 && m['rt/http/service/svc/web/requests'] === 1
    )
  })
  const m = await metrics(admin)
  t.equal(m['rt/h2/service/svc/world/success'], 3, 'both h2 servers count under the h2 router')
  t.equal(m['rt/h2/service/svc/plain/success'], 1)
  t.equal(m['rt/http/service/svc/web/success'], 1)
  t.equal(proxy.child.exitCode, null, 'still running')
})
