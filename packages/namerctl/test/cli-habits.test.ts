// Small habits of the command line: a base URL without a scheme, the version's form, and one
// renderer for delegation trees (`pnpm explain` draws them as `namerctl delegate` does).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { runExplain } from '../../../test/scripts/explain-process.js'
import { VERSION } from '../src/version.js'
import { runCli, startNamerd, tempDir } from './helpers.js'
import { createNs } from './namerd-writes.js'

t.test('a base URL without a scheme is taken as http://, from flag, env and file', async (t) => {
  const namerd = await startNamerd(t)
  await createNs(namerd.base, 'ns', '/a => /b')
  const bare = namerd.base.replace(/^http:\/\//, '')
  const flag = await runCli(['--base-url', bare, 'dtab', 'list'])
  t.equal(flag.code, 0, flag.stderr)
  t.equal(flag.stdout, 'ns\n')
  const env = await runCli(['dtab', 'list'], { env: { NAMERCTL_BASE_URL: bare } })
  t.equal(env.stdout, 'ns\n', env.stderr)
  const dir = await tempDir(t)
  await writeFile(join(dir, '.namerctl.yaml'), `base-url: ${bare}\n`)
  const file = await runCli(['dtab', 'list'], { cwd: dir })
  t.equal(file.stdout, 'ns\n', file.stderr)
})

t.test('a clearly bad base URL is a usage error (exit 2) naming where it came from', async (t) => {
  const dir = await tempDir(t)
  for (const bad of ['ftp://namerd:4180', 'http://', 'namerd :4180', ':4180']) {
    const r = await runCli(['dtab', 'list', '--base-url', bad], { cwd: dir })
    t.equal(r.code, 2, bad)
    t.match(r.stderr, `Error: invalid base URL: ${bad}\n`, bad)
  }
  const env = await runCli(['dtab', 'list'], { cwd: dir, env: { NAMERCTL_BASE_URL: ':4180' } })
  t.equal(env.code, 2)
  t.match(env.stderr, /from NAMERCTL_BASE_URL/)
})

t.test('--version prints "namerctl <version>", as namerd and the proxy do', async (t) => {
  for (const flag of ['--version', '-V']) {
    const r = await runCli([flag])
    t.equal(r.code, 0)
    t.equal(r.stdout, `namerctl ${VERSION}\n`)
  }
})

async function explain(args: readonly string[], stdin: string): Promise<string> {
  return (await runExplain(args, stdin)).out
}

t.test('pnpm explain draws the delegation tree exactly as namerctl delegate does', async (t) => {
  const dtab =
    '/svc=>/host;/host/world=>/tmp/world-v1|/tmp/world-v2;/host/split=>1*/tmp/a & 3*/tmp/b'
  const namerd = await startNamerd(t)
  await createNs(namerd.base, 'ns', dtab)
  for (const [path, mark] of [
    ['/svc/world', '├─ #1 /tmp/world-v1'],
    ['/svc/split', '├─ 1.00 (25%) /tmp/a'],
  ] as const) {
    const delegated = await namerd.cli(['delegate', 'ns', path])
    t.equal(delegated.code, 0, delegated.stderr)
    t.match(delegated.stdout, mark, `${path}: namerctl's tree has its alt and union branches`)
    const explained = await explain(['-', path], dtab)
    t.ok(
      explained.includes(delegated.stdout),
      `${path}: explain's tree is namerctl's, line for line`,
    )
  }
})
