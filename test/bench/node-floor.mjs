// The smallest proxy node can run: each client connection piped, byte for byte, to its own
// connection to a backend (round robin), with no parsing, routing, logging or metrics. The
// proxy bench runs it beside switchyard-proxy, started with the same node flags, so its memory
// is the floor any node proxy starts from on this machine. Plain JavaScript: node running a
// .ts file loads its type stripper, 20 MB that would be counted against the floor.
// Usage: node node-floor.mjs <listen-port> <backend-port>...
import { connect, createServer } from 'node:net'

const [listen, ...backends] = process.argv.slice(2).map(Number)
if (listen === undefined || backends.length === 0) {
  console.error('usage: node node-floor.mjs <listen-port> <backend-port>...')
  process.exit(2)
}
let next = 0
createServer((client) => {
  const backend = connect(backends[next++ % backends.length], '127.0.0.1')
  client.pipe(backend).pipe(client)
  client.on('error', () => backend.destroy())
  backend.on('error', () => client.destroy())
}).listen(listen, '127.0.0.1')
