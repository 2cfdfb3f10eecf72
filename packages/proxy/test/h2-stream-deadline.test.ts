// An h2 router's timeoutMs bounds only the wait for the response head, as an http router's
// does: a stream that is answering runs for as long as it lasts. The caller's own deadline
// (grpc-timeout, l5d-ctx-deadline) bounds the whole call, mid-stream too, and is the only
// deadline the backend is told: without one, no grpc-timeout and no l5d-ctx-deadline go on.
import type { ServerHttp2Stream } from 'node:http2'
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { World } from '../../../test/support/grpc/services.js'
import { client, world } from './grpc-helpers.js'
import {
  grpcFrame,
  h2Backend,
  h2Config,
  h2Connect,
  h2Proxy,
  h2Request,
  inet,
} from './h2-router-helpers.js'

const GRPC = { 'content-type': 'application/grpc', te: 'trailers', ':method': 'POST' }

/** A gRPC server stream by hand: one message every `everyMs`, `n` of them, then OK. */
function ticker(n: number, everyMs: number, cancelled: { value: boolean }) {
  return (stream: ServerHttp2Stream) => {
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc' },
      { waitForTrailers: true },
    )
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
    stream.on('close', () => {
      if (stream.rstCode !== 0) cancelled.value = true
    })
    let i = 0
    const timer = setInterval(() => {
      if (stream.destroyed || stream.closed) {
        clearInterval(timer)
        return
      }
      stream.write(grpcFrame(`m${i}`))
      if (++i === n) {
        clearInterval(timer)
        stream.end()
      }
    }, everyMs)
    stream.resume()
  }
}

t.test(
  'a server stream longer than timeoutMs, with no client deadline, completes; the backend is told no deadline',
  async (t) => {
    const cancelled = { value: false }
    const b = await h2Backend(t, 'ticker', ticker(12, 50, cancelled), { streaming: true })
    // 12 x 50 ms = 600 ms of answer, three times the router's 200 ms.
    const p = await h2Proxy(t, h2Config(`/svc/t => ${inet(b.port)}`, { timeoutMs: 200 }))
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const r = await h2Request(s, { ':authority': 't', ':path': '/a.B/C', ...GRPC }, grpcFrame(''))
    t.equal(r.status, 200)
    t.equal(r.trailers?.['grpc-status'], '0', 'the call ends with the backend OK')
    t.equal(r.body.match(/m\d+/g)?.length, 12, 'every message arrived')
    t.notOk(cancelled.value, 'the backend was not cancelled')
    const seen = b.seen[0]!.headers
    t.equal(seen['grpc-timeout'], undefined, 'no grpc-timeout invented for the backend')
    t.equal(seen['l5d-ctx-deadline'], undefined, 'no l5d-ctx-deadline either')
  },
)

t.test(
  "a client deadline passing mid-stream ends the call DEADLINE_EXCEEDED at it; the backend's stream is cancelled",
  async (t) => {
    const cancelled = { value: false }
    // 40 x 50 ms = 2 s of answer; the client gives 400 ms, the router 10 s.
    const b = await h2Backend(t, 'ticker', ticker(40, 50, cancelled), { streaming: true })
    const p = await h2Proxy(t, h2Config(`/svc/t => ${inet(b.port)}`))
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const start = performance.now()
    const r = await h2Request(
      s,
      { ':authority': 't', ':path': '/a.B/C', ...GRPC, 'grpc-timeout': '400m' },
      grpcFrame(''),
    )
    const took = performance.now() - start
    t.equal(r.status, 200, 'the answer had begun')
    t.equal(r.trailers?.['grpc-status'], String(status.DEADLINE_EXCEEDED), 'DEADLINE_EXCEEDED')
    t.match(r.trailers?.['grpc-message'], /deadline/)
    const got = r.body.match(/m\d+/g)?.length ?? 0
    t.ok(got > 0 && got < 40, `messages arrived until the deadline (${got})`)
    t.ok(took >= 380 && took < 1500, `ended at the deadline (${Math.round(took)} ms)`)
    const left = /^(\d+)([mu])$/.exec(String(b.seen[0]!.headers['grpc-timeout']))
    t.ok(left, `the backend was told the caller's deadline: ${b.seen[0]!.headers['grpc-timeout']}`)
    const ms = Number(left?.[1]) / (left?.[2] === 'u' ? 1000 : 1)
    t.ok(ms > 300 && ms <= 400, `what was left of the 400 ms (${ms})`)
    for (let i = 0; i < 50 && !cancelled.value; i++) await new Promise((r) => setTimeout(r, 20))
    t.ok(cancelled.value, 'the backend saw its stream cancelled')
  },
)

t.test(
  'a plain h2 stream past the caller l5d-ctx-deadline mid-answer is reset, not completed',
  async (t) => {
    const cancelled = { value: false }
    const b = await h2Backend(t, 'ticker', ticker(40, 50, cancelled), { streaming: true })
    const p = await h2Proxy(t, h2Config(`/svc/t => ${inet(b.port)}`, { timeoutMs: 100 }))
    const s = h2Connect(t, `http://127.0.0.1:${p.port}`)
    const now = BigInt(Date.now()) * 1_000_000n
    const r = await h2Request(s, {
      ':authority': 't',
      ':path': '/',
      'l5d-ctx-deadline': `${now} ${now + 400_000_000n}`,
    })
    t.equal(r.status, 200, 'the answer began')
    t.equal(r.rstCode, 8, 'reset with CANCEL at the deadline')
    const got = r.body.match(/m\d+/g)?.length ?? 0
    t.ok(
      got > 2 && got < 40,
      `the stream outlived the router's 100 ms, up to the deadline (${got})`,
    )
  },
)

t.test(
  'grpc-js: a server stream past timeoutMs without a deadline completes; with one it ends DEADLINE_EXCEEDED',
  async (t) => {
    const w = await world(t, { version: 'v1' })
    const p = await h2Proxy(t, h2Config(`/svc/world => ${inet(w.port)}`, { timeoutMs: 200 }))
    const c = client(t, p.port, { authority: 'world' })
    const r = await c.serverStream(World.Count, { n: 10, intervalMs: 60 })
    t.equal(r.code, status.OK, r.details)
    t.equal(r.messages.length, 10, '600 ms of stream through a 200 ms timeoutMs')
    t.equal(w.calls[0]?.deadlineLeftMs, null, 'the backend saw no deadline')
    const d = await c.serverStream(World.Count, { n: 40, intervalMs: 50 }, { deadlineMs: 500 })
    t.equal(d.code, status.DEADLINE_EXCEEDED, d.details)
  },
)
