// Flow control end to end: a client that does not read holds the backend back, and a backend
// that does not read holds the client back; what sits in between is bounded by the streams'
// windows and buffers, not by the size of the body.
import { type ClientHttp2Stream, constants, type ServerHttp2Stream } from 'node:http2'
import t from 'tap'
import { forwardingTo, h2Server, sleep, until } from './h2-forward-helpers.js'

const TOTAL = 8 * 1024 * 1024
const CHUNK = Buffer.alloc(16 * 1024, 'x')
/** Windows (64 KiB a stream, per hop) and stream buffers (16 KiB each) add to a few hundred KiB. */
const BOUND = 1024 * 1024

/** Writes TOTAL bytes under backpressure; `written` counts what write() accepted. */
function pump(stream: ServerHttp2Stream | ClientHttp2Stream, state: { written: number }): void {
  const more = () => {
    while (state.written < TOTAL) {
      state.written += CHUNK.length
      const ok = stream.write(CHUNK)
      if (state.written >= TOTAL) {
        stream.end()
        return
      }
      if (!ok) {
        stream.once('drain', more)
        return
      }
    }
  }
  more()
}

t.test(
  'a client that does not read holds the backend back; reading again, all of it arrives',
  async (t) => {
    const state = { written: 0 }
    const backend = await h2Server((stream) => {
      stream.resume()
      stream.respond({ ':status': 200 })
      pump(stream, state)
    })
    const { front, session } = await forwardingTo(t, [backend], {
      front: { timeoutMs: 10_000 },
    })
    const stream = session.request({
      ':method': 'GET',
      ':path': '/big',
      ':authority': 'big',
      ':scheme': 'http',
    })
    stream.on('error', () => {})
    stream.pause()
    await until(() => state.written > 0)
    await sleep(400)
    const held = state.written
    t.ok(held < BOUND, `the backend wrote ${held} bytes of ${TOTAL} while the client read nothing`)
    let got = 0
    stream.on('data', (c: Buffer) => {
      got += c.length
    })
    stream.resume()
    await new Promise((resolve) => stream.on('close', resolve))
    t.equal(got, TOTAL, 'every byte arrived once the client read')
    t.match(front.results[0], { ok: true, status: 200 })
  },
)

t.test(
  'a backend that does not read holds the client back; reading again, all of it arrives',
  async (t) => {
    let backendStream: ServerHttp2Stream | undefined
    let received = 0
    const backend = await h2Server((stream) => {
      backendStream = stream
      stream.pause()
      stream.on('end', () => {
        stream.respond({ ':status': 200 })
        stream.end(String(received))
      })
    })
    const { session } = await forwardingTo(t, [backend], { front: { timeoutMs: 10_000 } })
    const stream = session.request({
      ':method': 'POST',
      ':path': '/up',
      ':authority': 'up',
      ':scheme': 'http',
    })
    stream.on('error', () => {})
    let answerBody = ''
    stream.setEncoding('utf8')
    stream.on('data', (d: string) => {
      answerBody += d
    })
    const state = { written: 0 }
    pump(stream, state)
    await until(() => backendStream !== undefined)
    await sleep(400)
    const held = state.written
    t.ok(
      held < BOUND,
      `the client could write ${held} bytes of ${TOTAL} while the backend read nothing`,
    )
    backendStream!.on('data', (c: Buffer) => {
      received += c.length
    })
    backendStream!.resume()
    await new Promise((resolve) => stream.on('close', resolve))
    t.equal(answerBody, String(TOTAL), 'the backend received every byte once it read')
  },
)

t.test('one stalled stream does not stall another on the same sessions', async (t) => {
  const state = { written: 0 }
  const backend = await h2Server((stream, headers) => {
    stream.resume()
    stream.respond({ ':status': 200 })
    if (headers[':path'] === '/big') pump(stream, state)
    else stream.end('small')
  })
  const { session } = await forwardingTo(t, [backend], {
    pool: { maxSessions: 1 },
    front: { timeoutMs: 10_000 },
  })
  const big = session.request({
    ':method': 'GET',
    ':path': '/big',
    ':authority': 'a',
    ':scheme': 'http',
  })
  big.on('error', () => {})
  big.pause()
  await until(() => state.written > 0)
  await sleep(200)
  const small = session.request({
    ':method': 'GET',
    ':path': '/small',
    ':authority': 'a',
    ':scheme': 'http',
  })
  let body = ''
  small.setEncoding('utf8')
  small.on('data', (d: string) => {
    body += d
  })
  await new Promise((resolve) => small.on('close', resolve))
  t.equal(body, 'small', 'the small answer came past the stalled one')
  // CANCEL: a NO_ERROR close would wait for the paused stream to be read to its end.
  big.close(constants.NGHTTP2_CANCEL)
})
