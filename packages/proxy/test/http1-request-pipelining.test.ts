// A client that pipelines requests and does not read the answers: the proxy stops reading it
// once its answers back up, as node's http server does, so what one connection holds is
// bounded; when the client reads again, every answer comes, in order.
import type { AddressInfo, Socket } from 'node:net'
import { connect } from 'node:net'
import t from 'tap'
import { forward } from '../src/forward/forward.js'
import { Http1Server } from '../src/http1/server.js'
import { RetryBudget } from '../src/retry/budget.js'
import { newClient } from './forward-helpers.js'
import { recordingBackend } from './router-helpers.js'

const N = 3000
const BODY = 4096
const PAD = 'p'.repeat(200)
/** Every request is this long (the number padded). */
const REQUEST = `GET /${'0'.repeat(4)} HTTP/1.1\r\nHost: world\r\nX-Pad: ${PAD}\r\n\r\n`

t.test(
  'a client that pipelines without reading is no longer read; then it gets every answer in order',
  async (t) => {
    const world = await recordingBackend(t, 'world', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY })
      res.end(req.url.padEnd(BODY, '.'))
    })
    const client = newClient([world.port])
    const budget = new RetryBudget()
    const server = new Http1Server({
      onRequest: (tx) => {
        void forward(client, tx, {
          headers: { ...tx.headers },
          path: tx.url,
          timeoutMs: undefined,
          budget,
        })
      },
    })
    await server.listen(0, '127.0.0.1')
    t.teardown(async () => {
      await server.close()
      await client.close()
    })
    let proxySide: Socket | undefined
    server.net.on('connection', (s: Socket) => {
      proxySide = s
    })

    const s = connect({ port: (server.net.address() as AddressInfo).port, host: '127.0.0.1' })
    t.teardown(() => s.destroy())
    s.pause() // reads nothing
    await new Promise((r) => s.on('connect', r))
    let sent = 0
    for (let i = 0; i < N; i++) {
      const req = `GET /${String(i).padStart(4, '0')} HTTP/1.1\r\nHost: world\r\nX-Pad: ${PAD}\r\n\r\n`
      sent += req.length
      s.write(req, 'latin1')
    }

    // Wait until the backend stops getting requests.
    let last = -1
    for (let i = 0; i < 100 && world.seen.length !== last; i++) {
      last = world.seen.length
      await new Promise((r) => setTimeout(r, 300))
    }
    const p = proxySide!
    t.ok(world.seen.length < N / 2, `the proxy stopped forwarding (${world.seen.length} of ${N})`)
    // Read but not yet served: the unread bytes it keeps (64 KiB) and a read or two more.
    const held = p.bytesRead - world.seen.length * REQUEST.length
    t.ok(held < 256 * 1024, `it stopped reading: ${held} bytes read ahead (${sent} sent)`)
    t.ok(p.writableLength < 1024 * 1024, `answers held: ${p.writableLength} bytes`)

    // The client reads: every answer arrives, in order, and every request reached the backend.
    // Chunks kept apart and searched with a carry-over: one growing string would be flattened
    // on every search.
    const chunks: string[] = []
    let answers = 0
    let tail = ''
    s.setEncoding('latin1')
    const done = new Promise<void>((resolve) => {
      s.on('data', (d: string) => {
        chunks.push(d)
        const text = tail + d
        for (
          let i = text.indexOf('HTTP/1.1 200 ');
          i >= 0;
          i = text.indexOf('HTTP/1.1 200 ', i + 1)
        )
          answers++
        tail = text.slice(-12)
        if (answers === N && d.endsWith('.'.repeat(8))) resolve()
      })
    })
    s.resume()
    await done
    const got = chunks.join('')
    const order = [...got.matchAll(/\r\n\r\n(\/\d+)\./g)].map((m) => m[1])
    t.same(
      order,
      Array.from({ length: N }, (_, i) => `/${String(i).padStart(4, '0')}`),
      'answers in order',
    )
    t.equal(world.seen.length, N)
    t.ok(
      world.seen.every((r, i) => r.url === `/${String(i).padStart(4, '0')}`),
      'the backend got every request, in order',
    )
  },
)
