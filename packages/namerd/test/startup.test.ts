// namerd's start as an operator meets it, through bin/namerd.js: a config error points at the
// line, a flag from another program's habits is answered with namerd's own, a taken port is one
// line and exit 1, and --version prints the program and the version.
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { NAMERD_BIN, runBin, STACK_LINE } from './bin-helpers.js'
import { tempDir } from './helpers.js'

const namerd = (t: Parameters<typeof runBin>[0], args: readonly string[]) =>
  runBin(t, NAMERD_BIN, args)

t.test('a config error names file:line:column and the key, and exits 2', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'namerd.yaml')
  await writeFile(
    file,
    'store: memory\nauth:\n  tokens:\n    - {name: ci, scope: admin, token: 0123456789abcdef}\n',
  )
  const r = await namerd(t, ['--config', file])
  t.equal(r.code, 2)
  t.equal(r.stderr, `namerd: ${file}:4:25: auth.tokens[0].scope: must be "read" or "write"\n`)
})

t.test('--port is answered with the flag namerd takes, --listen, and exits 2', async (t) => {
  const r = await namerd(t, ['--port', '4180'])
  t.equal(r.code, 2)
  t.equal(
    r.stderr,
    "namerd: Unknown option '--port': namerd takes its address and port together, --listen 127.0.0.1:4180 (or 0.0.0.0:4180 for every interface)\nRun 'namerd --help' for usage and examples.\n",
  )
  const host = await namerd(t, ['--host=0.0.0.0'])
  t.equal(host.code, 2)
  t.match(
    host.stderr,
    "Unknown option '--host': namerd takes its address and port together, --listen 0.0.0.0:4180\n",
  )
  // twitter-server's flag for Linkerd's namerd admin port: namerd serves its admin paths on --listen.
  const admin = await namerd(t, ['-admin.port=:9991'])
  t.equal(admin.code, 2)
  t.match(admin.stderr, "Unknown option '-admin.port': namerd has no separate admin port")
  const typo = await namerd(t, ['--lisen', '127.0.0.1:4180'])
  t.equal(typo.code, 2)
  t.match(typo.stderr, "Unknown option '--lisen'; did you mean --listen?\n")
  // Linkerd's namerd takes its config file as its argument.
  const file = await namerd(t, ['namerd.yaml'])
  t.equal(file.code, 2)
  t.match(file.stderr, 'unexpected argument "namerd.yaml"; the config file goes after --config\n')
})

t.test('a port already in use is one line naming the address and --listen, exit 1', async (t) => {
  const taken = createServer()
  await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done))
  t.teardown(() => taken.close())
  const { port } = taken.address() as AddressInfo
  const r = await namerd(t, ['--store', 'memory', '--listen', `127.0.0.1:${port}`])
  t.equal(r.code, 1)
  t.equal(
    r.stderr,
    `namerd: cannot listen on 127.0.0.1:${port}: address already in use (another namerd?); pick another with --listen HOST:PORT\n`,
  )
  t.notMatch(r.stdout + r.stderr, STACK_LINE, 'no stack trace, in the log or on stderr')
})

t.test("an address that is not this host's is one line too", async (t) => {
  // 203.0.113.0/24 is TEST-NET-3 (RFC 5737), documentation only: not an address of this host.
  const r = await namerd(t, ['--store', 'memory', '--insecure', '--listen', '203.0.113.77:4180'])
  t.equal(r.code, 1)
  t.equal(
    r.stderr,
    'namerd: cannot listen on 203.0.113.77:4180: address not available (203.0.113.77 is not an address of this host); pick another with --listen HOST:PORT\n',
  )
  t.notMatch(r.stdout + r.stderr, STACK_LINE)
})

t.test('--version prints "namerd <version>"', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  const r = await namerd(t, ['--version'])
  t.equal(r.code, 0)
  t.equal(r.stdout, `namerd ${pkg.version}\n`)
})
