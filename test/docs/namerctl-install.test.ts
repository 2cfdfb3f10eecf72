// namerctl installs as docs/namerctl.md says, with one command run from any folder:
// `bash <checkout>/packages/namerctl/scripts/install.sh --prefix DIR`. The installed namerctl
// runs with no workspace around it (another folder, a PATH without node_modules/.bin) against a
// real namerd. npm runs offline: the tarball needs no registry.
//
// On a fresh machine the `node` on the PATH is Node 20, older than namerctl's engines: there the
// same command also installs Node 24 from the npm registry for namerctl alone, and the
// installed namerctl runs on it with that same PATH. That test is the slow one (an npm install
// of a 30 MB Node tarball; seconds when npm's cache has it, as after scripts/setup.sh).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import t from 'tap'
import { portOf, ROOT, run } from '../e2e/processes.js'

const INSTALL = join(ROOT, 'packages/namerctl/scripts/install.sh')
const hasNpm = spawnSync('npm', ['--version']).status === 0

// The whole file may take a Node download when npm's cache is cold.
t.setTimeout(300_000)

/** The PATH of a machine with nothing installed but its own Node and npm. */
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin'
const ENGINES = (
  JSON.parse(readFileSync(join(ROOT, 'packages/namerctl/package.json'), 'utf8')) as {
    engines: { node: string }
  }
).engines.node

/** The machine's own node when it is older than namerctl's engines (Node 20 here), else why not. */
function oldSystemNode(): { node: string; version: string } | string {
  const found = spawnSync('sh', ['-c', 'command -v node'], {
    env: { PATH: SYSTEM_PATH },
    encoding: 'utf8',
  })
  const node = found.stdout.trim()
  if (found.status !== 0 || node === '') return `no node on ${SYSTEM_PATH}`
  const version = spawnSync(node, ['-p', 'process.versions.node'], {
    encoding: 'utf8',
  }).stdout.trim()
  if (!isOlder(version, ENGINES.replace(/^>=/, '')))
    return `${node} is Node ${version}, not older than ${ENGINES}`
  return { node, version }
}

/** Whether version a (x.y.z) comes before version b. */
function isOlder(a: string, b: string): boolean {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number)) as [number[], number[]]
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return d < 0
  }
  return false
}

/** Starts namerd (the workspace's, on the test's Node) and returns its base URL. */
async function startNamerd(t: Parameters<typeof run>[0], dir: string): Promise<string> {
  const namerd = run(t, 'namerd', process.execPath, [
    join(ROOT, 'packages/namerd/dist/main.js'),
    '--listen',
    '127.0.0.1:0',
    '--store',
    `file:${join(dir, 'store')}`,
  ])
  return `http://127.0.0.1:${portOf(await namerd.waitFor(/namerd listening/))}`
}

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

    // A new enough node: nothing extra (and npm, offline with an empty cache, could fetch nothing).
    t.notMatch(install.stdout, 'own Node')
    t.same(readdirSync(join(prefix, 'lib/node_modules/@switchyard/namerctl')).sort(), [
      'README.md',
      'bin',
      'dist',
      'package.json',
    ])

    const base = await startNamerd(t, dir)
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

const oldNode = oldSystemNode()

t.test(
  'on a machine whose node is too old (Node 20), install.sh installs namerctl with its own Node',
  { skip: !hasNpm ? 'npm is not installed' : typeof oldNode === 'string' ? oldNode : false },
  async (t) => {
    if (typeof oldNode === 'string') return
    const dir = mkdtempSync(join(tmpdir(), 'namerctl-install-old-node-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const prefix = join(dir, 'prefix')
    const bin = join(prefix, 'bin', 'namerctl')
    // The machine's own PATH: its old node first, no workspace, no .tools. npm keeps the user's
    // config and cache (HOME), which after scripts/setup.sh holds Node 24's package; it asks
    // the registry only for what the cache lacks.
    const env = {
      PATH: SYSTEM_PATH,
      HOME: process.env.HOME ?? dir,
      npm_config_prefer_offline: 'true',
    }
    const install = spawnSync('bash', [INSTALL, '--prefix', prefix], {
      cwd: dir,
      env,
      encoding: 'utf8',
      timeout: 240_000,
    })
    t.equal(install.status, 0, install.stderr)
    t.match(
      install.stderr,
      `the node on your PATH is ${oldNode.node} (${oldNode.version}), and namerctl needs ${ENGINES.slice(2)} or later: installing Node`,
    )
    t.match(install.stdout, `installed ${bin} (namerctl `)
    t.match(install.stdout, /on its own Node 24\.\d+\.\d+ in .*; your PATH's node is unchanged\)/)
    t.same(readdirSync(join(prefix, 'bin')), ['namerctl'], 'no node is added to the bin folder')

    // Run as the user would, with the same PATH (Node 20 first) and another folder.
    const runEnv = { PATH: `${join(prefix, 'bin')}:${SYSTEM_PATH}`, HOME: dir }
    const version = spawnSync('namerctl', ['--version'], {
      cwd: dir,
      env: runEnv,
      encoding: 'utf8',
    })
    t.equal(version.status, 0, version.stderr)
    t.match(version.stdout, /^namerctl \d+\.\d+\.\d+\n$/)

    const base = await startNamerd(t, dir)
    const ctl = (args: string[], input = '') =>
      spawnSync('namerctl', args, {
        cwd: dir,
        env: { ...runEnv, NAMERCTL_BASE_URL: base },
        input,
        encoding: 'utf8',
      })
    const create = ctl(['dtab', 'create', 'internal', '-'], '/svc => /$/inet/127.0.0.1/8081;\n')
    t.equal(create.status, 0, create.stderr)
    t.match(create.stdout, /^Created internal$/m)
    const get = ctl(['dtab', 'get', 'internal'])
    t.equal(get.status, 0, get.stderr)
    t.match(get.stdout, /^\/svc\s+=> \/\$\/inet\/127\.0\.0\.1\/8081 ;$/m)
  },
)

t.test('install.sh refuses an argument it does not know (exit 2, with its usage)', async (t) => {
  const res = spawnSync('bash', [INSTALL, '--prefx', '/tmp/x'], { encoding: 'utf8' })
  t.equal(res.status, 2)
  t.match(res.stderr, /unknown argument: --prefx\nusage: bash .*install\.sh \[--prefix DIR\]/)
})
