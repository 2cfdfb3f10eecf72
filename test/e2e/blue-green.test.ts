// The blue-green flow end to end, every program a real process on loopback: namerd on the
// file store with an io.l5d.fs namer, switchyard-proxy watching it, hello (which calls world
// through the proxy and forwards l5d-ctx-* headers), world-v1 (two instances) and world-v2,
// and namerctl as a pipeline would run it. Subtests run in order; each starts from the state
// the one before left. Needs `pnpm build` (the programs run from packages/*/dist).
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import * as mesh from './mesh.js'
import { eventually, get, type Proc, portOf, run } from './processes.js'
import { type LoadOptions, load as loadThrough, percent, versionOf } from './traffic.js'

const INITIAL_DTAB = `/srv => /#/io.l5d.fs;
/host => /srv;
/tmp => /srv;
/svc => /host;
/host/world => /srv/world-v1;
`

const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const disco = join(dir, 'disco')
mkdirSync(disco)
/** Lists `ports` as the endpoints of `name` for the fs namer, atomically (write, then rename). */
function publish(name: string, ...ports: number[]): void {
  const tmp = join(dir, `${name}.tmp`)
  writeFileSync(tmp, ports.map((p) => `127.0.0.1 ${p}\n`).join(''))
  renameSync(tmp, join(disco, name))
}
const agent = new Agent({ keepAlive: true, maxSockets: 32 })
t.teardown(() => agent.destroy())

const world = (version: string, name?: string) => mesh.world(t, version, name)

let namerd: Proc
let namerdPort = 0
/** namerd on `port` (0: any), on the same file store and fs namer every time. */
async function startNamerd(port: number): Promise<void> {
  namerd = run(t, `namerd :${port}`, mesh.NODE, [
    mesh.NAMERD,
    '--config',
    join(dir, 'namerd.yaml'),
    '--listen',
    `127.0.0.1:${port}`,
  ])
  namerdPort = portOf(await namerd.waitFor(/namerd listening/))
}

const namerctl = (args: readonly string[], stdin?: string) => mesh.namerctl(namerdPort, args, stdin)
const stored = () => mesh.stored(namerdPort)

const [v1a, v1b, v2] = await Promise.all([
  world('v1', 'world-v1a'),
  world('v1', 'world-v1b'),
  world('v2'),
])
publish('world-v1', v1a.port, v1b.port)
publish('world-v2', v2.port)
writeFileSync(
  join(dir, 'namerd.yaml'),
  `store: file:${join(dir, 'store')}\nnamers:\n  - {kind: io.l5d.fs, rootDir: ${disco}}\n`,
)
await startNamerd(0)

writeFileSync(
  join(dir, 'proxy.yaml'),
  `id: e2e-node
admin: {ip: 127.0.0.1, port: 0}
routers:
  - label: outgoing
    interpreter: {kind: namerd, dst: http://127.0.0.1:${namerdPort}, namespace: internal, retry: {baseSeconds: 0.2, maxSeconds: 1}}
    servers: [{ip: 127.0.0.1, port: 0}]
`,
)
const { port: proxyPort, adminPort } = await mesh.startProxy(t, 'proxy', join(dir, 'proxy.yaml'))
const hello = run(t, 'hello', mesh.NODE, [
  ...mesh.TSX,
  'examples/hello-world/hello.ts',
  '--port',
  '0',
  '--proxy',
  `http://127.0.0.1:${proxyPort}`,
])
publish('hello', portOf(await hello.waitFor(/hello listening/)))

const routerState = () => mesh.routerState(adminPort)
const propagated = () => mesh.propagated(namerdPort, adminPort)
const load = (n: number, headers?: Record<string, string>, options: LoadOptions = {}) =>
  loadThrough(proxyPort, n, headers, { agent, ...options })

async function metric(name: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/admin/metrics.json`)
  const value = ((await res.json()) as Record<string, unknown>)[name]
  return typeof value === 'number' ? value : 0
}

let initial: mesh.Stored = { version: '', dtab: null }
/** `v<N>` for the file store's ETags: Base64 of the version counter, 8 bytes big-endian. */
const counted = (etag: string) => `v${Buffer.from(etag, 'base64').readBigUInt64BE(0)}`

t.test('a namespace created with namerctl routes world to v1 through the fs namer', async (t) => {
  const out = await namerctl(['dtab', 'create', 'internal', '-'], INITIAL_DTAB)
  t.equal(out.trim(), 'Created internal')
  await propagated()
  initial = await stored()
  const r = await load(100)
  t.same(r.failures, [], 'every request answered 200')
  t.equal(r.share('v1'), 1, 'all on v1')
  const viaHello = await load(20, { host: 'hello' })
  t.same(viaHello.failures, [], 'hello reaches world through the proxy')
  t.equal(viaHello.share('v1'), 1)
})

t.test('an l5d-dtab override reaches v2 on both hops; other requests stay on v1', async (t) => {
  const override = { 'l5d-dtab': '/host/world => /tmp/world-v2' }
  // Interleaved and all at once over shared keep-alive connections: a request's override must
  // not leak to its neighbours, in the proxy or through hello.
  const replies = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      get(proxyPort, i % 2 === 0 ? { host: 'hello', ...override } : { host: 'hello' }, agent),
    ),
  )
  const want = replies.map((_, i) => (i % 2 === 0 ? 'v2' : 'v1'))
  t.same(
    replies.map((r) => versionOf(r) ?? `${r.status} ${r.body}`),
    want,
    'each request with the override reached world-v2 through hello, each without it world-v1',
  )
  const direct = await get(proxyPort, { host: 'world', ...override }, agent)
  t.equal(direct.status, 200, direct.body)
  t.match(JSON.parse(direct.body), { version: 'v2' }, 'the first hop honours it too')
  // An override that names nothing falls back to v1 with a 200 too; the response says where it went.
  t.equal(direct.headers['l5d-dst-service'], '/svc/world', 'the logical name it was routed as')
  t.equal(direct.headers['l5d-dst-client'], '/#/io.l5d.fs/world-v2', 'the name it was bound to')
  t.equal((await stored()).version, initial.version, 'namerd was not touched')
})

t.test('a 10% shift with namerctl lands within 3 points of 10% over 2,000 requests', async (t) => {
  await namerctl(['shift', 'internal', '/host/world', '/tmp/world-v2=10', '/tmp/world-v1=90'])
  await propagated()
  const r = await load(2000)
  t.same(r.failures, [], 'every request answered 200')
  t.same([...r.versions.keys()].sort(), ['v1', 'v2'])
  const v2Share = r.share('v2')
  t.ok(Math.abs(v2Share - 0.1) <= 0.03, `v2 got ${percent(v2Share)} of 2,000 (want 10% ± 3)`)
  t.comment(`v2 got ${percent(v2Share)}`)
})

t.test('a shift to 100% sends all traffic to v2', async (t) => {
  await namerctl(['shift', 'internal', '/host/world', '/tmp/world-v2=100'])
  await propagated()
  const r = await load(300)
  t.same(r.failures, [])
  t.equal(r.share('v2'), 1, 'all on v2')
})

t.test('namerctl rollback to the first version puts all traffic back on v1 at once', async (t) => {
  const out = await namerctl(['rollback', 'internal', '--to', initial.version])
  const now = await stored()
  t.equal(initial.version, 'AAAAAAAAAAE=', 'the file store counts versions from 1')
  t.match(
    out,
    `\nRolled back internal to v1 (${initial.version}) (now version ${counted(now.version)} (${now.version}))\n`,
    'namerctl names both versions by their short number and their ETag',
  )
  t.not(now.version, initial.version, 'the restored dtab is a new version')
  t.same(now.dtab, initial.dtab, 'the dtab is the first one again')
  await propagated()
  const r = await load(300)
  t.same(r.failures, [])
  t.equal(r.share('v1'), 1, 'all on v1, from the first request after the proxy has it')
})

let lastVersion = ''
t.test('with namerd killed, traffic still flows on the last state', async (t) => {
  lastVersion = (await routerState()).version ?? ''
  await namerd.kill('SIGKILL')
  await eventually(
    'the proxy to report namerd as disconnected',
    async () => !(await routerState()).interpreter.connected,
  )
  const state = await routerState()
  t.equal(state.interpreter.connected, false, 'routers.json says connected: false')
  t.equal(state.version, lastVersion, 'the proxy keeps the last version it had')
  const r = await load(300)
  t.same(r.failures, [])
  t.equal(r.share('v1'), 1)
  const viaHello = await load(20, { host: 'hello' })
  t.same(viaHello.failures, [], 'both hops still route')
  t.equal(viaHello.share('v1'), 1)
})

t.test(
  'namerd back on its port with the same store: dtab and endpoint changes apply again',
  async (t) => {
    const port = namerdPort
    await startNamerd(port)
    t.equal(namerdPort, port)
    t.equal((await stored()).version, lastVersion, 'namerd kept the dtab in its file store')
    await eventually(
      'the proxy to reconnect',
      async () => (await routerState()).interpreter.connected,
    )
    await namerctl(['shift', 'internal', '/host/world', '/tmp/world-v2=100'])
    await propagated()
    const r = await load(300)
    t.same(r.failures, [])
    t.equal(r.share('v2'), 1, 'the new shift reached traffic')
    // The addr watches came back too: world-v2 moves to a new instance in the fs namer's file.
    const moved = await world('v2.1', 'world-v2.1')
    publish('world-v2', moved.port)
    await eventually(
      'traffic to reach the instance now listed for world-v2',
      async () => (await load(20)).share('v2.1') === 1,
    )
    const after = await load(300)
    t.same(after.failures, [])
    t.equal(after.share('v2.1'), 1, 'the endpoint change reached traffic')
  },
)

t.test('a world-v1 instance killed under load costs no failed GET', async (t) => {
  await namerctl(['shift', 'internal', '/host/world', '/tmp/world-v1=100'])
  await propagated()
  const retriesBefore = await metric('rt/outgoing/service/svc/world/retries/total')
  let killedAt = 0
  let afterDeath = 0
  let dead = false
  const r = await load(2000, undefined, {
    onDone: (done) => {
      if (dead) afterDeath++
      if (done === 300) {
        killedAt = done
        void v1b.proc.kill('SIGKILL').then(() => {
          dead = true
        })
      }
    },
  })
  t.equal(killedAt, 300, 'one of the two v1 instances was killed mid-run')
  t.ok(afterDeath >= 500, `${afterDeath} requests completed after it died`)
  t.same(r.failures, [], 'every GET got a 200')
  t.equal(r.share('v1'), 1)
  const retries = (await metric('rt/outgoing/service/svc/world/retries/total')) - retriesBefore
  t.ok(retries > 0, `the proxy retried ${retries} request(s) on the surviving instance`)
})
