// The blue-green flow of blue-green.test.ts with gRPC, every program a real process on
// loopback: namerd on the file store with an io.l5d.fs namer, switchyard-proxy with an h2
// router (h2c) watching it, gRPC hello (which calls world through the proxy and forwards
// l5d-ctx-* metadata), world-v1 (two instances) and world-v2 on @grpc/grpc-js
// (test/support/grpc), and namerctl as a pipeline would run it. Subtests run in order; each
// starts from the state the one before left. Needs `pnpm build`.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { status } from '@grpc/grpc-js'
import t from 'tap'
import { GrpcClient } from '../support/grpc/client.js'
import { type GrpcLoadOptions, grpcLoad } from '../support/grpc/load.js'
import { Hello, World } from '../support/grpc/services.js'
import * as mesh from './mesh.js'
import { type Proc, portOf, run } from './processes.js'
import { percent } from './traffic.js'

const INITIAL_DTAB = `/srv => /#/io.l5d.fs;
/host => /srv;
/tmp => /srv;
/svc => /host;
/host/world => /srv/world-v1;
`
const GRPC_MAIN = 'test/support/grpc/main.ts'

const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-grpc-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const disco = join(dir, 'disco')
mkdirSync(disco)
/** Lists `ports` as the endpoints of `name` for the fs namer, atomically (write, then rename). */
function publish(name: string, ...ports: number[]): void {
  const tmp = join(dir, `${name}.tmp`)
  writeFileSync(tmp, ports.map((p) => `127.0.0.1 ${p}\n`).join(''))
  renameSync(tmp, join(disco, name))
}

/** A gRPC world backend process answering as `version`. */
async function world(version: string, name: string): Promise<{ proc: Proc; port: number }> {
  const proc = run(t, name, mesh.NODE, [
    ...mesh.TSX,
    GRPC_MAIN,
    'world',
    '--port',
    '0',
    '--version',
    version,
  ])
  return { proc, port: portOf(await proc.waitFor(/world listening/)) }
}

const [v1a, v1b, v2] = await Promise.all([
  world('v1', 'grpc world-v1a'),
  world('v1', 'grpc world-v1b'),
  world('v2', 'grpc world-v2'),
])
publish('world-v1', v1a.port, v1b.port)
publish('world-v2', v2.port)
writeFileSync(
  join(dir, 'namerd.yaml'),
  `store: file:${join(dir, 'store')}\nnamers:\n  - {kind: io.l5d.fs, rootDir: ${disco}}\n`,
)
const namerd = run(t, 'namerd', mesh.NODE, [
  mesh.NAMERD,
  '--config',
  join(dir, 'namerd.yaml'),
  '--listen',
  '127.0.0.1:0',
])
const namerdPort = portOf(await namerd.waitFor(/namerd listening/))

writeFileSync(
  join(dir, 'proxy.yaml'),
  `id: e2e-grpc-node
admin: {ip: 127.0.0.1, port: 0}
routers:
  - protocol: h2
    label: outgoing
    interpreter: {kind: namerd, dst: http://127.0.0.1:${namerdPort}, namespace: internal, retry: {baseSeconds: 0.2, maxSeconds: 1}}
    servers: [{ip: 127.0.0.1, port: 0}]
`,
)
const { port: proxyPort, adminPort } = await mesh.startProxy(t, 'proxy', join(dir, 'proxy.yaml'))
const hello = run(t, 'grpc hello', mesh.NODE, [
  ...mesh.TSX,
  GRPC_MAIN,
  'hello',
  '--port',
  '0',
  '--proxy',
  `127.0.0.1:${proxyPort}`,
])
publish('hello', portOf(await hello.waitFor(/hello listening/)))

const namerctl = (args: readonly string[], stdin?: string) => mesh.namerctl(namerdPort, args, stdin)
const stored = () => mesh.stored(namerdPort)
const propagated = () => mesh.propagated(namerdPort, adminPort)

// One connection each, as a gRPC client keeps: every call of a load shares it.
const toWorld = new GrpcClient(proxyPort, { authority: 'world' })
const toHello = new GrpcClient(proxyPort, { authority: 'hello' })
t.teardown(() => {
  toWorld.close()
  toHello.close()
})
const load = (n: number, options: GrpcLoadOptions = {}) =>
  grpcLoad(options.viaHello === true ? toHello : toWorld, n, options)

let initial: mesh.Stored = { version: '', dtab: null }

t.test('a namespace created with namerctl routes gRPC world calls to v1', async (t) => {
  const out = await namerctl(['dtab', 'create', 'internal', '-'], INITIAL_DTAB)
  t.equal(out.trim(), 'Created internal')
  await propagated()
  initial = await stored()
  const r = await load(100)
  t.same(r.failures, [], 'every call answered OK')
  t.equal(r.share('v1'), 1, 'all on v1')
  const viaHello = await load(20, { viaHello: true })
  t.same(viaHello.failures, [], 'hello reaches world through the proxy')
  t.equal(viaHello.share('v1'), 1)
})

t.test(
  'an l5d-dtab override stages v2 for one call, on both hops; the rest stay on v1',
  async (t) => {
    const override = { 'l5d-dtab': '/host/world => /tmp/world-v2' }
    // Interleaved on one h2 connection each: an override must not leak to the streams beside it.
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        toHello.unary(Hello.Greet, { name: `${i}` }, i % 2 === 0 ? { metadata: override } : {}),
      ),
    )
    t.same(
      replies.map(
        (r) =>
          r.value?.world?.version ??
          `${r.code} ${r.details} ${JSON.stringify(r.value?.worldError)}`,
      ),
      replies.map((_, i) => (i % 2 === 0 ? 'v2' : 'v1')),
      'each call with the override reached world-v2 through hello, each without it world-v1',
    )
    const one = await toWorld.unary(World.Greet, { name: 'staging' }, { metadata: override })
    t.equal(one.code, status.OK, one.details)
    t.equal(one.value?.version, 'v2', 'the one call with the override reached v2 directly too')
    t.equal(one.headers?.['l5d-dst-service'], '/svc/world', 'the logical name it was routed as')
    t.equal(one.headers?.['l5d-dst-client'], '/#/io.l5d.fs/world-v2', 'the name it was bound to')
    t.equal((await load(50)).share('v1'), 1, 'calls without it are all on v1')
    t.equal((await stored()).version, initial.version, 'namerd was not touched')
  },
)

for (const [weight, n, tolerance] of [
  [10, 2000, 0.03],
  [50, 2000, 0.05],
] as const) {
  t.test(
    `a ${weight}% shift with namerctl lands within ${100 * tolerance} points over ${n} calls`,
    async (t) => {
      await namerctl([
        'shift',
        'internal',
        '/host/world',
        `/tmp/world-v2=${weight}`,
        `/tmp/world-v1=${100 - weight}`,
      ])
      await propagated()
      const r = await load(n)
      t.same(r.failures, [], 'every call answered OK')
      t.same([...r.versions.keys()].sort(), ['v1', 'v2'])
      const share = r.share('v2')
      t.ok(
        Math.abs(share - weight / 100) <= tolerance,
        `v2 got ${percent(share)} of ${n} (want ${weight}% ± ${100 * tolerance})`,
      )
      t.comment(`v2 got ${percent(share)}`)
    },
  )
}

t.test('a shift to 100% sends every gRPC call to v2, through hello too', async (t) => {
  await namerctl(['shift', 'internal', '/host/world', '/tmp/world-v2=100'])
  await propagated()
  const r = await load(300)
  t.same(r.failures, [])
  t.equal(r.share('v2'), 1, 'all on v2')
  const viaHello = await load(20, { viaHello: true })
  t.same(viaHello.failures, [])
  t.equal(viaHello.share('v2'), 1)
})

t.test('namerctl rollback to the first version puts every call back on v1', async (t) => {
  await namerctl(['rollback', 'internal', '--to', initial.version])
  const now = await stored()
  t.not(now.version, initial.version, 'the restored dtab is a new version')
  t.same(now.dtab, initial.dtab, 'the dtab is the first one again')
  await propagated()
  const r = await load(300)
  t.same(r.failures, [])
  t.equal(r.share('v1'), 1, 'all on v1, from the first call after the proxy has it')
})

t.test('the shift and rollback counted per concrete client in the snapshot', async (t) => {
  const res = await fetch(`http://127.0.0.1:${adminPort}/admin/metrics/snapshot.json`)
  const snap = (await res.json()) as {
    clients: Record<string, { requests: number; failures: number }>
  }
  const v1 = snap.clients['/#/io.l5d.fs/world-v1']
  const v2c = snap.clients['/#/io.l5d.fs/world-v2']
  t.ok((v1?.requests ?? 0) > 0 && (v2c?.requests ?? 0) > 0, 'both versions have calls')
  t.equal(v1?.failures, 0, 'no failed call on v1')
  t.equal(v2c?.failures, 0, 'no failed call on v2')
})

t.test(
  'a world-v1 instance killed under load: only calls in flight on it fail, then none',
  async (t) => {
    let dead = false
    const r = await load(2000, {
      onDone: (done) => {
        if (done === 300) {
          void v1b.proc.kill('SIGKILL').then(() => {
            dead = true
          })
        }
      },
    })
    t.ok(dead, 'one of the two v1 instances was killed mid-run')
    // A call the killed instance had received may have been processed: it fails, as Linkerd
    // fails it, rather than run twice. At most the calls in flight at once (20) can be such.
    t.ok(
      r.failures.length <= 20,
      `${r.failures.length} calls failed: ${r.failures.slice(0, 3).join('; ')}`,
    )
    t.equal((r.versions.get('v1') ?? 0) + r.failures.length, 2000)
    const after = await load(500)
    t.same(after.failures, [], 'after it, every call answered by the surviving instance')
    t.equal(after.share('v1'), 1)
  },
)
