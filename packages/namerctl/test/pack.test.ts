// The packed namerctl installs on its own: `npm install -g` of the tarball, offline, into an
// empty prefix, gives a `namerctl` that runs against namerd with no workspace around it.
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { INTERNAL, tempDir } from './helpers.js'
import { startNamerdWithNames } from './names.js'

const PACK = fileURLToPath(new URL('../scripts/pack.mjs', import.meta.url))
const hasNpm = spawnSync('npm', ['--version']).status === 0

t.test(
  'npm install -g of the packed tarball gives a working namerctl, with no registry',
  { skip: hasNpm ? false : 'npm is not installed' },
  async (t) => {
    const dir = await tempDir(t)
    const out = execFileSync(process.execPath, [PACK, join(dir, 'out')], { encoding: 'utf8' })
    const tarball = out.trim().split('\n').at(-1)!
    t.match(tarball, /switchyard-namerctl-\d+\.\d+\.\d+\.tgz$/)
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    t.match(listing, 'package/bin/namerctl.js')
    t.notMatch(listing, 'node_modules', 'dependencies are bundled, not shipped')

    const prefix = join(dir, 'prefix')
    const cache = join(dir, 'npm-cache')
    const install = spawnSync(
      'npm',
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--offline',
        '--cache',
        cache,
        '--no-audit',
        '--no-fund',
        tarball,
      ],
      { encoding: 'utf8' },
    )
    t.equal(install.status, 0, install.stderr)
    const bin = join(prefix, 'bin', 'namerctl')
    // A PATH with node but without the workspace's node_modules/.bin.
    const env = { PATH: `${join(process.execPath, '..')}:/usr/bin:/bin`, HOME: dir }
    const help = spawnSync(bin, ['--help'], { encoding: 'utf8', env, cwd: dir })
    t.equal(help.status, 0, help.stderr)
    t.match(help.stdout, /^Usage: namerctl /)

    // Its names resolve: shift refuses destinations that do not.
    const namerd = await startNamerdWithNames(t)
    const create = spawnSync(bin, ['dtab', 'create', 'internal', '-', '--base-url', namerd.base], {
      encoding: 'utf8',
      env,
      cwd: dir,
      input: INTERNAL,
    })
    t.equal(create.status, 0, create.stderr)
    t.equal(create.stdout, 'Created internal\n')
    const shift = spawnSync(
      bin,
      ['shift', 'internal', '/host/world', '/tmp/world-v2=10', '/tmp/world-v1=90'],
      { encoding: 'utf8', env: { ...env, NAMERCTL_BASE_URL: namerd.base }, cwd: dir },
    )
    t.equal(shift.status, 0, shift.stderr)
    t.match(shift.stdout, /\+ \/host\/world => 10\.00\*\/tmp\/world-v2 & 90\.00\*\/tmp\/world-v1/)
  },
)
