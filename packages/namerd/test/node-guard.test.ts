// Every program refuses a Node older than its package.json engines, in one line and exit 1,
// before anything modern is loaded: its bin checks first. Run the way the issue found it, with
// the machine's own node (Node 20 here and in CI) first on PATH and node_modules/.bin/<program>.
// The engines of every package are the same, the root's, so the check means one thing.
import { execFileSync, spawn } from 'node:child_process'
import { accessSync, constants, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import t from 'tap'
import { ROOT, runBin } from './bin-helpers.js'

const PROGRAMS = [
  { name: 'namerd', pkg: 'namerd', bin: 'bin/namerd.js' },
  { name: 'switchyard-proxy', pkg: 'proxy', bin: 'bin/switchyard-proxy.js' },
  { name: 'namerctl', pkg: 'namerctl', bin: 'bin/namerctl.js' },
] as const

const engines = (dir: string): string =>
  (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { engines: { node: string } })
    .engines.node

const ROOT_ENGINES = engines(ROOT)
const MINIMUM = /^>=(\d+\.\d+\.\d+)$/.exec(ROOT_ENGINES)![1]!

const older = (a: string, b: string): boolean => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number))
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return x![i]! < y![i]!
  return false
}

/** A node on PATH (or the usual places) older than the engines allow, e.g. the system's. */
function oldNode(): { path: string; version: string } | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']
  for (const dir of dirs) {
    const path = join(dir, 'node')
    try {
      accessSync(path, constants.X_OK)
      if (realpathSync(path) === realpathSync(process.execPath)) continue
      const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim().slice(1)
      if (older(version, MINIMUM)) return { path, version }
    } catch {}
  }
  return null
}

t.test('every package asks for the same Node as the workspace', async (t) => {
  t.match(ROOT_ENGINES, /^>=\d+\.\d+\.\d+$/)
  for (const dir of readdirSync(join(ROOT, 'packages')))
    t.equal(engines(join(ROOT, 'packages', dir)), ROOT_ENGINES, dir)
})

const old = oldNode()
t.test(
  `node_modules/.bin/<program> on the machine's older Node says so and exits 1`,
  { skip: old === null ? `no node older than ${MINIMUM} on this machine` : false },
  async (t) => {
    const { path, version } = old!
    for (const p of PROGRAMS) {
      // The shims pnpm writes run `node` from PATH: the old one first, as on a fresh machine.
      const child = spawn(join(ROOT, 'node_modules/.bin', p.name), ['--version'], {
        env: { ...process.env, PATH: `${dirname(path)}${delimiter}${process.env.PATH ?? ''}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => {
        stdout += d
      })
      child.stderr.on('data', (d: Buffer) => {
        stderr += d
      })
      const code = await new Promise<number | null>((done) => child.once('close', done))
      const r = { code, stdout, stderr }
      t.equal(r.code, 1, p.name)
      t.equal(r.stdout, '', `${p.name} ran nothing`)
      t.equal(
        r.stderr,
        `${p.name}: needs Node ${MINIMUM} or later, and this is Node ${version} (${realpathSync(path)}); run it with a newer node\n`,
        p.name,
      )
    }
  },
)

t.test('the check is at the boundary the engines give', async (t) => {
  // The running node, told it is one patch older than the minimum, then exactly the minimum.
  const [major, minor, patch] = MINIMUM.split('.').map(Number)
  const below = patch! > 0 ? `${major}.${minor}.${patch! - 1}` : `${major}.${minor! - 1}.99`
  const pretend = (v: string) =>
    `--import=data:text/javascript,Object.defineProperty(process.versions,'node',{value:'${v}'})`
  for (const p of PROGRAMS) {
    const bin = join(ROOT, 'packages', p.pkg, p.bin)
    const refused = await runBin(t, bin, ['--version'], { nodeArgs: [pretend(below)] })
    t.equal(refused.code, 1, `${p.name} on ${below}`)
    t.match(refused.stderr, `${p.name}: needs Node ${MINIMUM} or later, and this is Node ${below}`)
    const accepted = await runBin(t, bin, ['--version'], { nodeArgs: [pretend(MINIMUM)] })
    t.equal(accepted.code, 0, `${p.name} on ${MINIMUM}`)
    t.match(accepted.stdout, new RegExp(`^${p.name} \\d+\\.\\d+\\.\\d+\\n$`))
  }
})

t.test('the packed namerctl (npm install -g of the tarball) checks too', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'namerctl-pack-guard-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const pack = join(ROOT, 'packages/namerctl/scripts/pack.mjs')
  const tarball = execFileSync(process.execPath, [pack, dir], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .at(-1)!
  execFileSync('tar', ['-xzf', tarball, '-C', dir])
  const bin = join(dir, 'package/bin/namerctl.js')
  const refused = await runBin(t, bin, ['--version'], {
    nodeArgs: [
      `--import=data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.0.0'})`,
    ],
  })
  t.equal(refused.code, 1)
  t.match(refused.stderr, `namerctl: needs Node ${MINIMUM} or later, and this is Node 20.0.0`)
  const ok = await runBin(t, bin, ['--version'])
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /^namerctl \d+\.\d+\.\d+\n$/)
})
