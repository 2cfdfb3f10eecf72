// Which failed gRPC calls the proxy tries again (Linkerd's rules for h2): by default none of a
// backend's answers (Linkerd's h2 default classifier retries nothing: a handler that answered
// UNAVAILABLE may have done its work). With service.responseClassifier io.l5d.h2.grpc.default a
// trailers-only UNAVAILABLE is retried when the whole request was received and is small enough
// to have been kept (64 KiB); a bigger one is not; nothing is retried once the response began
// (headers sent), nor another status.
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { World } from '../../../test/support/grpc/services.js'
import { client, h2Proxy, inet, world } from './grpc-helpers.js'

const fails = (w: { calls: { method: string }[] }) =>
  w.calls.filter((c) => c.method === 'Fail').length

/** Linkerd's opt-in: a trailers-only UNAVAILABLE may be retried. */
const GRPC_DEFAULT = { service: { responseClassifier: { kind: 'io.l5d.h2.grpc.default' } } }

t.test('by default a call answered UNAVAILABLE trailers-only is not retried', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const r = await client(t, p.port, { authority: 'world' }).unary(World.Fail, {
    code: status.UNAVAILABLE,
    message: 'busy',
  })
  t.equal(r.code, status.UNAVAILABLE, r.details)
  t.equal(fails(w), 1, 'the handler ran once')
})

t.test('with neverRetryable (Linkerd) it is not retried either', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, {
    service: { responseClassifier: { kind: 'io.l5d.h2.grpc.neverRetryable' } },
  })
  const r = await client(t, p.port, { authority: 'world' }).unary(World.Fail, {
    code: status.UNAVAILABLE,
    message: 'busy',
  })
  t.equal(r.code, status.UNAVAILABLE, r.details)
  t.equal(fails(w), 1, 'the handler ran once')
})

t.test(
  'with io.l5d.h2.grpc.default a small call answered UNAVAILABLE trailers-only is retried',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, GRPC_DEFAULT)
    const r = await client(t, p.port, { authority: 'world' }).unary(World.Fail, {
      code: status.UNAVAILABLE,
      message: 'busy',
    })
    t.equal(r.code, status.UNAVAILABLE, 'still UNAVAILABLE in the end (the one backend always is)')
    t.ok(fails(w) > 1, `the backend was asked ${fails(w)} times`)
  },
)

t.test('a call over 64 KiB answered UNAVAILABLE is not retried: it was not kept', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, GRPC_DEFAULT)
  const r = await client(t, p.port, { authority: 'world' }).unary(World.Fail, {
    code: status.UNAVAILABLE,
    message: 'busy',
    pad: 'x'.repeat(100 * 1024),
  })
  t.equal(r.code, status.UNAVAILABLE, r.details)
  t.equal(fails(w), 1, 'asked once')
})

t.test('UNAVAILABLE after the response headers is not retried', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, GRPC_DEFAULT)
  const r = await client(t, p.port, { authority: 'world' }).unary(World.Fail, {
    code: status.UNAVAILABLE,
    message: 'busy',
    headersFirst: true,
  })
  t.equal(r.code, status.UNAVAILABLE, r.details)
  t.equal(fails(w), 1, 'asked once')
})

t.test('other statuses are not retried, trailers-only or not', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, GRPC_DEFAULT)
  const c = client(t, p.port, { authority: 'world' })
  for (const code of [status.INTERNAL, status.RESOURCE_EXHAUSTED, status.ABORTED]) {
    const r = await c.unary(World.Fail, { code, message: 'no' })
    t.equal(r.code, code, r.details)
  }
  t.equal(fails(w), 3, 'each asked once')
})
