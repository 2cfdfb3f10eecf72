// Connection limits: a flood of idle or half-open connections cannot take namerd's file
// descriptors or lock its probes out, API requests cannot take the share kept for /ready,
// /admin/ping and /metrics, and a client that does not finish its request head (or body) in
// time is closed. Raw sockets on 127.0.0.1, against namerd in this process and as a process.
import { readdirSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Dtab } from '@switchyard/dtab'
import { type DtabStore, openMemoryStore } from '@switchyard/store'
import t from 'tap'
import { flood, raw } from '../../../test/support/raw-socket.js'
import { ConfigError, resolveSettings } from '../src/config.js'
import { fitToFileLimit, openFileLimit, resolveConnectionLimits } from '../src/connections.js'
import { eventually, LineReader, startProcess, startServer, tempDir, watch } from './helpers.js'

const HALF_HEAD = 'GET /api/1/dtabs HTTP/1.1\r\nHost: namerd\r\nX-Half: '

/** PUTs `dtab` as the namespace `web` of the namerd at `base`. */
const putWeb = (base: string, dtab: string) =>
  fetch(`${base}/api/1/dtabs/web`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dtab' },
    body: dtab,
  })

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text()
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  if (m === null) throw new Error(`no ${name} in /metrics`)
  return Number(m[1])
}

const HALF_A_MINUTE = 30_000

t.test(
  '200 half-open connections against a limit of 50: /ready, the API and a watch still answer, and namerd holds at most 50',
  async (t) => {
    const dir = await tempDir(t)
    const config = join(dir, 'namerd.yaml')
    // Heads may take long here: the limit, not the head timeout, is what this test shows.
    await writeFile(
      config,
      `limits: {reservedConnections: 10, headersTimeoutMs: ${HALF_A_MINUTE}, requestTimeoutMs: ${HALF_A_MINUTE}}\n`,
    )
    const namerd = await startProcess(t, [
      '--store',
      'memory',
      '--listen',
      '127.0.0.1:0',
      '--max-connections',
      '50',
      '--config',
      config,
    ])
    const pid = namerd.child.pid as number
    const fds = () => readdirSync(`/proc/${pid}/fd`).length
    const api = `${namerd.base}/api/1`
    const put = (dtab: string) => putWeb(namerd.base, dtab)
    t.equal((await put('/a => /b')).status, 204)
    const watcher = await watch(t, `${api}/dtabs/web?watch=1`)
    t.match(await watcher.lines.next(), /"\/a"/)
    const before = fds()

    const f = await flood(t, namerd.base, 200, HALF_HEAD)
    // namerd has taken them all once the ones it shed are closed on this side too.
    await eventually('namerd sheds the flood down to its limit', () => f.open() <= 50, 20_000)
    t.ok(fds() <= before + 50, `namerd holds ${fds() - before} more descriptors, at most 50`)

    const ready = await fetch(`${namerd.base}/ready`)
    t.equal(ready.status, 200, '/ready answers')
    t.equal(await ready.text(), 'ready\n')
    t.equal(await (await fetch(`${namerd.base}/admin/ping`)).text(), 'pong')
    t.equal((await fetch(`${api}/dtabs`)).status, 200, 'the API answers')
    t.equal((await put('/a => /c')).status, 204)
    t.match(await watcher.lines.next(), /"\/c"/, 'the watch opened before the flood goes on')

    t.ok((await metric(namerd.base, 'namerd_connections_open')) <= 50)
    t.ok((await metric(namerd.base, 'namerd_connections_shed_total')) >= 150)
    t.equal(await metric(namerd.base, 'namerd_connections_refused_total'), 0)
    t.ok(fds() <= before + 50, 'still at most 50 more descriptors')
    const lines = namerd.output.filter((l) => l.includes('connection limits closed connections'))
    t.ok(lines.length >= 1 && lines.length <= 3, `one rate-limited log line (${lines.length})`)
    t.match(lines[0], /"level":40/, 'a warning')

    f.end()
    await eventually(
      'the flood is gone',
      async () => (await metric(namerd.base, 'namerd_connections_open')) <= 5,
      10_000,
    )
    t.equal((await fetch(`${api}/dtabs`)).status, 200, 'the API answers after the flood')
    t.ok(fds() <= before + 5)
  },
)

t.test(
  'API requests cannot take the reserved share: with 15 of 20 connections held by watches, the next API call gets 503 and the probes answer',
  async (t) => {
    const { base, server } = await startServer(t, {
      connections: { maxConnections: 20, reservedConnections: 5 },
    })
    await putWeb(base, '/a => /b')
    const ac = new AbortController()
    t.teardown(() => ac.abort())
    const watches = await Promise.all(
      Array.from({ length: 15 }, async () => {
        const res = await fetch(`${base}/api/1/dtabs/web?watch=1`, { signal: ac.signal })
        const lines = new LineReader(res)
        await lines.next()
        return lines
      }),
    )

    const refused = await raw(base, 'GET /api/1/dtabs HTTP/1.1\r\nHost: namerd\r\n\r\n')
    await refused.closed()
    t.match(refused.received(), /^HTTP\/1\.1 503 /, '503')
    t.match(refused.received(), /\r\nconnection: close\r\n/i, 'and the connection is closed')
    t.match(refused.received(), /\r\nretry-after: 1\r\n/i)
    t.match(refused.received(), /"error":"overloaded"/)

    t.equal((await fetch(`${base}/ready`)).status, 200, '/ready answers')
    t.equal((await fetch(`${base}/admin/ping`)).status, 200, '/admin/ping answers')
    t.equal((await fetch(`${base}/metrics`)).status, 200, '/metrics answers')
    t.equal(server.connections.apiConnections, 15, 'the watches hold the API share')

    for (const w of watches.slice(0, 3)) await w.cancel()
    await eventually('the watches are released', () => server.connections.apiConnections === 12)
    t.equal((await fetch(`${base}/api/1/dtabs`)).status, 200, 'the API answers again')
  },
)

t.test('requests pipelined on one connection take one place of the API share', async (t) => {
  const { base, server } = await startServer(t, {
    connections: { maxConnections: 20, reservedConnections: 5 },
  })
  await putWeb(base, '/a => /b')
  // A watch first, so that the 30 requests behind it stay in progress (queued behind it).
  const c = await raw(
    base,
    `GET /api/1/dtabs/web?watch=1 HTTP/1.1\r\nHost: namerd\r\n\r\n${'GET /api/1/dtabs HTTP/1.1\r\nHost: namerd\r\n\r\n'.repeat(30)}`,
  )
  await eventually('the watch answers', () => c.received().includes('"/b"'))
  t.equal(server.connections.apiConnections, 1)
  t.equal((await fetch(`${base}/api/1/dtabs`)).status, 200, 'another client is served')
  c.socket.destroy()
  await eventually('the place is given back', () => server.connections.apiConnections === 0)
})

t.test(
  'with every connection busy, a new connection is answered 503 and closed at once, and counted',
  async (t) => {
    const inner = openMemoryStore()
    let lists = 0
    // /ready waits on the store: with list() held, each probe stays in progress (up to 2 s).
    const store: DtabStore = {
      kind: inner.kind,
      list: () => {
        lists++
        return new Promise<never>(() => {})
      },
      get: (ns) => inner.get(ns),
      create: (ns, dtab, o) => inner.create(ns, dtab, o),
      put: (ns, dtab, o) => inner.put(ns, dtab, o),
      update: (ns, dtab, v, o) => inner.update(ns, dtab, v, o),
      delete: (ns, o) => inner.delete(ns, o),
      history: (ns, o) => inner.history(ns, o),
      watch: (ns, o) => inner.watch(ns, o),
      watchList: (o) => inner.watchList(o),
      close: () => inner.close(),
    }
    const { base, server } = await startServer(t, {
      store,
      connections: { maxConnections: 20, reservedConnections: 5 },
    })
    await inner.put('web', Dtab.read('/a => /b'))
    const ac = new AbortController()
    t.teardown(() => ac.abort())
    await Promise.all(
      Array.from({ length: 15 }, async () => {
        const res = await fetch(`${base}/api/1/dtabs/web?watch=1`, { signal: ac.signal })
        await new LineReader(res).next()
      }),
    )
    const probes = await Promise.all(
      Array.from({ length: 5 }, () => raw(base, 'GET /ready HTTP/1.1\r\nHost: namerd\r\n\r\n')),
    )
    await eventually('the five probes wait on the store', () => lists === 5, 1500)

    const refused = await raw(base)
    await refused.closed(1000)
    t.match(refused.received(), /^HTTP\/1\.1 503 /)
    t.match(refused.received(), /"error":"overloaded"/)
    t.equal(server.connections.open, 20, 'no connection was shed for it')
    for (const p of probes) p.socket.destroy()
    await eventually('the probes are gone', () => server.connections.open === 15)
    t.equal(await metric(base, 'namerd_connections_refused_total'), 1)
  },
)

t.test(
  'a connection that sends nothing, or half a head, is closed after headersTimeoutMs with 408',
  async (t) => {
    const { base } = await startServer(t, {
      connections: { headersTimeoutMs: 300, requestTimeoutMs: 1000 },
    })
    const silent = await raw(base)
    const half = await raw(base, 'GET /api/1/dtabs HTTP/1.1\r\nHost: namerd\r\n')
    await Promise.all([silent.closed(), half.closed()])
    t.match(half.received(), /^HTTP\/1\.1 408 /)
    t.match(half.received(), /"error":"timeout"/)
    t.match(silent.received(), /^(HTTP\/1\.1 408 |$)/)
    t.ok((await metric(base, 'namerd_connections_timed_out_total')) >= 2)
  },
)

t.test('on a kept-alive connection, a second head left half-sent is closed with 408', async (t) => {
  const { base } = await startServer(t, {
    connections: { headersTimeoutMs: 300, requestTimeoutMs: 1000 },
  })
  const c = await raw(base, 'GET /admin/ping HTTP/1.1\r\nHost: namerd\r\n\r\n')
  await eventually('the first answer', () => c.received().endsWith('pong'))
  c.socket.write('GET /admin/ping HTTP/1.1\r\nHo')
  await c.closed()
  t.match(c.received(), /pongHTTP\/1\.1 408 /)
})

t.test('a malformed head is answered 400 with the JSON error body, and closed', async (t) => {
  const { base } = await startServer(t)
  const c = await raw(base, 'GET /admin/ping HTTP/1.1\r\nHost: namerd\r\nNo colon here\r\n\r\n')
  await c.closed()
  t.match(c.received(), /^HTTP\/1\.1 400 /)
  t.match(
    c.received(),
    /\r\n\r\n\{"error":"bad_request","message":"malformed request \(HPE_[A-Z_]+\)"\}$/,
  )
})

t.test('a request body that stops coming is cut at requestTimeoutMs with 408', async (t) => {
  const { base } = await startServer(t, {
    connections: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
  })
  const c = await raw(
    base,
    'PUT /api/1/dtabs/web HTTP/1.1\r\nHost: namerd\r\nContent-Type: application/dtab\r\nContent-Length: 100\r\n\r\n/a => /b',
  )
  await c.closed()
  t.match(c.received(), /^HTTP\/1\.1 408 /)
})

t.test('a watch stream outlives the head, request and keep-alive timeouts', async (t) => {
  const { base, server } = await startServer(t, {
    connections: { headersTimeoutMs: 100, requestTimeoutMs: 200, keepAliveTimeoutMs: 200 },
  })
  const put = (dtab: string) => putWeb(base, dtab)
  await put('/a => /b')
  const w = await watch(t, `${base}/api/1/dtabs/web?watch=1`)
  t.match(await w.lines.next(), /"\/b"/)
  await new Promise((r) => setTimeout(r, 1500))
  t.equal((await put('/a => /c')).status, 204)
  t.match(await w.lines.next(), /"\/c"/, 'the watch is still open')
  t.equal(await metric(base, 'namerd_connections_timed_out_total'), 0)
  t.ok(server.connections.open >= 1)
})

t.test('configuration: the keys, the flag, the environment and their checks', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'namerd.yaml')
  await writeFile(
    file,
    'limits: {maxConnections: 400, reservedConnections: 20, headersTimeoutMs: 5000, requestTimeoutMs: 20000, keepAliveTimeoutMs: 9000}\n',
  )
  const fromFile = await resolveSettings({ config: file }, {})
  t.same(fromFile.connections, {
    maxConnections: 400,
    reservedConnections: 20,
    headersTimeoutMs: 5000,
    requestTimeoutMs: 20000,
    keepAliveTimeoutMs: 9000,
  })
  t.notOk('maxConnections' in fromFile.limits, 'not mixed into the request limits')
  t.equal(
    (await resolveSettings({ config: file, maxConnections: '300' }, {})).connections.maxConnections,
    300,
    'the flag wins over the file',
  )
  t.equal(
    (await resolveSettings({}, { SWITCHYARD_NAMERD_MAX_CONNECTIONS: '1000' })).connections
      .maxConnections,
    1000,
  )
  const defaults = (await resolveSettings({}, {})).connections
  t.same(defaults, {
    maxConnections: 12288,
    reservedConnections: 64,
    headersTimeoutMs: 10000,
    requestTimeoutMs: 30000,
    keepAliveTimeoutMs: 72000,
  })
  t.equal(
    (await resolveSettings({ maxConnections: '40' }, {})).connections.reservedConnections,
    10,
    'a small limit keeps a quarter by default',
  )

  const issues = async (flags: Parameters<typeof resolveSettings>[0]) => {
    try {
      await resolveSettings(flags, {})
    } catch (err) {
      if (err instanceof ConfigError) return err.message
      throw err
    }
    return 'no error'
  }
  t.match(await issues({ maxConnections: '10' }), /--max-connections: "10" is not a number/)
  t.match(await issues({ maxConnections: '5e3' }), /--max-connections: "5e3" is not a number/)
  await writeFile(file, 'limits: {maxConnections: 50, reservedConnections: 50}\n')
  t.match(
    await issues({ config: file }),
    /limits\.reservedConnections \(50\) must be at least 1 and below limits\.maxConnections \(50\)/,
  )
  await writeFile(file, 'limits: {headersTimeoutMs: 40000}\n')
  t.match(await issues({ config: file }), /limits\.headersTimeoutMs \(40000\) must not exceed/)
  await writeFile(file, 'limits: {maxConnections: 8}\n')
  t.match(await issues({ config: file }), /limits\.maxConnections: /)
})

t.test('the limit is lowered to fit the open-file limit, with room left', async (t) => {
  const limits = resolveConnectionLimits()
  t.same(fitToFileLimit(limits, null), { limits, lowered: false }, 'unknown: as configured')
  t.same(fitToFileLimit(limits, 1_048_576), { limits, lowered: false })
  const fitted = fitToFileLimit(limits, 1024)
  t.equal(fitted.lowered, true)
  t.equal(fitted.limits.maxConnections, 1024 - 256)
  t.equal(fitted.limits.reservedConnections, 64)
  t.equal(fitToFileLimit(limits, 300).limits.reservedConnections, 11, 'a quarter at most')
  t.equal(
    openFileLimit(
      () =>
        'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            20000                20000                files     \n',
    ),
    20000,
  )
  t.equal(
    openFileLimit(() => {
      throw new Error('ENOENT')
    }),
    null,
  )
  t.type(openFileLimit(), 'number', 'read from /proc here')
})
