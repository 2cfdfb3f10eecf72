// gRPC outcomes in the proxy's numbers: an HTTP 200 whose grpc-status is 14 (UNAVAILABLE) is a
// failure, in /admin/metrics.json (service and client scopes) and in
// /admin/metrics/snapshot.json, which namerd's rollouts judge a step by.
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { World } from '../../../test/support/grpc/services.js'
import { client, eventually, h2Proxy, inet, metrics, snapshot, world } from './grpc-helpers.js'

t.test(
  'grpc-status 14 after a 200 counts as a failure in metrics.json and snapshot.json',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
    const c = client(t, p.port, { authority: 'world' })
    t.equal((await c.unary(World.Greet, {})).code, status.OK)
    for (let i = 0; i < 3; i++) {
      // Headers first: the response began, so nothing may retry it and each call counts once.
      const r = await c.unary(World.Fail, { code: 14, message: 'overloaded', headersFirst: true })
      t.equal(r.code, status.UNAVAILABLE, r.details)
    }
    const svc = 'rt/outgoing/service/svc/world'
    const cl = `rt/outgoing/client${inet(w.port)}`
    await eventually(
      'every call counted',
      async () => (await metrics(p.admin))[`${svc}/requests`] === 4,
    )
    const m = await metrics(p.admin)
    t.equal(m[`${svc}/success`], 1, 'the OK call')
    t.equal(m[`${svc}/failures`], 3, 'the three UNAVAILABLE calls, though each was HTTP 200')
    t.equal(m[`${svc}/status/2XX`], 4, 'status classes stay HTTP ones')
    t.equal(m[`${cl}/requests`], 4)
    t.equal(m[`${cl}/success`], 1)
    t.equal(m[`${cl}/failures`], 3, 'the client scope, per concrete destination, agrees')
    const snap = await snapshot(p.admin)
    t.match(
      snap.clients[inet(w.port)],
      { requests: 4, success: 1, failures: 3 },
      'the snapshot rollouts read says the same',
    )
  },
)

t.test('a trailers-only UNAVAILABLE is a failure too, however often it was tried', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const r = await c.unary(World.Fail, { code: 14, message: 'down' })
  t.equal(r.code, status.UNAVAILABLE, r.details)
  const svc = 'rt/outgoing/service/svc/world'
  await eventually(
    'the call counted',
    async () => (await metrics(p.admin))[`${svc}/requests`] === 1,
  )
  const m = await metrics(p.admin)
  t.equal(m[`${svc}/failures`], 1)
  t.equal(m[`${svc}/success`], 0)
  const tries = w.calls.length
  t.ok(tries >= 1, `the backend answered ${tries} time(s) (retries allowed for UNAVAILABLE)`)
  const snap = (await snapshot(p.admin)).clients[inet(w.port)]
  t.equal(snap?.success, 0, 'no success in the snapshot')
  t.ok((snap?.failures ?? 0) >= 1, `failures in the snapshot: ${snap?.failures}`)
})

t.test('other non-zero statuses are failures; OK after headers is a success', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  t.equal(
    (await c.unary(World.Fail, { code: status.INTERNAL, message: 'x' })).code,
    status.INTERNAL,
  )
  t.equal((await c.serverStream(World.Count, { n: 3 })).code, status.OK)
  const svc = 'rt/outgoing/service/svc/world'
  await eventually('both counted', async () => (await metrics(p.admin))[`${svc}/requests`] === 2)
  const m = await metrics(p.admin)
  t.equal(m[`${svc}/failures`], 1, 'INTERNAL')
  t.equal(m[`${svc}/success`], 1, 'the stream that ended with grpc-status 0')
})
