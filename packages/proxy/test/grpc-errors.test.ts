// The errors an h2 router answers itself to gRPC calls, as a gRPC client reads them
// (h2-errors.ts's table): a malformed override is INVALID_ARGUMENT, a header list over the
// limit RESOURCE_EXHAUSTED; a clearContext server ignores l5d-dtab from its untrusted clients
// and tells them nothing internal (no l5d-* headers or trailers, no grpc-message). And load
// the server limits must absorb: more concurrent calls on one connection than its
// maxConcurrentStreamsPerConnection.
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { World } from '../../../test/support/grpc/services.js'
import { client, h2Proxy, inet, world } from './grpc-helpers.js'

t.test('a malformed l5d-dtab is INVALID_ARGUMENT from the proxy, naming the header', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const r = await c.unary(World.Greet, {}, { metadata: { 'l5d-dtab': '/svc/world =>> nope' } })
  t.equal(r.code, status.INVALID_ARGUMENT, `${r.code} ${r.details}`)
  t.match(r.details, /l5d-dtab/, 'the message names the header')
  t.ok(r.trailers['l5d-err'], 'and l5d-err says it too')
  t.equal(w.calls.length, 0, 'nothing reached world')
})

t.test(
  'clearContext: l5d-dtab from the client is ignored and nothing l5d-* comes back',
  async (t) => {
    const v1 = await world(t, { version: 'v1' })
    const v2 = await world(t, { version: 'v2' })
    const p = await h2Proxy(
      t,
      `/svc/world => ${inet(v1.port)}; /tmp/world-v2 => ${inet(v2.port)}`,
      { servers: [{ ip: '127.0.0.1', port: 0, clearContext: true }] },
    )
    const c = client(t, p.port, { authority: 'world' })
    const r = await c.unary(
      World.Greet,
      { echo: { 'l5d-internal': 'secret', 'x-kept': 'yes' } },
      {
        metadata: {
          'l5d-dtab': '/svc/world => /tmp/world-v2',
          'l5d-ctx-dtab': '/svc/world => /tmp/world-v2',
        },
      },
    )
    t.equal(r.code, status.OK, r.details)
    t.equal(r.value?.version, 'v1', 'the untrusted override did not reroute the call')
    t.equal(r.value?.l5d['l5d-ctx-dtab'], undefined, 'nor was it passed on')
    const l5d = (h: Record<string, string> | undefined) =>
      Object.keys(h ?? {}).filter((k) => k.startsWith('l5d-'))
    t.same(l5d(r.headers), [], 'no l5d-* response headers, though world sent one')
    t.same(l5d(r.trailers), [], 'no l5d-* trailers, though world sent one')
    t.equal(r.trailers['x-kept'], 'yes', 'other trailers pass')
    t.equal(r.headers?.['x-kept'], 'yes', 'other headers pass')

    const lost = client(t, p.port, { authority: 'nowhere' })
    const e = await lost.unary(World.Greet, {})
    t.equal(e.code, status.UNAVAILABLE)
    t.same(l5d(e.trailers), [], 'no l5d-err for an untrusted client')
    t.notMatch(
      e.details,
      /dtab|\/svc|127\.0\.0\.1/,
      `no internal names in the message: "${e.details}"`,
    )
  },
)

t.test(
  'metadata over maxHeaderListBytes is RESOURCE_EXHAUSTED, and the connection lives on',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, {
      servers: [{ ip: '127.0.0.1', port: 0, maxHeaderListBytes: 4096 }],
    })
    const c = client(t, p.port, { authority: 'world' })
    const r = await c.unary(World.Greet, {}, { metadata: { 'x-big': 'x'.repeat(8000) } })
    t.equal(r.code, status.RESOURCE_EXHAUSTED, `${r.code} ${r.details}`)
    t.equal(w.calls.length, 0)
    const ok = await c.unary(World.Greet, {})
    t.equal(ok.code, status.OK, `the next call on the same client works: ${ok.details}`)
  },
)

t.test(
  'more concurrent calls on one connection than maxConcurrentStreamsPerConnection all succeed',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, {
      servers: [{ ip: '127.0.0.1', port: 0, maxConcurrentStreamsPerConnection: 50 }],
    })
    const c = client(t, p.port, { authority: 'world' })
    const replies = await Promise.all(
      Array.from({ length: 400 }, (_, i) => c.unary(World.Greet, { name: `${i}`, delayMs: 20 })),
    )
    const failed = replies.filter((r) => r.code !== status.OK).map((r) => `${r.code} ${r.details}`)
    t.same(failed, [], 'each of 400 calls answered OK: the client queued beyond the 50 streams')
    t.equal(w.calls.length, 400)
  },
)
