// Configuration and the command line itself: where namerd is (flag, environment, a
// .namerctl.yaml in a parent folder), tokens, and usage errors with exit status 2.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { fetchHistory, runCli, startNamerd, tempDir } from './helpers.js'

t.test(
  'the base URL comes from the flag, then NAMERCTL_BASE_URL, then .namerctl.yaml in a parent',
  async (t) => {
    const namerd = await startNamerd(t)
    await namerd.cli(['dtab', 'create', 'ns', '-'], { stdin: '/a => /b' })
    const root = await tempDir(t)
    const deep = join(root, 'a', 'b')
    await mkdir(deep, { recursive: true })
    await writeFile(join(root, '.namerctl.yaml'), `base-url: ${namerd.base}\n`)

    const fromFile = await runCli(['dtab', 'list'], { cwd: deep })
    t.equal(fromFile.code, 0, fromFile.stderr)
    t.equal(fromFile.stdout, 'ns\n')

    const envWins = await runCli(['dtab', 'list'], {
      cwd: deep,
      env: { NAMERCTL_BASE_URL: 'http://127.0.0.1:9' },
    })
    t.equal(envWins.code, 1)
    t.match(envWins.stderr, /cannot reach namerd at http:\/\/127\.0\.0\.1:9/)

    const flagWins = await runCli(['--base-url', namerd.base, 'dtab', 'list'], {
      cwd: deep,
      env: { NAMERCTL_BASE_URL: 'http://127.0.0.1:9' },
    })
    t.equal(flagWins.stdout, 'ns\n')

    const explicit = join(root, 'other.yaml')
    await writeFile(explicit, 'base-url: http://127.0.0.1:9\n')
    const configFlag = await runCli(['dtab', 'list', '--config', explicit], { cwd: deep })
    t.match(configFlag.stderr, /127\.0\.0\.1:9/)
  },
)

t.test("no base URL, or a bad one, is a usage error (exit 2) with namerctl's text", async (t) => {
  const dir = await tempDir(t)
  const none = await runCli(['dtab', 'list'], { cwd: dir })
  t.equal(none.code, 2)
  t.match(none.stderr, /^Error: empty base URL\n/)
  const bad = await runCli(['dtab', 'list', '--base-url', 'namerd:4180x'], { cwd: dir })
  t.equal(bad.code, 2)
  t.match(bad.stderr, /^Error: invalid base URL: namerd:4180x\n/)
})

t.test('tokens: --token or NAMERCTL_TOKEN is sent as a bearer token', async (t) => {
  const write = 'ci-secret-0123456789abcdef'
  const namerd = await startNamerd(t, ['--store', 'memory'], {
    SWITCHYARD_NAMERD_TOKENS: `ci:write:${write}`,
  })
  const anonymous = await namerd.cli(['dtab', 'create', 'ns', '-'], { stdin: '/a => /b' })
  t.equal(anonymous.code, 1)
  t.match(anonymous.stderr, /^Error: unexpected response: 401 Unauthorized\n/)
  t.match(anonymous.stderr, /pass --token <token> or set NAMERCTL_TOKEN/)

  const flag = await namerd.cli(['dtab', 'create', 'ns', '-', '--token', write], {
    stdin: '/a => /b',
  })
  t.equal(flag.code, 0, flag.stderr)
  const env = await namerd.cli(['dtab', 'get', 'ns'], { env: { NAMERCTL_TOKEN: write } })
  t.equal(env.code, 0, env.stderr)
  const history = await fetchHistory(namerd.base, 'ns', write)
  t.equal(history[0]?.who, 'ci', "namerd recorded the token's name as the writer")
  const wrong = await namerd.cli(['dtab', 'list', '--token', 'wrong-token-000000000'])
  t.match(wrong.stderr, /the token was refused/)
})

t.test(
  'usage errors exit 2: unknown command, unknown option, missing argument, bad -o',
  async (t) => {
    for (const args of [
      ['dtab', 'lis'],
      ['dtab', 'get'],
      ['dtab', 'get', 'ns', '--bogus'],
      ['dtab', 'get', 'ns', '-o', 'xml'],
      ['frobnicate'],
    ]) {
      const r = await runCli(args, { env: { NAMERCTL_BASE_URL: 'http://127.0.0.1:9' } })
      t.equal(r.code, 2, args.join(' '))
      t.match(r.stderr, /^Error: /, args.join(' '))
    }
  },
)
