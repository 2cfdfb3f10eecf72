// The gRPC test services called directly, with no proxy between: the baseline for every
// grpc-*.test.ts. What passes here and fails through the proxy is the proxy's doing.
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { portOf, run } from '../../../test/e2e/processes.js'
import { GrpcClient } from '../../../test/support/grpc/client.js'
import { resettingBackend } from '../../../test/support/grpc/raw.js'
import { World } from '../../../test/support/grpc/services.js'
import { startWorld } from '../../../test/support/grpc/world.js'

const eventually = async (what: string, check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

t.test('every call kind, a chosen status, a deadline and cancellation, directly', async (t) => {
  const world = await startWorld({ version: 'v1' })
  t.teardown(() => world.close())
  const c = new GrpcClient(world.port, { authority: 'world' })
  t.teardown(() => c.close())

  const greet = await c.unary(World.Greet, { name: 'a' }, { metadata: { 'l5d-dtab': '/a=>/b' } })
  t.equal(greet.code, status.OK)
  t.match(greet.value, {
    service: 'world',
    version: 'v1',
    name: 'a',
    l5d: { 'l5d-dtab': '/a=>/b' },
  })

  const count = await c.serverStream(World.Count, { n: 5 })
  t.equal(count.code, status.OK)
  t.same(
    count.messages.map((m) => m.i),
    [0, 1, 2, 3, 4],
  )

  const sum = await c.clientStream(World.Sum, [{ value: 1 }, { value: 2 }, { value: 3 }])
  t.match(sum, { code: status.OK, value: { sum: 6, count: 3 } })

  const chat = await c.bidi(World.Chat, [
    { value: 1, text: 'a' },
    { value: 2, text: 'b' },
  ])
  t.equal(chat.code, status.OK)
  t.same(
    chat.messages.map((m) => [m.text, m.value]),
    [
      ['a', 2],
      ['b', 4],
    ],
  )

  const fail = await c.unary(World.Fail, { code: 14, message: 'down for now' })
  t.match(fail, { code: status.UNAVAILABLE, details: 'down for now' })
  const failLate = await c.unary(World.Fail, { code: 14, message: 'x', headersFirst: true })
  t.equal(failLate.code, status.UNAVAILABLE)
  t.ok(failLate.headers, 'headers came before the trailers')

  const hang = await c.unary(World.Hang, {}, { deadlineMs: 200 })
  t.equal(hang.code, status.DEADLINE_EXCEEDED)
  const hung = world.calls.find((x) => x.method === 'Hang')
  t.ok(hung?.deadlineLeftMs !== null && (hung?.deadlineLeftMs ?? 1e9) <= 200, 'grpc-timeout seen')
  await eventually('the backend to see the cancel', () => hung?.cancelled === true)

  const cancelled = await c.serverStream(
    World.Count,
    { n: 1000, intervalMs: 10 },
    { onMessage: (m, call) => m.i === 2 && call.cancel() },
  )
  t.equal(cancelled.code, status.CANCELLED)
  const counting = world.calls.filter((x) => x.method === 'Count').at(-1)
  await eventually('the backend to see the client cancel', () => counting?.cancelled === true)
})

t.test(
  "a client cancelling a client stream: the backend sees the cancel, and node's 'end' too",
  async (t) => {
    const world = await startWorld({ version: 'v1' })
    t.teardown(() => world.close())
    const c = new GrpcClient(world.port)
    t.teardown(() => c.close())
    const sum = c.client.makeClientStreamRequest(
      World.Sum.path,
      World.Sum.requestSerialize,
      World.Sum.responseDeserialize,
      () => {},
    )
    sum.on('error', () => {})
    for (let i = 0; i < 3; i++) sum.write({ value: i })
    await eventually('the backend to get the call', () => world.calls.length === 1)
    await new Promise((r) => setTimeout(r, 100))
    sum.cancel()
    await eventually('the cancel', () => world.calls[0]?.cancelled === true)
    // Pinned because the proxy tests rely on it: node emits 'end' on a stream its peer reset,
    // so a grpc-js handler's 'end' runs even for a cancelled call, with no proxy at all. A
    // backend's 'finished' therefore cannot tell a cancel from a cancel after END_STREAM.
    t.equal(world.calls[0]?.finished, true, "grpc-js ran Sum's end handler for a cancelled call")
  },
)

t.test('a backend resetting mid-response reaches the client as CANCELLED', async (t) => {
  const raw = await resettingBackend([{ text: 'a', value: 2, version: 'raw' }], 8)
  t.teardown(() => raw.close())
  const c = new GrpcClient(raw.port)
  t.teardown(() => c.close())
  const r = await c.bidi(World.Chat, [{ value: 1 }], { keepOpen: true })
  t.equal(r.code, status.CANCELLED, r.details)
  t.equal(r.messages.length, 1, 'the message before the reset arrived')
})

t.test(
  'a backend process killed mid-call: grpc-js says UNAVAILABLE (Connection dropped)',
  async (t) => {
    const doomed = run(t, 'world (killed)', process.execPath, [
      '--import',
      'tsx',
      'test/support/grpc/main.ts',
      'world',
      '--version',
      'doomed',
    ])
    const c = new GrpcClient(portOf(await doomed.waitFor(/world listening/)))
    t.teardown(() => c.close())
    const unary = c.unary(World.Greet, { delayMs: 5000 })
    const stream = c.serverStream(World.Count, { n: 10_000, intervalMs: 10 })
    await new Promise((r) => setTimeout(r, 300))
    await doomed.kill('SIGKILL')
    const [u, s] = await Promise.all([unary, stream])
    t.equal(u.code, status.UNAVAILABLE, `before answering: ${u.details}`)
    t.equal(s.code, status.UNAVAILABLE, `mid-stream: ${s.details}`)
    t.ok(s.messages.length > 0, 'after some messages')
  },
)
