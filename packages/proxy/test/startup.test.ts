// switchyard-proxy's start as an operator meets it, through bin/switchyard-proxy.js: a port
// already in use, a router's or the admin's, is one line naming the config key to change and
// exit 1, with no stack trace in the log; --version prints the program and the version.
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { runBin, STACK_LINE } from '../../namerd/test/bin-helpers.js'
import { tempDir } from './interpret-helpers.js'

const PROXY_BIN = fileURLToPath(new URL('../bin/switchyard-proxy.js', import.meta.url))
const LOCAL = 'interpreter: {kind: local, dtab: "/svc => /$/inet/127.0.0.1/1"}'

t.test(
  'a port already in use is one line and exit 1, for a router and for the admin',
  async (t) => {
    const taken = createServer()
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done))
    t.teardown(() => taken.close())
    const { port } = taken.address() as AddressInfo
    const dir = await tempDir(t)
    const file = join(dir, 'proxy.yaml')

    await writeFile(
      file,
      `admin: {port: 0}\nrouters:\n  - ${LOCAL}\n    servers: [{port: ${port}}]\n`,
    )
    const router = await runBin(t, PROXY_BIN, ['--config', file])
    t.equal(router.code, 1)
    t.equal(
      router.stderr,
      `switchyard-proxy: cannot start: routers[0].servers[0]: listen EADDRINUSE: address already in use 127.0.0.1:${port}; stop what uses the port or change routers[0].servers[0].port\n`,
    )
    t.notMatch(router.stdout + router.stderr, STACK_LINE, 'no stack trace, in the log or on stderr')

    // The router listens first, then the admin fails.
    await writeFile(
      file,
      `admin: {port: ${port}}\nrouters:\n  - ${LOCAL}\n    servers: [{port: 0}]\n`,
    )
    const admin = await runBin(t, PROXY_BIN, ['--config', file])
    t.equal(admin.code, 1)
    t.equal(
      admin.stderr,
      `switchyard-proxy: cannot start: admin: listen EADDRINUSE: address already in use 127.0.0.1:${port}; stop what uses the port or change admin.port\n`,
    )
    t.notMatch(admin.stdout + admin.stderr, STACK_LINE, 'no stack trace, in the log or on stderr')
  },
)

t.test('--version prints "switchyard-proxy <version>"', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  const r = await runBin(t, PROXY_BIN, ['--version'])
  t.equal(r.code, 0)
  t.equal(r.stdout, `switchyard-proxy ${pkg.version}\n`)
})
