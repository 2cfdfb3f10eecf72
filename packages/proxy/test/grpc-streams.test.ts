// gRPC through an h2 router (h2c on both sides): every call kind passes, messages in order
// both ways, trailers through, the routing headers on the backend's side, and l5d-dtab honoured
// per stream on one shared connection.
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { stallingBackend } from '../../../test/support/grpc/raw.js'
import { World } from '../../../test/support/grpc/services.js'
import { client, h2Proxy, inet, sleep, world } from './grpc-helpers.js'

t.test(
  'a unary call reaches world through the proxy and carries the routing headers',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
    const c = client(t, p.port, { authority: 'world' })
    const r = await c.unary(World.Greet, { name: 'ada' })
    t.equal(r.code, status.OK, r.details)
    t.match(r.value, { service: 'world', version: 'v1', name: 'ada' })
    t.match(
      r.value?.l5d,
      { 'l5d-dst-service': '/svc/world', 'l5d-dst-client': inet(w.port) },
      'the backend saw where the proxy routed it',
    )
    t.equal(
      r.headers?.['l5d-dst-service'],
      undefined,
      'the response says nothing without an override',
    )
  },
)

t.test('a server-streaming call passes 200 messages in order, then OK', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const r = await c.serverStream(World.Count, { n: 200, bytes: 100 })
  t.equal(r.code, status.OK, r.details)
  t.same(
    r.messages.map((m) => m.i),
    Array.from({ length: 200 }, (_, i) => i),
  )
})

t.test('a client-streaming call passes 500 messages, answered once at the end', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const items = Array.from({ length: 500 }, (_, i) => ({ value: i }))
  const r = await c.clientStream(World.Sum, items)
  t.equal(r.code, status.OK, r.details)
  t.match(r.value, { sum: (499 * 500) / 2, count: 500, version: 'v1' })
})

t.test('a bidirectional call goes back and forth 50 times on one open stream', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const items = Array.from({ length: 50 }, (_, i) => ({ value: i, text: `m${i}` }))
  const r = await c.bidi(World.Chat, items)
  t.equal(r.code, status.OK, r.details)
  t.same(
    r.messages.map((m) => [m.text, m.value]),
    items.map((i) => [i.text, i.value * 2]),
    'each answer came back before the next message was sent',
  )
})

t.test('a huge server stream (32 MiB in 64 KiB messages) passes whole', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  let bytes = 0
  const r = await c.serverStream(
    World.Count,
    { n: 512, bytes: 64 * 1024 },
    {
      onMessage: (m) => {
        bytes += m.pad.length
      },
    },
  )
  t.equal(r.code, status.OK, r.details)
  t.equal(r.messages.length, 512)
  t.equal(bytes, 512 * 64 * 1024)
})

t.test('a slow reader holds the backend back: flow control end to end', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const n = 1024
  const size = 64 * 1024
  let paused = false
  let sentWhilePaused = 0
  const r = await c.serverStream(
    World.Count,
    { n, bytes: size },
    {
      onMessage: (m, call) => {
        if (m.i === 4 && !paused) {
          paused = true
          call.pause()
          // Whatever the backend wrote by now sits in windows and socket buffers; paused for
          // 600 ms, it must stop writing long before the 64 MiB stream is done.
          setTimeout(() => {
            sentWhilePaused = w.calls.at(-1)?.sent ?? 0
            call.resume()
          }, 600)
        }
      },
    },
  )
  t.equal(r.code, status.OK, r.details)
  t.equal(r.messages.length, n)
  t.ok(
    sentWhilePaused > 0 && sentWhilePaused < n / 4,
    `the backend had written ${sentWhilePaused} of ${n} messages (${(sentWhilePaused * size) / 2 ** 20} MiB) while the client read nothing: bounded by the flow-control windows, not the stream`,
  )
})

t.test(
  'a backend that reads nothing holds a client stream back: flow control upstream',
  async (t) => {
    const b = await stallingBackend()
    t.teardown(() => b.close())
    const p = await h2Proxy(t, `/svc/world => ${inet(b.port)}`)
    const c = client(t, p.port, { authority: 'world' })
    const n = 4096
    const pad = 'x'.repeat(16 * 1024)
    let acked = 0
    let written = 0
    let answered: () => void = () => {}
    const done = new Promise<void>((r) => {
      answered = r
    })
    const call = c.client.makeClientStreamRequest(
      World.Sum.path,
      World.Sum.requestSerialize,
      World.Sum.responseDeserialize,
      () => answered(),
    )
    call.on('error', () => {})
    const pump = () => {
      while (written < n) {
        written++
        const more = call.write({ value: written, text: pad }, () => {
          acked++
        })
        if (!more) {
          call.once('drain', pump)
          return
        }
      }
      call.end()
    }
    pump()
    await sleep(600)
    const stalled = acked
    t.equal(b.received(), 0, 'the backend has read nothing')
    t.ok(
      stalled < n / 4,
      `the client got ${stalled} of ${n} 16 KiB messages (${(stalled * 16) / 1024} MiB) off its hands while the backend read nothing: the proxy did not soak up the stream`,
    )
    b.drain()
    await done
    t.equal(acked, n, 'once the backend reads, the whole stream goes through')
    t.ok(b.received() > n * 16 * 1024, `the backend got all ${b.received()} bytes`)
  },
)

t.test(
  'a status in the trailers reaches the client with its message, and headers first',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
    const c = client(t, p.port, { authority: 'world' })
    const trailersOnly = await c.unary(World.Fail, {
      code: status.NOT_FOUND,
      message: 'no such greeting',
    })
    t.match(trailersOnly, { code: status.NOT_FOUND, details: 'no such greeting' })
    const late = await c.unary(World.Fail, {
      code: status.PERMISSION_DENIED,
      message: 'not you: ünïcode %',
      headersFirst: true,
    })
    t.match(late, { code: status.PERMISSION_DENIED, details: 'not you: ünïcode %' })
    t.ok(late.headers, 'the response headers came before the trailers')
  },
)

t.test(
  'l5d-dtab reroutes only its own stream: 40 interleaved calls on one connection',
  async (t) => {
    const v1 = await world(t, { version: 'v1' })
    const v2 = await world(t, { version: 'v2' })
    const p = await h2Proxy(t, `/svc/world => ${inet(v1.port)}; /tmp/world-v2 => ${inet(v2.port)}`)
    const c = client(t, p.port, { authority: 'world' })
    const override = { 'l5d-dtab': '/svc/world => /tmp/world-v2' }
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        c.unary(World.Greet, { name: `${i}` }, i % 2 === 0 ? { metadata: override } : {}),
      ),
    )
    t.same(
      replies.map((r) => r.value?.version ?? `${r.code} ${r.details}`),
      replies.map((_, i) => (i % 2 === 0 ? 'v2' : 'v1')),
      'each call with the override reached v2, each without it v1',
    )
    t.match(
      replies[0]?.headers,
      { 'l5d-dst-service': '/svc/world', 'l5d-dst-client': inet(v2.port) },
      'a response to an override says where it was routed, as on HTTP/1.1',
    )
    const seen = v2.calls[0]?.l5d ?? {}
    t.equal(seen['l5d-dtab'], undefined, 'l5d-dtab is not passed on as is')
    t.equal(
      seen['l5d-ctx-dtab'],
      '/svc/world=>/tmp/world-v2',
      'it travels on as l5d-ctx-dtab for the next hop',
    )
  },
)

t.test(
  'a call whose name binds to nothing fails UNAVAILABLE from the proxy, with l5d-err',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
    const c = client(t, p.port, { authority: 'nowhere' })
    const r = await c.unary(World.Greet, {})
    t.equal(r.code, status.UNAVAILABLE, `the proxy's own gRPC error (got ${r.code} ${r.details})`)
    t.match(r.details, /nowhere/, 'the message names what could not be routed')
    t.ok(r.trailers['l5d-err'], 'l5d-err says why, as on HTTP/1.1')
    t.equal(w.calls.length, 0)
  },
)

t.test('custom response headers and trailers pass through both ways', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const echo = { 'x-trace': 'abc123', 'x-big': 'y'.repeat(4000) }
  const r = await c.unary(World.Greet, { echo })
  t.equal(r.code, status.OK, r.details)
  t.match(r.headers, echo, 'the response headers world sent')
  t.match(r.trailers, echo, 'and its trailers')
})

t.test('a backend shutting down gracefully (GOAWAY) finishes the stream in flight', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  let closing: Promise<void> | undefined
  const r = await c.serverStream(
    World.Count,
    { n: 40, intervalMs: 10 },
    {
      onMessage: (m) => {
        if (m.i === 5) closing = w.close()
      },
    },
  )
  t.equal(r.code, status.OK, r.details)
  t.equal(r.messages.length, 40, 'every message, though world began closing after the 6th')
  await closing
})

t.test(
  'each streamed message arrives while the backend is still streaming: no buffering',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
    const c = client(t, p.port, { authority: 'world' })
    const sentWhenReceived: number[] = []
    const r = await c.serverStream(
      World.Count,
      { n: 10, intervalMs: 30 },
      { onMessage: () => sentWhenReceived.push(w.calls[0]?.sent ?? -1) },
    )
    t.equal(r.code, status.OK, r.details)
    t.ok(
      sentWhenReceived.slice(0, 9).every((sent) => sent < 10),
      `the backend had written [${sentWhenReceived.join(', ')}] messages as each arrived: none waited for the end`,
    )
  },
)
