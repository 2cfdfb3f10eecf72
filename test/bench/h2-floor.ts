// Node's own floor for an HTTP/2 proxy: an h2c server that forwards every stream on one h2c
// session per backend (round robin), copying the request's headers, piping both bodies and
// passing trailers, and deciding nothing (no routing, no metrics, no header rules). Whatever
// a node proxy does per stream costs at least this. Started with the proxy's node flags:
//   node [flags] test/bench/h2-floor.ts <port> <backend port>...
// (node runs this file itself: its types are erasable.)
import {
  type ClientHttp2Session,
  connect,
  createServer,
  constants as h2,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2'

const [port, ...backendPorts] = process.argv.slice(2).map(Number)
const sessions: (ClientHttp2Session | undefined)[] = backendPorts.map(() => undefined)
let next = 0

function session(i: number): ClientHttp2Session {
  const s = sessions[i]
  if (s && !s.closed && !s.destroyed) return s
  const fresh = connect(`http://127.0.0.1:${backendPorts[i]}`)
  fresh.on('error', () => {})
  fresh.on('close', () => {
    if (sessions[i] === fresh) sessions[i] = undefined
  })
  sessions[i] = fresh
  return fresh
}

const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
])
function copy(headers: IncomingHttpHeaders, pseudo: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(headers)) {
    if (HOP.has(k) || (!pseudo && k.startsWith(':'))) continue
    out[k] = v
  }
  return out
}

const server = createServer({ settings: { maxConcurrentStreams: 1000 } })
server.on('stream', (inbound, headers) => {
  const i = next
  next = (next + 1) % backendPorts.length
  const upstream = session(i).request(copy(headers, true), { waitForTrailers: false })
  inbound.pipe(upstream)
  upstream.on('response', (h) => {
    inbound.respond(copy(h, false) as OutgoingHttpHeaders, { waitForTrailers: true })
    upstream.pipe(inbound)
  })
  let trailers: OutgoingHttpHeaders = {}
  upstream.on('trailers', (t) => {
    trailers = copy(t, false)
  })
  inbound.on('wantTrailers', () => inbound.sendTrailers(trailers))
  upstream.on('error', () => inbound.close(h2.NGHTTP2_INTERNAL_ERROR))
  inbound.on('error', () => upstream.close(h2.NGHTTP2_CANCEL))
  inbound.on('close', () => {
    if (!upstream.closed) upstream.close(h2.NGHTTP2_CANCEL)
  })
})
server.listen(port, '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
