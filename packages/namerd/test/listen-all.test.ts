// `--listen :PORT` is every interface, as a Go or twitter-server user (`-admin.port=:9990`)
// writes it, where namerd refused it as "not HOST:PORT" while accepting `4180`. Every interface
// is not loopback, so namerd still refuses to serve there without a write token (or
// --insecure). The real command, bin/namerd.js.
import t from 'tap'
import { NAMERD_BIN, startBin } from './bin-helpers.js'

t.test(
  '--listen :PORT without a write token is refused as an exposure, not as a typo',
  async (t) => {
    const namerd = startBin(t, NAMERD_BIN, ['--store', 'memory', '--listen', ':0'])
    const { code, stderr } = await namerd.finished
    t.equal(code, 2, 'as for 0.0.0.0:PORT')
    t.match(
      stderr,
      /^namerd: refusing to serve on 0\.0\.0\.0, which is not a loopback address, without a write token/,
    )
    t.notMatch(stderr, 'is not HOST:PORT')
  },
)

t.test('--listen :PORT with --insecure serves on every interface', async (t) => {
  const namerd = startBin(t, NAMERD_BIN, ['--store', 'memory', '--listen', ':0', '--insecure'])
  const { address } = (await namerd.logLine('namerd listening')) as { address: string }
  t.match(address, /^0\.0\.0\.0:[0-9]+$/)
  const port = address.split(':')[1]
  const res = await fetch(`http://127.0.0.1:${port}/admin/ping`)
  t.equal(await res.text(), 'pong')
})

t.test('--help says what :PORT means', async (t) => {
  const { code, stdout } = await startBin(t, NAMERD_BIN, ['--help']).finished
  t.equal(code, 0)
  t.match(stdout, ':4180 is every interface (0.0.0.0)')
})

// `*:PORT` (nginx's, and many a habit's, every interface) passed --check and then failed to
// start with "the host name * does not resolve": a check that could not check. It is every
// interface now, with the same exposure guard as `:PORT`.
t.test('--listen *:PORT is every interface, checked and served alike', async (t) => {
  const check = await startBin(t, NAMERD_BIN, [
    '--store',
    'memory',
    '--listen',
    '*:0',
    '--insecure',
    '--check',
  ]).finished
  t.equal(check.code, 0, check.stderr)
  const namerd = startBin(t, NAMERD_BIN, ['--store', 'memory', '--listen', '*:0', '--insecure'])
  const { address } = (await namerd.logLine('namerd listening')) as { address: string }
  t.match(address, /^0\.0\.0\.0:[0-9]+$/)
  const port = address.split(':')[1]
  t.equal(await (await fetch(`http://127.0.0.1:${port}/admin/ping`)).text(), 'pong')

  const exposed = await startBin(t, NAMERD_BIN, ['--store', 'memory', '--listen', '*:0', '--check'])
    .finished
  t.equal(exposed.code, 2, 'without a write token, as for :PORT')
  t.match(exposed.stderr, /refusing to serve on 0\.0\.0\.0, which is not a loopback address/)
})

// `--listen 4180` was accepted and `listen: 4180` in the file refused ("expected string,
// received number"): YAML reads a bare port as a number. Both mean 127.0.0.1:4180.
t.test('listen: PORT in the config file means what --listen PORT means', async (t) => {
  const dir = t.testdir({ 'namerd.yaml': 'listen: 0\nstore: memory\n' })
  const check = await startBin(t, NAMERD_BIN, ['--config', 'namerd.yaml', '--check'], { cwd: dir })
    .finished
  t.equal(check.code, 0, check.stderr)
  const namerd = startBin(t, NAMERD_BIN, ['--config', 'namerd.yaml'], { cwd: dir })
  const { address } = (await namerd.logLine('namerd listening')) as { address: string }
  t.match(address, /^127\.0\.0\.1:[0-9]+$/)

  const badDir = t.testdir({ 'namerd.yaml': 'listen: 70000\nstore: memory\n' })
  const bad = await startBin(t, NAMERD_BIN, ['--config', 'namerd.yaml', '--check'], {
    cwd: badDir,
  }).finished
  t.equal(bad.code, 2)
  t.match(bad.stderr, /listen: "70000" is not HOST:PORT/)
})
