// The test services as programs, for tests that kill a backend or run the mesh as processes:
//   node --import tsx test/support/grpc/main.ts world --port 0 --version v1
//   node --import tsx test/support/grpc/main.ts hello --port 0 --proxy 127.0.0.1:4142
// Each logs one JSON line `{"msg":"<name> listening","port":N}` once it serves, as the
// examples/hello-world programs do, and stops on SIGTERM.
import { parseArgs } from 'node:util'
import { startHello } from './hello.js'
import { startWorld } from './world.js'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: '0' },
    version: { type: 'string', default: 'v1' },
    proxy: { type: 'string' },
  },
})
const which = positionals[0]
const port = Number(values.port)
if ((which !== 'world' && which !== 'hello') || !Number.isInteger(port)) {
  process.stderr.write('usage: main.ts world|hello [--port N] [--version V] [--proxy HOST:PORT]\n')
  process.exit(2)
}
if (which === 'hello' && values.proxy === undefined) {
  process.stderr.write('hello needs --proxy HOST:PORT: the proxy it calls world through\n')
  process.exit(2)
}
const backend =
  which === 'world'
    ? await startWorld({ version: values.version, port })
    : await startHello({ proxy: values.proxy ?? '', port })
process.stdout.write(
  `${JSON.stringify({ msg: `${which} listening`, port: backend.port, version: values.version })}\n`,
)
process.once('SIGTERM', () => {
  void backend.close().then(() => process.exit(0))
})
