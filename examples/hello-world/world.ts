// world: the service being upgraded. Answers who it is; `--failure-rate` makes a share of
// requests fail with 500, to show a bad release and the rollback.
//
//   node --import tsx examples/hello-world/world.ts --port 7001 --version v1
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    version: { type: 'string', default: 'v1' },
    'failure-rate': { type: 'string', default: '0' },
  },
})
const failureRate = Number(values['failure-rate'])
const version = values.version

const server = createServer((req, res) => {
  req.resume()
  if (Math.random() < failureRate) {
    res.writeHead(500, { 'content-type': 'application/json' })
    res.end(`${JSON.stringify({ service: 'world', version, error: 'simulated failure' })}\n`)
    return
  }
  res.writeHead(200, { 'content-type': 'application/json', 'x-world-version': version })
  res.end(`${JSON.stringify({ service: 'world', version })}\n`)
})
server.keepAliveTimeout = 60_000
server.listen(Number(values.port), values.host, () => {
  const a = server.address()
  const port = typeof a === 'object' && a !== null ? a.port : 0
  process.stdout.write(`${JSON.stringify({ msg: 'world listening', version, port })}\n`)
})
const stop = () => server.close(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
