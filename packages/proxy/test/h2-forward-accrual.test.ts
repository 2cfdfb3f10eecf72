// How forwarded streams count for failure accrual: resets, 5xx and gRPC's server faults
// (UNAVAILABLE, INTERNAL, DATA_LOSS, no grpc-status) count against the endpoint; an
// application's answer (grpc-status NOT_FOUND, a 404) does not; a client's own cancel is ignored.
import { constants, type ServerHttp2Stream } from 'node:http2'
import t from 'tap'
import { seeded } from './forward-helpers.js'
import { ask, closeSession, h2Client, h2Connect, h2Front, h2Server } from './h2-forward-helpers.js'

const GET = { ':method': 'GET', ':path': '/', ':authority': 'svc', ':scheme': 'http' }
const GRPC = {
  ':method': 'POST',
  ':path': '/pkg.Svc/Call',
  ':authority': 'svc',
  ':scheme': 'http',
  'content-type': 'application/grpc',
}

function grpcStatus(stream: ServerHttp2Stream, status: string): void {
  stream.resume()
  stream.respond(
    { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': status },
    { endStream: true },
  )
}

async function world(sick: (stream: ServerHttp2Stream) => void) {
  const good = await h2Server((stream) => {
    stream.resume()
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '0' },
      { endStream: true },
    )
  })
  const bad = await h2Server(sick)
  const client = h2Client([bad.port, good.port], {}, seeded(3))
  const front = await h2Front(client, { maxRetries: 0 })
  const session = await h2Connect(front.port)
  const close = async () => {
    await closeSession(session)
    await front.close()
    await client.close()
    await good.close()
    await bad.close()
  }
  const badKey = `127.0.0.1:${bad.port}`
  const ejected = () => client.endpoints().find((e) => e.endpoint === badKey)?.ejected
  return { session, front, close, badKey, ejected, client }
}

for (const [name, sick, headers] of [
  ['resets every stream', (s: ServerHttp2Stream) => s.close(constants.NGHTTP2_INTERNAL_ERROR), GET],
  [
    'answers 503',
    (s: ServerHttp2Stream) => {
      s.resume()
      s.respond({ ':status': 503 })
      s.end()
    },
    GET,
  ],
  [
    'answers grpc-status 14 (UNAVAILABLE) with a body too large to replay',
    (s: ServerHttp2Stream) => grpcStatus(s, '14'),
    GRPC,
  ],
  ['answers grpc-status 13 (INTERNAL)', (s: ServerHttp2Stream) => grpcStatus(s, '13'), GRPC],
] as const) {
  t.test(`an endpoint that ${name} is ejected after 5 failures in a row`, async (t) => {
    const w = await world(sick)
    t.teardown(w.close)
    const body = headers === GRPC ? Buffer.alloc(70 * 1024) : undefined
    let i = 0
    while (!w.ejected() && i < 60) {
      await ask(w.session, headers, body)
      i++
    }
    t.ok(w.ejected(), `ejected after ${i} requests`)
    const onBad = w.front.results.filter((r) => r.endpoint === w.badKey).length
    t.equal(onBad, 5, 'five failures on it')
  })
}

t.test(
  'an application answer (grpc-status 5 NOT_FOUND) does not count against the endpoint',
  async (t) => {
    const w = await world((s) => grpcStatus(s, '5'))
    t.teardown(w.close)
    for (let i = 0; i < 30; i++) await ask(w.session, GRPC, 'm')
    t.ok(w.front.results.filter((r) => r.endpoint === w.badKey).length > 5, 'it answered many')
    t.notOk(w.ejected(), 'not ejected')
  },
)
