// The l5d-dtab override on two hops of gRPC, as in a mesh: client → proxy A → hello → proxy B →
// world. A reads the override, routes hello as usual and passes the override on as
// l5d-ctx-dtab; hello forwards l5d-ctx-* metadata; B applies it to world. Calls with and
// without the override share A's connection and hello's connection to B, and must not leak.
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { startHello } from '../../../test/support/grpc/hello.js'
import { Hello, World } from '../../../test/support/grpc/services.js'
import { client, h2Proxy, inet, world } from './grpc-helpers.js'

t.test('an l5d-dtab override reaches v2 on the second hop, per call', async (t) => {
  const v1 = await world(t, { version: 'v1' })
  const v2 = await world(t, { version: 'v2' })
  const worldDtab = `/svc/world => ${inet(v1.port)}; /tmp/world-v2 => ${inet(v2.port)}`
  const b = await h2Proxy(t, worldDtab)
  const hello = await startHello({ proxy: b.port })
  t.teardown(() => hello.close())
  const a = await h2Proxy(t, `/svc/hello => ${inet(hello.port)}; ${worldDtab}`)
  const c = client(t, a.port, { authority: 'hello' })
  const override = { 'l5d-dtab': '/svc/world => /tmp/world-v2' }

  const replies = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      c.unary(Hello.Greet, { name: `${i}` }, i % 3 === 0 ? { metadata: override } : {}),
    ),
  )
  t.same(
    replies.map((r) =>
      r.code !== status.OK
        ? `${r.code} ${r.details}`
        : (r.value?.world?.version ?? `world: ${JSON.stringify(r.value?.worldError)}`),
    ),
    replies.map((_, i) => (i % 3 === 0 ? 'v2' : 'v1')),
    'each call with the override reached world-v2 through hello, each without it world-v1',
  )
  const withOverride = replies[0]?.value
  t.equal(
    withOverride?.l5d['l5d-ctx-dtab'],
    '/svc/world=>/tmp/world-v2',
    'hello received the override as l5d-ctx-dtab from proxy A',
  )
  t.equal(withOverride?.world?.l5d['l5d-dst-service'], '/svc/world', 'B routed the logical name')
  t.equal(withOverride?.world?.l5d['l5d-dst-client'], inet(v2.port), 'and bound it to v2')

  const direct = await client(t, a.port, { authority: 'world' }).unary(
    World.Greet,
    {},
    { metadata: override },
  )
  t.equal(direct.value?.version, 'v2', 'the first hop honours it too')
})

t.test("a deadline crosses both hops: world sees what is left of the client's", async (t) => {
  const w = await world(t, { version: 'v1' })
  const b = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const hello = await startHello({ proxy: b.port })
  t.teardown(() => hello.close())
  const a = await h2Proxy(t, `/svc/hello => ${inet(hello.port)}`)
  const c = client(t, a.port, { authority: 'hello' })
  const r = await c.unary(Hello.Greet, {}, { deadlineMs: 4000 })
  t.equal(r.code, status.OK, r.details)
  t.ok(r.value?.l5d['l5d-ctx-deadline'], 'hello got l5d-ctx-deadline from proxy A')
  const left = r.value?.world?.deadlineLeftMs
  t.ok(
    typeof left === 'number' && left > 0 && left <= 4000,
    `world had ${left} ms left of the client's 4000 (grpc-timeout written by proxy B from l5d-ctx-deadline)`,
  )
})
