import t from 'tap'
import { deadPort } from './forward-helpers.js'
import { inet, localConfig, recordingBackend, runProxy, send, sendRaw } from './router-helpers.js'

/** `l5d-err` decoded as Java's URLDecoder would (`+` is a space). */
const l5dErr = (h: Record<string, string | string[] | undefined>) =>
  decodeURIComponent(String(h['l5d-err'] ?? '').replace(/\+/g, ' '))

t.test('a malformed l5d-dtab is a 400 whose l5d-err names the header and the offset', async (t) => {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  const r = await send(p.port, { headers: { host: 'world', 'l5d-dtab': '/svc/world =>> /x' } })
  t.equal(r.status, 400)
  t.match(
    String(r.headers['l5d-err']),
    /^Invalid\+l5d-dtab\+header\+at\+offset\+\d+/,
    'URL-encoded',
  )
  t.match(l5dErr(r.headers), /^Invalid l5d-dtab header at offset 13: /)
  t.equal(r.body, l5dErr(r.headers), 'the body is the plain message')
  t.match(r.headers['content-type'], /^text\/plain/)
  t.equal(r.headers['l5d-retryable'], 'true', 'it never reached a backend')
  t.equal(world.seen.length, 0, 'nothing was forwarded')
})

t.test('a malformed l5d-ctx-dtab is a 400 that names l5d-ctx-dtab', async (t) => {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  const r = await send(p.port, { headers: { host: 'world', 'l5d-ctx-dtab': 'not a dtab' } })
  t.equal(r.status, 400)
  t.match(l5dErr(r.headers), /^Invalid l5d-ctx-dtab header at offset \d+/)
  t.equal(world.seen.length, 0)
})

t.test('a request with an empty Host is a 400: it cannot be identified', async (t) => {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  // An empty Host is valid HTTP (RFC 9112 §3.2), and node's client cannot send one.
  const reply = await sendRaw(p.port, 'GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n')
  t.match(reply, /^HTTP\/1\.1 400 /)
  t.match(reply, /\r\nl5d-err: Unknown\+destination%3A\+[^\r]*Host/)
  // Without any Host, an HTTP/1.1 request is refused before routing (RFC 9112 §3.2).
  const none = await send(p.port, { headers: { host: undefined } })
  t.equal(none.status, 400)
  t.match(none.body, 'HTTP/1.1 request without a Host header')
  t.equal(world.seen.length, 0)
})

t.test('a router with an io.l5d.path identifier routes by the path, not the Host', async (t) => {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(
    t,
    localConfig(`/svc/world => ${inet(world.port)}`, { identifier: { kind: 'io.l5d.path' } }),
  )
  const r = await send(p.port, { path: '/world/hi', headers: { host: 'elsewhere' } })
  t.equal(r.status, 200)
  t.equal(world.seen[0]?.url, '/world/hi')
})

t.test(
  'a name the dtab does not route is a 502 "Unable to route request!" with the dtabs',
  async (t) => {
    const world = await recordingBackend(t, 'world')
    const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
    const r = await send(p.port, { headers: { host: 'nowhere', 'l5d-dtab': '/a => /b' } })
    t.equal(r.status, 502)
    t.ok(l5dErr(r.headers).startsWith('Unable to route request!'), 'l5d-err carries the message')
    const body = r.body
    t.ok(body.startsWith('Unable to route request!\n\n'), body)
    t.match(body, 'service name: /svc/nowhere\n')
    t.match(body, `dtab:\n  /svc/world=>${inet(world.port)}\n  /a=>/b\n`)
    t.match(body, `base dtab:\n  /svc/world=>${inet(world.port)}\n`)
    t.match(body, 'override dtab:\n  /a=>/b\n')
    t.equal(world.seen.length, 0)
  },
)

t.test(
  'a backend that refuses connections is a 502 naming the service, the dtab and the override',
  async (t) => {
    const world = await recordingBackend(t, 'world')
    const port = await deadPort()
    const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
    const r = await send(p.port, {
      headers: { host: 'world', 'l5d-dtab': `/svc/world => ${inet(port)}` },
    })
    t.equal(r.status, 502)
    t.match(l5dErr(r.headers), `Cannot connect to ${inet(port)} for /svc/world`)
    t.equal(r.headers['l5d-retryable'], 'true', 'the request never reached a backend')
    t.ok(r.body.startsWith(`Cannot connect to ${inet(port)} for /svc/world: `), r.body)
    t.match(r.body, '\n\nservice name: /svc/world\n')
    t.match(r.body, `dtab:\n  /svc/world=>${inet(world.port)}\n  /svc/world=>${inet(port)}\n`)
    t.match(r.body, `base dtab:\n  /svc/world=>${inet(world.port)}\n`)
    t.match(r.body, `override dtab:\n  /svc/world=>${inet(port)}\n`)
    t.equal(world.seen.length, 0, 'the override won')
  },
)

t.test('a backend slower than timeoutMs is a 503', async (t) => {
  // Never answers; the backend's teardown closes the held connection.
  const slow = await recordingBackend(t, 'slow', () => {})
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(slow.port)}`, { timeoutMs: 200 }))
  const r = await send(p.port, { headers: { host: 'world' } })
  t.equal(r.status, 503)
  t.match(l5dErr(r.headers), /^Request to \/svc\/world timed out/)
  t.equal(r.headers['l5d-retryable'], 'false', 'it may have reached the backend')
  t.equal(slow.seen.length, 1, 'the backend got it once: a timeout is not retried')
})

t.test('a backend 5XX passes through as it is, without l5d-err', async (t) => {
  const broken = await recordingBackend(t, 'broken', (_req, res) => {
    res.writeHead(500)
    res.end('boom')
  })
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(broken.port)}`))
  const r = await send(p.port, { headers: { host: 'world' } })
  t.equal(r.status, 500)
  t.equal(r.body, 'boom')
  t.notOk('l5d-err' in r.headers)
})

t.test('a request with two Host headers is a 400, never routed by either', async (t) => {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  const reply = await sendRaw(
    p.port,
    'GET / HTTP/1.1\r\nhost: world\r\nHost: elsewhere\r\nconnection: close\r\n\r\n',
  )
  t.match(reply, /^HTTP\/1\.1 400 /)
  t.match(reply, 'More than one Host header', 'refused by the HTTP engine (RFC 9112 §3.2)')
  t.equal(world.seen.length, 0, 'nothing was forwarded')
})
