// Watch streams: changes arrive at once, identical states are never repeated, a slow watcher
// costs bounded memory and still ends at the latest state, and the propagation status shows
// who has which version.

import { writeFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { mountNamers } from '@switchyard/namers'
import t from 'tap'
import type { WatchersJson } from '../src/index.js'
import { eventually, startServer, tempDir, watch } from './helpers.js'

const dtabType = { 'content-type': 'application/dtab' }

async function put(base: string, ns: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api/1/dtabs/${ns}`, {
    method: 'PUT',
    headers: { ...dtabType, ...headers },
    body: Buffer.from(body),
  })
  if (res.status !== 204) throw new Error(`PUT ${ns}: ${res.status} ${await res.text()}`)
  return res.headers.get('etag')!
}

t.test('a PUT shows up on an open watch; the same state is not sent twice', async (t) => {
  const { base } = await startServer(t)
  await put(base, 'web', '/svc => /a')
  const { res, lines } = await watch(t, `${base}/api/1/dtabs/web?watch=1`)
  t.equal(res.headers.get('content-type'), 'application/json')
  t.equal(res.headers.get('etag'), null, 'a watch sends no version per item, as namerd')
  t.equal(await lines.next(), '[{"prefix":"/svc","dst":"/a"}]')

  await put(base, 'web', '/svc => /b')
  t.equal(await lines.next(), '[{"prefix":"/svc","dst":"/b"}]')
  await put(base, 'web', '/svc => /b')
  await put(base, 'web', '/svc=>/b')
  t.equal(await lines.quiet(300), true, 'new versions of the same dtab send nothing')
  await put(base, 'web', '/svc => /c')
  t.equal(await lines.next(), '[{"prefix":"/svc","dst":"/c"}]')
})

t.test(
  'watching a namespace that does not exist yet: headers at once, then its first state',
  async (t) => {
    const { base } = await startServer(t)
    const { res, lines } = await watch(t, `${base}/api/1/dtabs/later?watch=true`, {
      accept: 'text/plain',
    })
    t.equal(res.status, 200, 'the response starts before there is anything to send')
    t.equal(res.headers.get('content-type'), 'text/plain')
    t.equal(await lines.quiet(200), true)
    await put(base, 'later', '/a => /b')
    t.equal(await lines.next(), '/a=>/b')
    t.equal((await fetch(`${base}/api/1/dtabs/later`, { method: 'DELETE' })).status, 204)
    t.equal(await lines.quiet(200), true, 'a delete is not signalled (namerd sends only dtabs)')
    await put(base, 'later', '/a => /c')
    t.equal(await lines.next(), '/a=>/c')
  },
)

t.test(
  'watch is Finagle boolean: 1, t, true in any case; anything else answers once',
  async (t) => {
    const { base } = await startServer(t)
    await put(base, 'web', '/a => /b')
    for (const v of ['1', 't', 'TRUE', 'True']) {
      const res = await fetch(`${base}/api/1/dtabs/web?watch=${v}`)
      t.equal(res.headers.get('transfer-encoding'), 'chunked', `watch=${v} streams`)
      await res.body!.cancel()
    }
    for (const v of ['', '0', 'yes', 'false']) {
      const res = await fetch(`${base}/api/1/dtabs/web?watch=${v}`)
      t.equal(res.headers.get('etag'), 'AAAAAAAAAAE=', `watch=${v} answers once`)
      await res.text()
    }
  },
)

t.test('bind, addr, resolve and bound-names watches follow the dtab and the namer', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'web-v1'), '127.0.0.1 8080\n')
  const namers = await mountNamers([{ kind: 'io.l5d.fs', rootDir: dir }], {
    rescanIntervalMs: 50,
    settleMs: 5,
  })
  t.teardown(() => namers.close())
  const { base } = await startServer(t, { namers: namers.namers, naming: { rebindIntervalMs: 50 } })
  await put(base, 'default', '/svc => /#/io.l5d.fs')

  const bind = await watch(t, `${base}/api/1/bind/default?path=/svc/web-v2&watch=1`)
  t.equal(await bind.lines.next(), '{"type":"neg"}')
  const resolve = await watch(t, `${base}/api/1/resolve/default?path=/svc/web-v1&watch=1`)
  t.equal(
    await resolve.lines.next(),
    '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8080,"meta":{}}],"meta":{}}',
  )
  const addr = await watch(t, `${base}/api/1/addr/default?path=/%23/io.l5d.fs/web-v1&watch=1`)
  t.equal(
    await addr.lines.next(),
    '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8080,"meta":{}}],"meta":{}}',
  )
  const names = await watch(t, `${base}/api/1/bound-names?watch=1`)
  t.equal(await names.lines.next(), '["/#/io.l5d.fs/web-v1"]')

  await writeFile(join(dir, 'web-v2'), '127.0.0.1 9090 * 2.5\n')
  t.equal(
    await bind.lines.next(),
    '{"type":"leaf","bound":{"addr":{"type":"bound","addrs":[{"ip":"127.0.0.1","port":9090,"meta":{"endpoint_addr_weight":2.5}}],"meta":{}},"id":"/#/io.l5d.fs/web-v2","path":"/"}}',
    'a new file in the namer directory binds',
  )
  t.equal(await names.lines.next(), '["/#/io.l5d.fs/web-v1","/#/io.l5d.fs/web-v2"]')

  await writeFile(join(dir, 'web-v1'), '127.0.0.1 8080\n127.0.0.1 8081\n')
  const both =
    '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8080,"meta":{}},{"ip":"127.0.0.1","port":8081,"meta":{}}],"meta":{}}'
  t.equal(await addr.lines.next(), both, 'an edited endpoints file changes the addr')
  t.equal(await resolve.lines.next(), both)

  await put(base, 'default', '/svc => /#/io.l5d.fs; /svc/web-v2 => /svc/web-v1')
  t.match(await bind.lines.next(), /"id":"\/#\/io.l5d.fs\/web-v1"/, 'a dtab change rebinds')
})

t.test('the propagation status lists watchers and the version each was sent', async (t) => {
  const { base } = await startServer(t)
  const v1 = await put(base, 'web', '/svc => /a')
  const a = await watch(t, `${base}/api/1/dtabs/web?watch=1`, { 'l5d-watcher-id': 'proxy-a' })
  await a.lines.next()
  const b = await watch(t, `${base}/api/1/bind/web?path=/x&dtab=/x=>/$/inet/127.0.0.1/1&watch=1`, {
    'l5d-watcher-id': 'proxy-b',
  })
  await b.lines.next()
  type Status = {
    namespace: string
    version: string
    watchers: { id: string; kind: string; version: string; current: boolean; sent: number }[]
  }
  const status = async () =>
    (await (await fetch(`${base}/api/1/dtabs/web/watchers`)).json()) as Status

  let s = await status()
  t.equal(s.version, v1)
  t.match(s.watchers, [
    { id: 'proxy-a', kind: 'dtab', version: v1, current: true, sent: 1 },
    { id: 'proxy-b', kind: 'bind', version: v1, current: true, sent: 1 },
  ])

  const v2 = await put(base, 'web', '/svc => /b')
  await a.lines.next()
  await eventually('proxy-b sees v2', async () => (await status()).watchers[1]?.version === v2)
  s = await status()
  t.match(
    s.watchers,
    [
      { id: 'proxy-a', version: v2, current: true, sent: 2 },
      { id: 'proxy-b', version: v2, current: true, sent: 1 },
    ],
    'a bind whose answer did not change stands for the new version without a resend',
  )

  await a.lines.cancel()
  await eventually('proxy-a is gone', async () => (await status()).watchers.length === 1)
  const bad = await fetch(`${base}/api/1/dtabs/web?watch=1`, {
    headers: { 'l5d-watcher-id': '\t' },
  })
  t.equal(bad.status, 400, 'a watcher id must be printable')
})

/** A client that asks for a watch and then reads nothing. */
function stuckWatcher(base: string, path: string): Promise<Socket> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nl5d-watcher-id: stuck\r\n\r\n`)
      socket.pause()
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

t.test('a watcher that stops reading costs bounded memory and gets the latest state', async (t) => {
  const { base, server } = await startServer(t)
  await put(base, 'big', '/a => /b')
  const socket = await stuckWatcher(base, '/api/1/dtabs/big?watch=1')
  t.teardown(() => socket.destroy())
  await eventually('the watch is open', () => server.context.watchers.size === 1)

  // 250 states of 64 kB each: 16 MB, far more than the socket buffers take.
  const filler = `/f => /${'y'.repeat(64 * 1024)}`
  let last = ''
  for (let i = 0; i < 250; i++) {
    last = `/n => /v${i};${filler}`
    await put(base, 'big', last)
  }
  const status = (await (await fetch(`${base}/api/1/dtabs/big/watchers`)).json()) as WatchersJson
  const w = status.watchers[0]
  t.ok(
    w!.bufferedBytes <= 4 * last.length,
    `namerd holds ${w!.bufferedBytes} bytes for it: a few states, not 16 MB`,
  )
  t.ok(w!.dropped > 100, `${w!.dropped} intermediate states were skipped`)
  t.notOk(w!.current, 'it is behind, and the status says so')

  // It reads again: the last state it gets is the latest.
  let received = ''
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1')
  })
  socket.resume()
  await eventually('the latest state arrives', () => received.includes('"dst":"/v249"'), 10_000)
  const v = [...received.matchAll(/"dst":"\/v(\d+)"/g)].map((m) => Number(m[1]))
  t.ok(v.length < 100, `it was sent ${v.length} states of 251, in order`)
  t.same(
    [...v].sort((a, b) => a - b),
    v,
  )
})

t.test('past limits.maxWatchers a watch is refused with 503', async (t) => {
  const { base } = await startServer(t, { limits: { maxWatchers: 2 } })
  await watch(t, `${base}/api/1/dtabs?watch=1`)
  await watch(t, `${base}/api/1/dtabs?watch=1`)
  const res = await fetch(`${base}/api/1/dtabs?watch=1`)
  t.equal(res.status, 503)
  t.match(await res.json(), { error: 'too_many_watchers' })
})

t.test(
  'a watch stream is counted as a request but kept out of the latency histogram',
  async (t) => {
    const { base } = await startServer(t)
    await put(base, 'web', '/svc => /a')
    const { lines } = await watch(t, `${base}/api/1/dtabs/web?watch=1`)
    t.equal(await lines.next(), '[{"prefix":"/svc","dst":"/a"}]')
    await lines.cancel()
    const latencyCount = async () => {
      const text = await (await fetch(`${base}/metrics`)).text()
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('namerd_http_request_duration_seconds_count{') &&
            l.includes('method="GET"') &&
            l.includes('route="/api/1/dtabs/:ns"'),
        )
      return line === undefined ? 0 : Number(line.split(' ').pop())
    }
    await eventually('the closed watch is counted', async () =>
      (await (await fetch(`${base}/metrics`)).text()).includes(
        'namerd_http_requests_total{method="GET",route="/api/1/dtabs/:ns"',
      ),
    )
    t.equal(await latencyCount(), 0, 'the closed watch is not timed')
    await fetch(`${base}/api/1/dtabs/web`)
    t.equal(await latencyCount(), 1, 'a plain GET is timed')
  },
)
