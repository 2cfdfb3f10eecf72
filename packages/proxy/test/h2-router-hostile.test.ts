// Hostile clients against an h2 router: floods of resets, pings and settings, oversized header
// lists, HTTP/1.1 on an h2c port, and a client that stops reading. Each must cost the proxy a
// bounded amount, and the proxy must go on serving everyone else.
import { connect as h2connect } from 'node:http2'
import { connect as netConnect } from 'node:net'
import t from 'tap'
import {
  closedWithin,
  h2Backend,
  h2Config,
  h2Connect,
  h2Proxy,
  h2Request,
  inet,
} from './h2-router-helpers.js'

/** The status a fresh, well-behaved client gets. */
async function statusAfter(
  t: { teardown(fn: () => unknown): void },
  port: number,
): Promise<number | undefined> {
  const s = h2Connect(t, `http://127.0.0.1:${port}`)
  return (await h2Request(s, { ':authority': 'world', ':path': '/after' })).status
}

t.test('a rapid-reset flood (streams opened and reset at once) is survived', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`))
  const s = h2connect(`http://127.0.0.1:${p.port}`)
  s.on('error', () => {})
  t.teardown(() => s.destroy())
  await new Promise<void>((resolve) => s.once('connect', () => resolve()))
  let opened = 0
  for (let i = 0; i < 3000 && !s.destroyed && !s.closed; i++) {
    try {
      const req = s.request({ ':authority': 'world', ':path': `/${i}`, ':method': 'POST' })
      req.on('error', () => {})
      req.close(8 /* CANCEL */)
      opened++
    } catch {
      break
    }
  }
  await new Promise((r) => setTimeout(r, 300))
  t.ok(opened > 0, `${opened} streams opened and reset`)
  t.equal(await statusAfter(t, p.port), 200, 'a new client is still served')
})

t.test('a ping flood is survived', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`))
  const s = h2connect(`http://127.0.0.1:${p.port}`, { maxOutstandingPings: 100_000 })
  s.on('error', () => {})
  t.teardown(() => s.destroy())
  await new Promise<void>((resolve) => s.once('connect', () => resolve()))
  let answered = 0
  for (let i = 0; i < 5000 && !s.destroyed; i++) {
    try {
      s.ping((err) => {
        if (!err) answered++
      })
    } catch {
      break
    }
  }
  await new Promise((r) => setTimeout(r, 300))
  t.pass(`${answered} pings answered before the proxy stopped answering or closed the session`)
  t.equal(await statusAfter(t, p.port), 200, 'a new client is still served')
})

t.test('a settings flood is survived', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`))
  const s = h2connect(`http://127.0.0.1:${p.port}`, { maxOutstandingSettings: 100_000 } as never)
  s.on('error', () => {})
  t.teardown(() => s.destroy())
  await new Promise<void>((resolve) => s.once('connect', () => resolve()))
  for (let i = 0; i < 3000 && !s.destroyed; i++) {
    try {
      s.settings({ initialWindowSize: 65_535 + (i % 100) })
    } catch {
      break
    }
  }
  await new Promise((r) => setTimeout(r, 300))
  t.equal(await statusAfter(t, p.port), 200, 'a new client is still served')
})

t.test('a header list over maxHeaderListBytes is refused; the proxy serves on', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(
    t,
    h2Config(`/svc/world => ${inet(world.port)}`, {}, { maxHeaderListBytes: 4096 }),
  )
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const r = await h2Request(s, { ':authority': 'world', ':path': '/', 'x-big': 'a'.repeat(8000) })
  // Sent before the proxy's SETTINGS arrived, the proxy answers 431 (RFC 9113 §10.5.1); after,
  // node's client itself refuses to send over the announced limit (ENHANCE_YOUR_CALM).
  t.ok(r.status === 431 || r.rstCode === 11, `refused (status ${r.status}, reset ${r.rstCode})`)
  t.equal(world.seen.length, 0, 'nothing reached the backend')
  t.equal(await statusAfter(t, p.port), 200, 'a new client is still served')
})

t.test('more header fields than the proxy keeps are refused', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`))
  const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
  const many: Record<string, string> = {}
  for (let i = 0; i < 400; i++) many[`x-h${i}`] = 'v'
  const r = await h2Request(s, { ':authority': 'world', ':path': '/', ...many })
  t.not(r.status, 200, `refused (status ${r.status}, reset ${r.rstCode})`)
  t.equal(world.seen.length, 0)
  t.equal(await statusAfter(t, p.port), 200, 'a new client is still served')
})

t.test('HTTP/1.1 on an h2c port is closed, and the proxy serves on', async (t) => {
  const world = await h2Backend(t, 'world')
  const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(world.port)}`))
  const sock = netConnect(p.port, '127.0.0.1', () => {
    sock.write('GET / HTTP/1.1\r\nHost: world\r\n\r\n')
  })
  const closed = await closedWithin(sock, 5000)
  t.ok(closed, 'the connection is closed')
  t.equal(world.seen.length, 0)
  t.equal(await statusAfter(t, p.port), 200, 'a new client is still served')
})

t.test(
  'a client that stops reading slows the backend: nothing is buffered beyond the windows',
  async (t) => {
    const CHUNK = Buffer.alloc(64 * 1024, 'x')
    const TOTAL = 16 * 1024 * 1024
    let written = 0
    const big = await h2Backend(
      t,
      'big',
      (stream) => {
        stream.respond({ ':status': 200 })
        const pump = () => {
          while (written < TOTAL) {
            written += CHUNK.length
            if (!stream.write(CHUNK)) {
              stream.once('drain', pump)
              return
            }
          }
          stream.end()
        }
        pump()
      },
      { streaming: true },
    )
    const p = await h2Proxy(t, h2Config(`/svc/big => ${inet(big.port)}`))
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const req = s.request({ ':authority': 'big', ':path': '/' })
    req.on('error', () => {})
    req.pause()
    await new Promise((r) => setTimeout(r, 500))
    // The windows on both hops (64 KiB per stream, 1 MiB per proxy session, the backend's own
    // buffers) bound what the backend gets to write while nobody reads.
    t.ok(written < 6 * 1024 * 1024, `the backend wrote ${written} bytes of ${TOTAL} and waits`)
    let received = 0
    req.on('data', (c: Buffer) => {
      received += c.length
    })
    req.resume()
    await new Promise<void>((resolve) => req.on('end', () => resolve()))
    t.equal(received, TOTAL, 'once it reads, all of it arrives')
  },
)
