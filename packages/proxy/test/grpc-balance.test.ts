// gRPC outcomes steer balancing: an instance that answers every call UNAVAILABLE (HTTP 200,
// grpc-status 14, trailers-only) is a failing endpoint to failure accrual, and its calls,
// which it never processed as far as gRPC can tell, are retried on the healthy one. And
// routing per gRPC service with io.l5d.header.path: /pkg.Service/Method names the service.
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { startHello } from '../../../test/support/grpc/hello.js'
import { Hello, World } from '../../../test/support/grpc/services.js'
import { client, h2Proxy, inet, world } from './grpc-helpers.js'
import { tempDir, writeEndpoints } from './interpret-helpers.js'

t.test(
  'an instance answering UNAVAILABLE is taken out by failure accrual; its calls are retried (io.l5d.h2.grpc.default)',
  async (t) => {
    const healthy = await world(t, { version: 'v1' })
    const sick = await world(t, { version: 'sick', greetStatus: status.UNAVAILABLE })
    // One name, two endpoints (the fs namer's file): one client whose balancer accrues.
    const dir = await tempDir(t)
    await writeEndpoints(dir, 'world', [healthy.port, sick.port])
    const p = await h2Proxy(
      t,
      '/svc/world => /#/io.l5d.fs/world',
      {
        client: {
          failureAccrual: {
            kind: 'io.l5d.consecutiveFailures',
            failures: 3,
            backoff: { kind: 'constant', ms: 60_000 },
          },
        },
        // A backend's own UNAVAILABLE is retried only with Linkerd's opt-in classifier.
        service: { responseClassifier: { kind: 'io.l5d.h2.grpc.default' } },
      },
      { top: { namers: [{ kind: 'io.l5d.fs', rootDir: dir }] } },
    )
    const c = client(t, p.port, { authority: 'world' })
    const results: string[] = []
    for (let i = 0; i < 100; i++) {
      const r = await c.unary(World.Greet, {})
      results.push(r.code === status.OK ? (r.value?.version ?? '?') : `${r.code} ${r.details}`)
    }
    t.same(
      results.filter((r) => r !== 'v1'),
      [],
      'every call answered by the healthy instance, retried there when the sick one refused it',
    )
    t.ok(
      sick.calls.length >= 3 && sick.calls.length <= 6,
      `the sick instance got ${sick.calls.length} calls, then was marked dead (3 failures in a row)`,
    )
  },
)

t.test('io.l5d.header.path routes per gRPC service on one authority', async (t) => {
  const w = await world(t, { version: 'v1' })
  // hello calls world through the same proxy: its own calls are routed by their path too.
  let helloPort = 0
  const p = await h2Proxy(
    t,
    `/svc/world.World => ${inet(w.port)}; /svc/hello.Hello => /$/inet/127.0.0.1/0`,
    {
      identifier: { kind: 'io.l5d.header.path', segments: 1 },
    },
  )
  const hello = await startHello({ proxy: p.port, worldAuthority: 'anything' })
  t.teardown(() => hello.close())
  helloPort = hello.port
  t.ok(helloPort > 0)
  // The dtab above cannot know hello's port before hello knows the proxy's: an override names it.
  const toHello = { 'l5d-dtab': `/svc/hello.Hello => ${inet(helloPort)}` }
  const c = client(t, p.port, { authority: 'one.authority' })
  const direct = await c.unary(World.Greet, {})
  t.equal(direct.code, status.OK, direct.details)
  t.equal(direct.value?.l5d['l5d-dst-service'], '/svc/world.World', 'identified by its path')
  const two = await c.unary(Hello.Greet, {}, { metadata: toHello })
  t.equal(two.code, status.OK, two.details)
  t.equal(two.value?.service, 'hello')
  t.equal(two.value?.world?.version, 'v1', 'and hello reached world by its path')
})
