// A request with a dtab override learns where it went: the response carries Linkerd's
// `l5d-dst-service` and `l5d-dst-client`, so a pipeline's check of a canary can tell v2 from
// the silent fallback to v1 that Linkerd's semantics give an override to a name that does not
// resolve. Never on a clearContext server. The real command (bin/switchyard-proxy.js) on a
// Linkerd-form namerd interpreter, a real namerd with an io.l5d.fs namer, real backends.

import t from 'tap'
import { deadPort } from './forward-helpers.js'
import { memoryStore, putDtab, startNamerd, tempDir, writeEndpoints } from './interpret-helpers.js'
import { startProxyProcess, whenReady, writeConfig } from './proxy-process.js'
import { inet, recordingBackend, send } from './router-helpers.js'

const DTAB = `/srv => /#/io.l5d.fs;
/host => /srv;
/svc => /host;
/host/world => /srv/world-v1;
`

const dir = await tempDir(t)
const disco = await tempDir(t)
const v1 = await recordingBackend(t, 'v1')
const v2 = await recordingBackend(t, 'v2')
// A backend that sends l5d-dst-* of its own, as one behind another Linkerd might.
const chatty = await recordingBackend(t, 'chatty', (_req, res) => {
  res.writeHead(200, { 'l5d-dst-service': '/svc/inner', 'l5d-dst-client': '/#/inner/x' })
  res.end('chatty')
})
await writeEndpoints(disco, 'world-v1', [v1.port])
await writeEndpoints(disco, 'world-v2', [v2.port])
await writeEndpoints(disco, 'chatty', [chatty.port])
const namerd = await startNamerd(t, memoryStore(t), disco)
await putDtab(namerd.base, 'internal', DTAB)

const config = await writeConfig(
  dir,
  `routers:
  - label: outgoing
    interpreter:
      kind: io.l5d.namerd.http
      experimental: true
      dst: /$/inet/127.0.0.1/${namerd.port}
      namespace: internal
    servers:
      - {ip: 127.0.0.1, port: 0}
      - {ip: 127.0.0.1, port: 0, clearContext: true}
admin: {ip: 127.0.0.1, port: 0}
`,
)
const proxy = await startProxyProcess(t, config)
await whenReady(proxy)
const [port, edge] = proxy.ports as [number, number]

const dst = (headers: Record<string, unknown>) => ({
  service: headers['l5d-dst-service'],
  client: headers['l5d-dst-client'],
})

t.test('without an override the response carries no l5d-dst-*', async (t) => {
  const r = await send(port, { headers: { host: 'world' } })
  t.equal(r.status, 200)
  t.equal(r.body, 'v1')
  t.same(dst(r.headers), { service: undefined, client: undefined })
})

t.test('an override that reaches v2 says so on the response', async (t) => {
  const r = await send(port, {
    headers: { host: 'world', 'l5d-dtab': '/host/world => /srv/world-v2' },
  })
  t.equal(r.status, 200)
  t.equal(r.body, 'v2')
  t.same(dst(r.headers), { service: '/svc/world', client: '/#/io.l5d.fs/world-v2' })
  // What the backend got is unchanged: the same names, on the request (Linkerd's headers).
  t.same(dst(v2.seen.at(-1)!.headers), { service: '/svc/world', client: '/#/io.l5d.fs/world-v2' })
})

t.test(
  'an override to a name that does not resolve falls back with a 200, and the response shows it went to v1',
  async (t) => {
    const r = await send(port, {
      headers: { host: 'world', 'l5d-dtab': '/host/world => /srv/world-v3' },
    })
    t.equal(r.status, 200, "Linkerd's semantics: the Alt falls back to the base dtab's branch")
    t.equal(r.body, 'v1')
    t.same(dst(r.headers), { service: '/svc/world', client: '/#/io.l5d.fs/world-v1' })
  },
)

t.test(
  "a previous hop's l5d-ctx-dtab counts as an override too; an /$/inet id is shown as it is",
  async (t) => {
    const r = await send(port, {
      headers: { host: 'world', 'l5d-ctx-dtab': `/svc/world=>${inet(v2.port)}` },
    })
    t.equal(r.body, 'v2')
    t.same(dst(r.headers), { service: '/svc/world', client: inet(v2.port) })
  },
)

t.test(
  'a clearContext server ignores the override and the response carries no l5d-*',
  async (t) => {
    const r = await send(edge, {
      headers: { host: 'world', 'l5d-dtab': '/host/world => /srv/world-v2' },
    })
    t.equal(r.status, 200)
    t.equal(r.body, 'v1')
    t.same(
      Object.keys(r.headers).filter((k) => k.startsWith('l5d-')),
      [],
      'no internal name reaches an untrusted client',
    )
  },
)

t.test("a backend's own l5d-dst-*: passed on without an override, replaced with one", async (t) => {
  const plain = await send(port, { headers: { host: 'chatty' } })
  t.equal(plain.body, 'chatty')
  t.same(
    dst(plain.headers),
    { service: '/svc/inner', client: '/#/inner/x' },
    'as Linkerd: untouched',
  )
  const overridden = await send(port, {
    headers: { host: 'chatty', 'l5d-dtab': '/host/nothing => /srv/world-v2' },
  })
  t.equal(overridden.body, 'chatty')
  t.same(
    dst(overridden.headers),
    { service: '/svc/chatty', client: '/#/io.l5d.fs/chatty' },
    "this hop's decision, not the backend's",
  )
})

t.test("the proxy's own errors for an override say how far it got", async (t) => {
  const dead = await deadPort()
  const refused = await send(port, {
    headers: { host: 'world', 'l5d-dtab': `/host/world => ${inet(dead)}` },
  })
  t.equal(refused.status, 502)
  t.same(dst(refused.headers), { service: '/svc/world', client: inet(dead) })
  const nowhere = await send(port, {
    headers: { host: 'nowhere', 'l5d-dtab': '/host/world => /srv/world-v2' },
  })
  t.equal(nowhere.status, 502)
  t.same(
    dst(nowhere.headers),
    { service: '/svc/nowhere', client: undefined },
    'no client was bound',
  )
  const edgeErr = await send(edge, {
    headers: { host: 'nowhere', 'l5d-dtab': '/host/world => /srv/world-v2' },
  })
  t.equal(edgeErr.status, 502)
  t.same(dst(edgeErr.headers), { service: undefined, client: undefined })
})
