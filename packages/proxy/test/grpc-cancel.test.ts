// Cancellation both ways through an h2 router: a client that goes away mid-stream cancels the
// backend's call (RST_STREAM travels up), a backend that resets mid-response cancels the
// client's (it travels down), and a backend killed mid-stream fails the call at once without
// taking the proxy down.
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { portOf, run } from '../../../test/e2e/processes.js'
import { resettingBackend } from '../../../test/support/grpc/raw.js'
import { World } from '../../../test/support/grpc/services.js'
import { client, eventually, h2Proxy, inet, metrics, sleep, world } from './grpc-helpers.js'

t.test('a client cancelling a server stream mid-way cancels it at the backend', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const r = await c.serverStream(
    World.Count,
    { n: 10_000, intervalMs: 5 },
    { onMessage: (m, call) => m.i === 3 && call.cancel() },
  )
  t.equal(r.code, status.CANCELLED)
  await eventually('the backend to see the cancel', () => w.calls[0]?.cancelled === true)
  const sent = w.calls[0]?.sent ?? 0
  t.ok(sent < 10_000, `the backend stopped after ${sent} messages`)
})

t.test('a client cancelling a bidi stream mid-way cancels it at the backend', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const call = c.client.makeBidiStreamRequest(
    World.Chat.path,
    World.Chat.requestSerialize,
    World.Chat.responseDeserialize,
  )
  call.on('error', () => {})
  const first = new Promise<unknown>((r) => call.once('data', r))
  call.write({ value: 1, text: 'hi' })
  t.match(await first, { text: 'hi', value: 2 })
  call.cancel()
  await eventually('the backend to see the cancel', () => w.calls[0]?.cancelled === true)
})

t.test('a client cancelling a client stream mid-way cancels it at the backend', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  let answered = false
  const call = c.client.makeClientStreamRequest(
    World.Sum.path,
    World.Sum.requestSerialize,
    World.Sum.responseDeserialize,
    () => {
      answered = true
    },
  )
  call.on('error', () => {})
  for (let i = 0; i < 3; i++) call.write({ value: i })
  await eventually('the backend to get the call', () => w.calls.length === 1)
  await sleep(100)
  call.cancel()
  await eventually('the backend to see the cancel', () => w.calls[0]?.cancelled === true)
  // Whether the backend also saw END_STREAM before the RST cannot be told here: node's http2
  // emits 'end' on a stream the peer reset, so a grpc-js server runs Sum's 'end' handler
  // either way (grpc-direct.test.ts shows it without a proxy).
  await eventually('the client call to end', () => answered)
})

t.test('a backend resetting mid-response (CANCEL) cancels the client call', async (t) => {
  const raw = await resettingBackend([{ text: 'a', value: 2, version: 'raw' }], 8)
  t.teardown(() => raw.close())
  const p = await h2Proxy(t, `/svc/world => ${inet(raw.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const r = await c.bidi(World.Chat, [{ value: 1 }], { keepOpen: true })
  t.equal(r.messages.length, 1, 'the message before the reset came through')
  t.equal(
    r.code,
    status.CANCELLED,
    `reset with CANCEL reaches the client as CANCELLED: ${r.details}`,
  )
})

t.test('a backend killed mid-stream fails the call at once; the proxy carries on', async (t) => {
  const doomed = run(t, 'world (killed)', process.execPath, [
    '--import',
    'tsx',
    'test/support/grpc/main.ts',
    'world',
    '--version',
    'doomed',
  ])
  const doomedPort = portOf(await doomed.waitFor(/world listening/))
  const healthy = await world(t, { version: 'v1' })
  const p = await h2Proxy(
    t,
    `/svc/world => ${inet(doomedPort)}; /svc/other => ${inet(healthy.port)}`,
  )
  const c = client(t, p.port, { authority: 'world' })
  let got = 0
  const started = Date.now()
  const r = await c.serverStream(
    World.Count,
    { n: 100_000, intervalMs: 10, bytes: 1000 },
    {
      onMessage: () => {
        if (++got === 5) void doomed.kill('SIGKILL')
      },
    },
  )
  t.not(r.code, status.OK, `the call failed: ${r.code} ${r.details}`)
  // Without a proxy grpc-js reports a dropped connection as UNAVAILABLE ('Connection
  // dropped'), which clients retry; the proxy knows the call is gRPC and can end it so.
  t.equal(r.code, status.UNAVAILABLE, 'UNAVAILABLE, as grpc-js reports it with no proxy between')
  t.ok(r.messages.length >= 5, `${r.messages.length} messages arrived before the kill`)
  t.ok(Date.now() - started < 5000, 'at once, not at some timeout')
  const other = client(t, p.port, { authority: 'other' })
  const after = await other.unary(World.Greet, {})
  t.equal(after.code, status.OK, `the proxy still routes: ${after.details}`)
  await eventually('the broken stream to count as a failure', async () => {
    const m = await metrics(p.admin)
    return m['rt/outgoing/service/svc/world/failures'] === 1
  })
})

t.test(
  'a backend killed before answering: UNAVAILABLE from the proxy, as without one',
  async (t) => {
    const doomed = run(t, 'world (killed before answering)', process.execPath, [
      '--import',
      'tsx',
      'test/support/grpc/main.ts',
      'world',
      '--version',
      'doomed',
    ])
    const port = portOf(await doomed.waitFor(/world listening/))
    const p = await h2Proxy(t, `/svc/world => ${inet(port)}`)
    const c = client(t, p.port, { authority: 'world' })
    const call = c.unary(World.Greet, { delayMs: 5000 })
    await sleep(300)
    await doomed.kill('SIGKILL')
    const r = await call
    t.equal(
      r.code,
      status.UNAVAILABLE,
      `the connection dropped is the proxy's own error, UNAVAILABLE by its table: got ${r.code} ${r.details}`,
    )
    t.ok(r.trailers['l5d-err'], 'with l5d-err')
  },
)
