import t from 'tap'
import {
  inet,
  l5dHeaders,
  localConfig,
  recordingBackend,
  runProxy,
  send,
  sendRaw,
} from './router-helpers.js'

t.test(
  'a request with Host: world reaches the backend with the l5d-dst-*, l5d-reqid and Via headers',
  async (t) => {
    const world = await recordingBackend(t, 'world')
    const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
    const r = await send(p.port, { path: '/a?b=c', headers: { host: 'world' } })
    t.equal(r.status, 200)
    t.equal(r.body, 'world')
    t.equal(world.seen.length, 1)
    const seen = world.seen[0]!
    t.equal(seen.url, '/a?b=c', 'the path and query are kept')
    t.equal(seen.headers.host, 'world', 'the Host header is kept')
    t.equal(seen.headers['l5d-dst-service'], '/svc/world')
    t.equal(seen.headers['l5d-dst-client'], inet(world.port))
    t.match(seen.headers['l5d-reqid'], /^[0-9a-f]{16}$/)
    t.equal(seen.headers.via, '1.1 switchyard')
    t.notOk('l5d-dtab' in seen.headers, 'no l5d-dtab')
    t.notOk('l5d-ctx-dtab' in seen.headers, 'no l5d-ctx-dtab without overrides')
    t.notOk('l5d-dst-residual' in seen.headers, 'no residual for an exact match')
    t.match(seen.headers['l5d-ctx-deadline'], /^\d+ \d+$/, 'the router timeout as a deadline')
  },
)

t.test('each request gets its own l5d-reqid', async (t) => {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  await send(p.port, { headers: { host: 'world' } })
  await send(p.port, { headers: { host: 'world' } })
  t.not(world.seen[0]!.headers['l5d-reqid'], world.seen[1]!.headers['l5d-reqid'])
})

t.test('a residual path after binding travels as l5d-dst-residual', async (t) => {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(
    t,
    localConfig(`/svc => ${inet(world.port)}`, {
      identifier: { kind: 'io.l5d.header', header: 'x-name' },
    }),
  )
  const r = await send(p.port, { headers: { host: 'anything', 'x-name': '/world/extra' } })
  t.equal(r.status, 200)
  const h = world.seen[0]!.headers
  t.equal(h['l5d-dst-service'], '/svc/world/extra')
  t.equal(h['l5d-dst-client'], inet(world.port))
  t.equal(h['l5d-dst-residual'], '/world/extra')
})

t.test(
  'a request with l5d-dtab reaches the override target and carries it on as l5d-ctx-dtab',
  async (t) => {
    const v1 = await recordingBackend(t, 'v1')
    const v2 = await recordingBackend(t, 'v2')
    const dtab = `/srv/world-v1 => ${inet(v1.port)}; /srv/world-v2 => ${inet(v2.port)}; /svc/world => /srv/world-v1`
    const p = await runProxy(t, localConfig(dtab))
    const r = await send(p.port, {
      headers: {
        host: 'world',
        'l5d-ctx-dtab': '/x => /y',
        'l5d-dtab': '/svc/world => /srv/world-v2',
      },
    })
    t.equal(r.status, 200)
    t.equal(r.body, 'v2', 'the override wins over the base dtab')
    t.equal(v1.seen.length, 0)
    const h = v2.seen[0]!.headers
    t.equal(h['l5d-ctx-dtab'], '/x=>/y;/svc/world=>/srv/world-v2', 'ctx then user, Dtab.show form')
    t.notOk('l5d-dtab' in h, 'l5d-dtab itself is not forwarded')
    t.equal(h['l5d-dst-client'], inet(v2.port))

    const plain = await send(p.port, { headers: { host: 'world' } })
    t.equal(plain.body, 'v1', 'a request without the header still takes the base dtab')
  },
)

t.test('an l5d-ctx-dtab from the previous hop is honoured and forwarded', async (t) => {
  const v1 = await recordingBackend(t, 'v1')
  const v2 = await recordingBackend(t, 'v2')
  const p = await runProxy(
    t,
    localConfig(`/svc/world => ${inet(v1.port)}; /srv/v2 => ${inet(v2.port)}`),
  )
  const r = await send(p.port, {
    headers: { host: 'world', 'l5d-ctx-dtab': '/svc/world=>/srv/v2' },
  })
  t.equal(r.body, 'v2')
  t.equal(v2.seen[0]!.headers['l5d-ctx-dtab'], '/svc/world=>/srv/v2')
})

t.test('repeated l5d-dtab headers are joined with ";", the later entries winning', async (t) => {
  const a = await recordingBackend(t, 'a')
  const b = await recordingBackend(t, 'b')
  const base = await recordingBackend(t, 'base')
  const p = await runProxy(
    t,
    localConfig(`/svc/world => ${inet(base.port)}; /a => ${inet(a.port)}; /b => ${inet(b.port)}`),
  )
  const r = await send(p.port, {
    headers: { host: 'world', 'l5d-dtab': ['/svc/world => /a', '/svc/world => /b'] },
  })
  t.equal(r.status, 200)
  t.equal(r.body, 'b', 'the second header is later, so it wins')
  t.equal(b.seen[0]!.headers['l5d-ctx-dtab'], '/svc/world=>/a;/svc/world=>/b')
})

t.test('the Via header gets this hop appended', async (t) => {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  await send(p.port, { headers: { host: 'world', via: '1.1 edge' } })
  t.equal(world.seen[0]!.headers.via, '1.1 edge, 1.1 switchyard')
})

t.test('client headers the proxy does not own pass through untouched', async (t) => {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`))
  await send(p.port, {
    headers: { host: 'world', 'x-custom': 'kept', 'l5d-ctx-trace': 'abc', 'dtab-local': '/a=>/b' },
  })
  const h = world.seen[0]!.headers
  t.equal(h['x-custom'], 'kept')
  t.equal(h['dtab-local'], '/a=>/b', 'the legacy dtab-local is ignored and forwarded unchanged')
  t.equal(h['l5d-ctx-trace'], 'abc', 'other l5d-ctx-* headers travel on')
  t.same(Object.keys(l5dHeaders(h)).sort(), [
    'l5d-ctx-deadline',
    'l5d-ctx-trace',
    'l5d-dst-client',
    'l5d-dst-service',
    'l5d-reqid',
    'via',
  ])
})

t.test(
  'a clearContext server ignores and strips the client l5d headers both ways and hides errors',
  async (t) => {
    const v1 = await recordingBackend(t, 'v1', (_req, res) => {
      res.writeHead(200, { 'l5d-success-class': '1.0', 'l5d-secret': 'x', 'x-kept': 'yes' })
      res.end('v1')
    })
    const v2 = await recordingBackend(t, 'v2')
    // A deadline far in the future: were it honoured, the backend would see it.
    const far = (BigInt(Date.now()) + 3_600_000n) * 1_000_000n
    const p = await runProxy(
      t,
      localConfig(`/svc/world => ${inet(v1.port)}; /srv/v2 => ${inet(v2.port)}`, {
        servers: [{ ip: '127.0.0.1', port: 0, clearContext: true }],
      }),
    )
    const r = await send(p.port, {
      headers: {
        host: 'world',
        'l5d-dtab': '/svc/world => /srv/v2',
        'l5d-ctx-dtab': '/svc/world => /srv/v2',
        'l5d-ctx-deadline': `${far} ${far}`,
        'l5d-ctx-trace': 'abc',
        'l5d-sample': '1.0',
        'l5d-reqid': 'spoofed',
        'l5d-dst-service': '/spoofed',
      },
    })
    t.equal(r.status, 200)
    t.equal(r.body, 'v1', 'the override was ignored')
    t.equal(v2.seen.length, 0)
    const h = v1.seen[0]!.headers
    t.same(
      Object.keys(l5dHeaders(h)).sort(),
      ['l5d-ctx-deadline', 'l5d-dst-client', 'l5d-dst-service', 'l5d-reqid', 'via'],
      'only the headers the proxy adds',
    )
    const [, deadlineNs] = String(h['l5d-ctx-deadline']).split(' ')
    t.ok(BigInt(deadlineNs ?? '0') < far, "the deadline is the router's own, not the client's")
    t.equal(h['l5d-dst-service'], '/svc/world')
    t.not(h['l5d-reqid'], 'spoofed')
    t.equal(r.headers['x-kept'], 'yes')
    t.notOk('l5d-success-class' in r.headers, 'response l5d-* headers are stripped')
    t.notOk('l5d-secret' in r.headers)

    const bad = await send(p.port, { headers: { host: 'nowhere' } })
    t.equal(bad.status, 502)
    t.notOk('l5d-err' in bad.headers, 'no l5d-err')
    t.notOk('l5d-retryable' in bad.headers)
    t.equal(bad.body, '', 'no body')

    // An empty Host cannot be identified (node's client cannot send one: raw bytes).
    const noHost = await sendRaw(p.port, 'GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n')
    t.match(noHost, /^HTTP\/1\.1 400 /)
    t.match(noHost, /\r\ncontent-length: 0\r\n/i, 'no body')
    t.notMatch(noHost, /l5d-err/i)
  },
)

t.test('a request whose Via lists more than maxCallDepth hops is refused with 400', async (t) => {
  const world = await recordingBackend(t, 'world')
  const p = await runProxy(t, localConfig(`/svc/world => ${inet(world.port)}`, { maxCallDepth: 3 }))
  const loop = await send(p.port, { headers: { host: 'world', via: 'a, b, c, d' } })
  t.equal(loop.status, 400)
  t.match(
    decodeURIComponent(String(loop.headers['l5d-err']).replace(/\+/g, ' ')),
    'Maximum number of calls (3) has been exceeded',
  )
  const ok = await send(p.port, { headers: { host: 'world', via: 'a, b, c' } })
  t.equal(ok.status, 200, 'exactly maxCallDepth hops pass, as in Linkerd')
  t.equal(world.seen.length, 1, 'the refused request was not forwarded')
})
