// Deadlines through an h2 router: grpc-timeout crosses the proxy (shortened, never lost), a
// call past its deadline ends DEADLINE_EXCEEDED and is cancelled at the backend, and the
// router's own timeout ends a call whose answer has not begun the same way, as a gRPC error of
// the proxy (it bounds only the wait for the response head, h2-stream-deadline.test.ts).
import { connect } from 'node:http2'
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { frame } from '../../../test/support/grpc/raw.js'
import { World } from '../../../test/support/grpc/services.js'
import { client, eventually, h2Proxy, inet, world } from './grpc-helpers.js'

t.test('grpc-timeout crosses the proxy: the backend sees what is left of it', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  const c = client(t, p.port, { authority: 'world' })
  const r = await c.unary(World.Greet, {}, { deadlineMs: 5000 })
  t.equal(r.code, status.OK, r.details)
  const left = r.value?.deadlineLeftMs
  t.ok(
    typeof left === 'number' && left > 0 && left <= 5000,
    `the backend had ${left} ms left of 5000`,
  )
  t.ok(r.value?.l5d['l5d-ctx-deadline'], 'and l5d-ctx-deadline for services that read it')
})

t.test(
  'a call past its deadline ends DEADLINE_EXCEEDED and the backend sees it cancelled',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
    const c = client(t, p.port, { authority: 'world' })
    const started = Date.now()
    const r = await c.unary(World.Hang, {}, { deadlineMs: 300 })
    t.equal(r.code, status.DEADLINE_EXCEEDED, r.details)
    t.ok(Date.now() - started < 3000, 'at its deadline, not at the router timeout (10 s)')
    await eventually('the backend to see the call cancelled', () => w.calls[0]?.cancelled === true)
  },
)

t.test(
  "the router's timeoutMs ends a call with no deadline: DEADLINE_EXCEEDED from the proxy, with l5d-err",
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, { timeoutMs: 300 })
    const c = client(t, p.port, { authority: 'world' })
    const r = await c.unary(World.Hang, {})
    t.equal(r.code, status.DEADLINE_EXCEEDED, `${r.code} ${r.details}`)
    t.ok(r.trailers['l5d-err'], 'l5d-err names the timeout')
    await eventually('the backend to see the call cancelled', () => w.calls[0]?.cancelled === true)
  },
)

t.test(
  "the router's timeout is not passed on: the backend is told the caller's longer grpc-timeout",
  async (t) => {
    // timeoutMs bounds only the wait for the response head (a stream may answer for longer);
    // the caller's deadline is the call's, and the backend's.
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`, { timeoutMs: 1000 })
    const c = client(t, p.port, { authority: 'world' })
    const r = await c.unary(World.Greet, {}, { deadlineMs: 60_000 })
    t.equal(r.code, status.OK, r.details)
    const left = r.value?.deadlineLeftMs
    t.ok(
      typeof left === 'number' && left > 50_000 && left <= 60_000,
      `the backend was given ${left} ms of the caller's 60 s`,
    )
  },
)

/** One gRPC Greet call by hand (node's http2 client) with `grpc-timeout: timeout`. */
function callWithTimeout(
  port: number,
  timeout: string,
): Promise<{ status: number; grpcStatus: string | undefined; contentType: string | undefined }> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`)
    session.on('error', reject)
    const req = session.request({
      ':method': 'POST',
      ':path': World.Greet.path,
      ':authority': 'world',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': timeout,
    })
    let head: Record<string, unknown> = {}
    let grpcStatus: string | undefined
    req.on('response', (h) => {
      head = h
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status'])
    })
    req.on('trailers', (h) => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status'])
    })
    req.resume()
    req.on('close', () => {
      session.close()
      const ct = head['content-type']
      resolve({
        status: Number(head[':status']),
        grpcStatus,
        contentType: typeof ct === 'string' ? ct : undefined,
      })
    })
    req.end(frame({ name: 'by hand' }))
  })
}

t.test('hostile grpc-timeout values get a gRPC answer each, and the proxy stays up', async (t) => {
  const w = await world(t, { version: 'v1' })
  const p = await h2Proxy(t, `/svc/world => ${inet(w.port)}`)
  for (const timeout of ['abc', '123456789S', '-1S', '', '1', 'S', '99999999H', '1.5S', '0m']) {
    const r = await callWithTimeout(p.port, timeout)
    t.equal(r.status, 200, `grpc-timeout ${JSON.stringify(timeout)}: HTTP 200`)
    t.match(r.contentType, /^application\/grpc/, 'a gRPC answer')
    t.ok(r.grpcStatus !== undefined, `with a grpc-status (${r.grpcStatus})`)
  }
  const expired = await callWithTimeout(p.port, '1n')
  t.equal(expired.grpcStatus, String(status.DEADLINE_EXCEEDED), 'a 1 ns deadline is spent at once')
  const fine = await callWithTimeout(p.port, '99999999H')
  t.equal(fine.grpcStatus, '0', 'the longest valid timeout is just a long one')
  const ok = await client(t, p.port, { authority: 'world' }).unary(World.Greet, {})
  t.equal(ok.code, status.OK, 'the proxy still answers')
})
