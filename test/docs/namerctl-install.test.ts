// namerctl installs as docs/namerctl.md says, with one command run from any folder:
// `bash <checkout>/packages/namerctl/scripts/install.sh --prefix DIR`. The installed namerctl
// runs with no workspace around it (another folder, a PATH without node_modules/.bin) against a
// real namerd. npm runs offline: the tarball needs no registry.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import t from 'tap'
import { portOf, ROOT, run } from '../e2e/processes.js'

const INSTALL = join(ROOT, 'packages/namerctl/scripts/install.sh')
const hasNpm = spawnSync('npm', ['--version']).status === 0

t.test(
  'install.sh --prefix, from another folder, gives a namerctl that works anywhere',
  { skip: hasNpm ? false : 'npm is not installed' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'namerctl-install-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const prefix = join(dir, 'prefix')
    // The test's Node first (the shebang's `env node`), then the system's, for npm; no workspace.
    const env = {
      PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: dir,
      npm_config_cache: join(dir, 'npm-cache'),
      npm_config_offline: 'true',
    }
    const install = spawnSync('bash', [INSTALL, '--prefix', prefix], {
      cwd: dir,
      env,
      encoding: 'utf8',
    })
    t.equal(install.status, 0, install.stderr)
    const bin = join(prefix, 'bin', 'namerctl')
    t.match(install.stdout, `installed ${bin} (namerctl `)

    const version = spawnSync(bin, ['--version'], { cwd: dir, env, encoding: 'utf8' })
    t.equal(version.status, 0, version.stderr)
    t.match(version.stdout, /^namerctl \d+\.\d+\.\d+\n$/)

    const namerd = run(t, 'namerd', process.execPath, [
      join(ROOT, 'packages/namerd/dist/main.js'),
      '--listen',
      '127.0.0.1:0',
      '--store',
      `file:${join(dir, 'store')}`,
    ])
    const base = `http://127.0.0.1:${portOf(await namerd.waitFor(/namerd listening/))}`
    const ctl = (args: string[], input = '') =>
      spawnSync(bin, args, {
        cwd: dir,
        env: { ...env, NAMERCTL_BASE_URL: base },
        input,
        encoding: 'utf8',
      })
    const create = ctl(['dtab', 'create', 'internal', '-'], '/svc => /$/inet/127.0.0.1/8081;\n')
    t.equal(create.status, 0, create.stderr)
    t.match(create.stdout, /^Created internal$/m)
    const list = ctl(['dtab', 'list'])
    t.equal(list.status, 0, list.stderr)
    t.equal(list.stdout, 'internal\n')
  },
)

t.test('install.sh refuses an argument it does not know (exit 2, with its usage)', async (t) => {
  const res = spawnSync('bash', [INSTALL, '--prefx', '/tmp/x'], { encoding: 'utf8' })
  t.equal(res.status, 2)
  t.match(res.stderr, /unknown argument: --prefx\nusage: bash .*install\.sh \[--prefix DIR\]/)
})
