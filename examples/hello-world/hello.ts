// hello: calls world through the proxy, as every service in the mesh does. It sends
// `Host: world` to its node's proxy and forwards the `l5d-ctx-*` headers it received, so a
// per-request override (`l5d-dtab` at the edge, `l5d-ctx-dtab` after it) follows the request
// to world: that is the application's one duty in Linkerd's model.
//
//   node --import tsx examples/hello-world/hello.ts --port 7000 --proxy http://127.0.0.1:4140
import { Agent, createServer, request } from 'node:http'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    proxy: { type: 'string', default: 'http://127.0.0.1:4140' },
    /** The name hello asks the proxy for. */
    target: { type: 'string', default: 'world' },
  },
})
const proxy = new URL(values.proxy)
const agent = new Agent({ keepAlive: true, maxSockets: 64 })

function callWorld(context: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: proxy.hostname,
        port: Number(proxy.port),
        path: '/',
        agent,
        headers: { host: values.target, ...context },
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          body += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

const server = createServer((req, res) => {
  req.resume()
  const context: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('l5d-ctx-') && typeof value === 'string') context[name] = value
  }
  callWorld(context).then(
    ({ status, body }) => {
      let world: unknown = body.trim()
      try {
        world = JSON.parse(body)
      } catch {}
      res.writeHead(status === 200 ? 200 : 502, { 'content-type': 'application/json' })
      res.end(`${JSON.stringify({ service: 'hello', world, worldStatus: status })}\n`)
    },
    (err: Error) => {
      res.writeHead(502, { 'content-type': 'application/json' })
      res.end(`${JSON.stringify({ service: 'hello', error: err.message })}\n`)
    },
  )
})
server.keepAliveTimeout = 60_000
server.listen(Number(values.port), values.host, () => {
  const a = server.address()
  const port = typeof a === 'object' && a !== null ? a.port : 0
  process.stdout.write(`${JSON.stringify({ msg: 'hello listening', port })}\n`)
})
const stop = () => server.close(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
