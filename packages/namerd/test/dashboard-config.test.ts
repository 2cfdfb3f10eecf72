// Where the dashboard is, said by namerd itself: `--check` names its URL or why it is off,
// the start log names its URL (or why it is not served), and the help shows how to move it.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { HELP } from '../src/cli.js'
import { dashboardDist, loadAssets } from '../src/dashboard/assets.js'
import { describeDashboard } from '../src/dashboard/describe.js'
import { TrafficScraper } from '../src/dashboard/traffic-scraper.js'
import { WatcherRegistry } from '../src/watchers.js'
import { runNamerd, startProcess, tempDir } from './helpers.js'

const dashboardLine = (stdout: string) =>
  stdout.split('\n').find((l) => l.startsWith('  dashboard:'))

// The page served at `where`. The built files are shared by everyone building in this checkout
// (tap's `before` rebuilds them, removing dist/ first), so a run may land while they are being
// written: then the line must say they are not built and how to build them, nothing else.
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const served = (where: string) =>
  new RegExp(
    `^(?:${literal(where)} \\(files from ${literal(dashboardDist() ?? '')}\\)|not served at ${literal(where)}: .*run pnpm build)$`,
  )

t.test('--check names the dashboard URL (as the start log), or what turned it off', async (t) => {
  const on = await runNamerd(['--check', '--store', 'memory'])
  t.equal(on.code, 0, on.stderr)
  t.match(dashboardLine(on.stdout)?.slice('  dashboard: '.length), served('http://127.0.0.1:4180/'))

  const flag = await runNamerd(['--check', '--store', 'memory', '--no-dashboard'])
  t.equal(dashboardLine(flag.stdout), '  dashboard: off (--no-dashboard)')
  const env = await runNamerd(['--check', '--store', 'memory'], {
    SWITCHYARD_NAMERD_DASHBOARD: 'false',
  })
  t.equal(dashboardLine(env.stdout), '  dashboard: off (SWITCHYARD_NAMERD_DASHBOARD=false)')

  const dir = await tempDir(t)
  const off = join(dir, 'off.yaml')
  await writeFile(off, 'store: memory\ndashboard: {enabled: false}\n')
  const file = await runNamerd(['--check', '--config', off])
  t.equal(
    dashboardLine(file.stdout),
    '  dashboard: off (dashboard.enabled: false in the config file)',
  )
  const moved = join(dir, 'moved.yaml')
  await writeFile(moved, 'store: memory\ndashboard: {path: /dashboard}\n')
  const at = await runNamerd(['--check', '--config', moved])
  t.match(
    dashboardLine(at.stdout)?.slice('  dashboard: '.length),
    served('http://127.0.0.1:4180/dashboard/'),
  )
})

t.test("the start log names the dashboard's URL, or that it is off", async (t) => {
  const on = await startProcess(t, ['--store', 'memory', '--listen', '127.0.0.1:0'])
  const line = on.output.find((l) => l.includes('"namerd listening"'))!
  const logged = JSON.parse(line) as { dashboard: string }
  t.match(logged.dashboard, served(`${on.base}/`))
  await on.stop()

  const off = await startProcess(t, [
    '--store',
    'memory',
    '--listen',
    '127.0.0.1:0',
    '--no-dashboard',
  ])
  const offLine = off.output.find((l) => l.includes('"namerd listening"'))!
  t.equal((JSON.parse(offLine) as { dashboard: string }).dashboard, 'off (--no-dashboard)')
  await off.stop()
})

t.test('files not built: the line says so and how to build them', async (t) => {
  const empty = await tempDir(t)
  const text = describeDashboard({ dashboard: { path: '/' } }, loadAssets(empty), 'http://h:1')
  t.match(
    text,
    /^not served at http:\/\/h:1\/: the dashboard's files are not built in .*: run pnpm build$/,
  )
})

t.test('--check says who may read and write, as the start log does', async (t) => {
  const dir = await tempDir(t)
  const tokenLine = async (yaml: string) => {
    const file = join(dir, 'auth.yaml')
    await writeFile(file, `store: memory\n${yaml}`)
    const r = await runNamerd(['--check', '--config', file])
    t.equal(r.code, 0, r.stderr)
    return r.stdout.split('\n').find((l) => l.startsWith('  tokens:'))
  }
  const w = `{name: ci, scope: write, token: "${'w'.repeat(20)}"}`
  t.equal(await tokenLine(''), '  tokens: 0 (writes: open, reads: open)')
  t.equal(await tokenLine(`auth: {tokens: [${w}]}\n`), '  tokens: 1 (writes: token, reads: token)')
  t.equal(
    await tokenLine(`auth: {tokens: [${w}], anonymousReads: true}\n`),
    '  tokens: 1 (writes: token, reads: open)',
  )
})

t.test('the help says what namerd reads from proxies, and what l5d-why is', async (t) => {
  t.match(HELP, /namerd reads the proxies' admin ports/)
  t.match(HELP, /\/admin\/routers\.json +GET \/api\/1\/proxy-status/)
  t.match(HELP, /\/admin\/metrics\/snapshot\.json +rollouts' analysis/)
  t.match(HELP, /the overview never waits for a proxy/)
  t.match(HELP, /header l5d-why: <text>, recorded in its history entry/)
  t.match(HELP, /curl -s localhost:4180\/api\/1\/proxy-status\/default/)
  t.match(HELP, /--check names its URL/)
})

t.test('the help shows the dashboard endpoints and how to move the page', async (t) => {
  t.match(HELP, /dashboard: \{enabled: true, path: \/dashboard\/\}/)
  for (const path of ['/api/1/whoami', '/api/1/overview', '/api/1/traffic/default'])
    t.match(HELP, path)
  t.match(HELP, /--no-dashboard/)
})

t.test('the traffic scraper stops reading a namespace nobody asked about for idleMs', async (t) => {
  let now = 1_000_000
  const scraper = new TrafficScraper({
    watchers: new WatcherRegistry(),
    intervalMs: 10,
    idleMs: 1000,
    now: () => now,
  })
  t.teardown(() => scraper.close())
  await scraper.want('web', 500)
  t.same(scraper.wanted, ['web'])
  now += 500
  await scraper.want('web', 500)
  await new Promise((r) => setTimeout(r, 50))
  t.same(scraper.wanted, ['web'], 'still asked about within idleMs')
  now += 1001
  await new Promise((r) => setTimeout(r, 50))
  t.same(scraper.wanted, [], 'dropped after idleMs without a request')
  t.same(scraper.listed('web'), [])
})
