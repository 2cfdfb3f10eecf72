// The blue-green flow end to end on Kubernetes, as deploy/base lays it out, with the fake API
// server (in this process, the CRDs of deploy/crd installed) standing in for the cluster:
// namerd on the CRD store (--store k8s through a kubeconfig, --k8s-namespace switchyard)
// holding the io.l5d.k8s namer, switchyard-proxy taking the dtab `internal` from namerd, and
// hello, world-v1 and world-v2 as processes on loopback, published to the namer as Services
// and EndpointSlices written through the fake, as the EndpointSlice controller would for their
// pods. A second proxy holds the namer itself (its local interpreter, a fixed dtab) and follows
// the same endpoint changes. namerctl runs as a pipeline would run it. Subtests run in order;
// each starts from the state the one before left. Needs `pnpm build` (the programs run from
// packages/*/dist).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Dtab } from '@switchyard/dtab'
import { FakeKubeApi, type JsonObject } from '@switchyard/kube-fake'
import t from 'tap'
import * as mesh from './mesh.js'
import { eventually, get, type Proc, portOf, ROOT, run } from './processes.js'
import { type Load, load as loadThrough, percent, versionOf } from './traffic.js'

/** Where namerd keeps its DTab objects (deploy/base's namespace) and where the apps run. */
const MESH_NS = 'switchyard'
const APPS_NS = 'hello-world'

// deploy/examples/hello-world/internal.dtab's dentries (checked below, so the example and this
// test cannot drift apart): /srv/<service> is that Service's port `http` in hello-world.
const INITIAL_DENTRIES = [
  { prefix: '/srv', dst: `/#/io.l5d.k8s/${APPS_NS}/http` },
  { prefix: '/host', dst: '/srv' },
  { prefix: '/tmp', dst: '/srv' },
  { prefix: '/svc', dst: '/host' },
  { prefix: '/host/world', dst: '/srv/world-v1' },
]
const INITIAL_DTAB = INITIAL_DENTRIES.map((d) => `${d.prefix} => ${d.dst};\n`).join('')
const EXAMPLE_DTAB = readFileSync(join(ROOT, 'deploy/examples/hello-world/internal.dtab'), 'utf8')
if (Dtab.show(Dtab.read(EXAMPLE_DTAB)) !== Dtab.show(Dtab.read(INITIAL_DTAB))) {
  throw new Error('deploy/examples/hello-world/internal.dtab no longer matches INITIAL_DENTRIES')
}

const api = await FakeKubeApi.start()
t.teardown(() => api.close())
await api.installCrdsFrom(join(ROOT, 'deploy/crd'))
const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-k8s-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
// The context's namespace stays `default`: --k8s-namespace is what puts the DTabs in MESH_NS.
const KUBECONFIG = await api.writeKubeconfig(dir)
const kubeEnv = { KUBECONFIG }

/** The Service a Deployment's pods are reached by: port `http` to the pods' port `http`. */
function putService(name: string): void {
  api.put({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: APPS_NS, labels: { 'app.kubernetes.io/name': name } },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
  })
}

/**
 * An EndpointSlice of `service` as the controller writes it: its endpoints' pods listen on
 * `port` (each program here has its own port on 127.0.0.1, so each gets its own slice, as pods
 * whose named port has different numbers do in Kubernetes).
 */
function putSlice(name: string, service: string, port: number, ready = true): void {
  api.put({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: APPS_NS,
      labels: {
        'kubernetes.io/service-name': service,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready }, nodeName: 'node-1' }],
    ports: [{ name: 'http', port, protocol: 'TCP' }],
  })
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 })
t.teardown(() => agent.destroy())

const world = (version: string, name?: string) => mesh.world(t, version, name)

/** The DTab object `internal` as the cluster holds it. */
function dtabObject(): JsonObject {
  const object = api.get({
    apiVersion: 'l5d.io/v1alpha1',
    kind: 'DTab',
    namespace: MESH_NS,
    name: 'internal',
  })
  if (object === null) throw new Error(`no DTab internal in namespace ${MESH_NS}`)
  return object
}
const metadataOf = (o: JsonObject) => o.metadata as Record<string, unknown>
/** namerd's ETag for an object: Base64 of its resourceVersion's UTF-8 bytes. */
const etagOf = (o: JsonObject) =>
  Buffer.from(String(metadataOf(o).resourceVersion)).toString('base64')

async function readyz(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${namerdPort}/ready`)
  return `${res.status} ${await res.text()}`
}

// The apps: world-v1 (one pod for now), world-v2 and hello, each a Service and a slice.
const [v1a, v2] = await Promise.all([world('v1', 'world-v1a'), world('v2')])
for (const name of ['hello', 'world-v1', 'world-v2']) putService(name)
putSlice('world-v1-7xk2p', 'world-v1', v1a.port)
putSlice('world-v2-m4q8z', 'world-v2', v2.port)

writeFileSync(join(dir, 'namerd.yaml'), 'namers:\n  - kind: io.l5d.k8s\n')
const namerd: Proc = run(
  t,
  'namerd',
  mesh.NODE,
  [
    mesh.NAMERD,
    '--config',
    join(dir, 'namerd.yaml'),
    '--store',
    'k8s',
    '--k8s-namespace',
    MESH_NS,
    '--listen',
    '127.0.0.1:0',
  ],
  { env: kubeEnv },
)
const namerdPort = portOf(await namerd.waitFor(/namerd listening/))
const namerctl = (args: readonly string[], stdin?: string) => mesh.namerctl(namerdPort, args, stdin)
const stored = () => mesh.stored(namerdPort)

// deploy/base/config/proxy.yaml's outgoing router, without the daemonset transformer (one
// node here: the proxy sends straight to the pods).
writeFileSync(
  join(dir, 'proxy.yaml'),
  `id: e2e-node
admin: {ip: 127.0.0.1, port: 0}
routers:
  - label: outgoing
    interpreter: {kind: io.l5d.namerd.http, dst: http://127.0.0.1:${namerdPort}, namespace: internal, retry: {baseSeconds: 0.2, maxSeconds: 1}}
    servers: [{ip: 127.0.0.1, port: 0}]
`,
)
// A proxy that holds the namer itself, found through the same kubeconfig, with the initial
// dtab fixed in its config.
writeFileSync(
  join(dir, 'proxy-local.yaml'),
  `id: e2e-local
admin: {ip: 127.0.0.1, port: 0}
namers:
  - kind: io.l5d.k8s
routers:
  - label: local
    dtab: |
${INITIAL_DTAB.replace(/^/gm, '      ')}
    servers: [{ip: 127.0.0.1, port: 0}]
`,
)
const [{ port: proxyPort, adminPort }, { port: localPort }] = await Promise.all([
  mesh.startProxy(t, 'proxy', join(dir, 'proxy.yaml')),
  mesh.startProxy(t, 'proxy (local interpreter)', join(dir, 'proxy-local.yaml'), {
    env: kubeEnv,
  }),
])
const hello = run(t, 'hello', mesh.NODE, [
  ...mesh.TSX,
  'examples/hello-world/hello.ts',
  '--port',
  '0',
  '--proxy',
  `http://127.0.0.1:${proxyPort}`,
])
putSlice('hello-2vd9c', 'hello', portOf(await hello.waitFor(/hello listening/)))

const routerState = () => mesh.routerState(adminPort)
const propagated = () => mesh.propagated(namerdPort, adminPort)
/** `n` GETs through the proxy on `port` (the namerd one by default), each with `headers`. */
const load = (n: number, headers?: Record<string, string>, port = proxyPort) =>
  loadThrough(port, n, headers, { agent })
const sorted = (l: Load) => [...l.versions.keys()].sort()
/** Both proxies: the one on namerd and the one holding the namer. */
const proxies = [
  { name: 'the proxy on namerd', port: () => proxyPort },
  { name: 'the proxy with its own namer', port: () => localPort },
]

let initial: mesh.Stored = { version: '', dtab: null }

t.test(
  'namerctl creates the namespace: a DTab in namerd’s exact shape, world on v1 through io.l5d.k8s',
  async (t) => {
    const out = await namerctl(['dtab', 'create', 'internal', '-'], INITIAL_DTAB)
    t.equal(out.trim(), 'Created internal')
    const object = dtabObject()
    t.same(Object.keys(object).sort(), ['apiVersion', 'dentries', 'kind', 'metadata'])
    t.match(object, {
      apiVersion: 'l5d.io/v1alpha1',
      kind: 'DTab',
      metadata: { name: 'internal', namespace: MESH_NS },
    })
    t.strictSame(object.dentries, INITIAL_DENTRIES, 'top-level dentries as {prefix, dst}')
    await propagated()
    initial = await stored()
    t.equal(initial.version, etagOf(object), 'the ETag is Base64 of the resourceVersion')
    const r = await load(100)
    t.same(r.failures, [], 'every request answered 200')
    t.equal(r.share('v1'), 1, 'all on v1')
    const viaHello = await load(20, { host: 'hello' })
    t.same(viaHello.failures, [], 'hello reaches world through the proxy')
    t.equal(viaHello.share('v1'), 1)
  },
)

t.test('an l5d-dtab override reaches v2 on both hops; other requests stay on v1', async (t) => {
  const override = { 'l5d-dtab': '/host/world => /tmp/world-v2' }
  const replies = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      get(proxyPort, i % 2 === 0 ? { host: 'hello', ...override } : { host: 'hello' }, agent),
    ),
  )
  t.same(
    replies.map((r) => versionOf(r) ?? `${r.status} ${r.body}`),
    replies.map((_, i) => (i % 2 === 0 ? 'v2' : 'v1')),
    'each request with the override reached world-v2 through hello, each without it world-v1',
  )
  const direct = await get(proxyPort, { host: 'world', ...override }, agent)
  t.equal(direct.status, 200, direct.body)
  t.match(JSON.parse(direct.body), { version: 'v2' }, 'the first hop honours it too')
  // An override that names nothing falls back to v1 with a 200 too; the response says where it went.
  t.equal(direct.headers['l5d-dst-service'], '/svc/world', 'the logical name it was routed as')
  t.equal(
    direct.headers['l5d-dst-client'],
    `/#/io.l5d.k8s/${APPS_NS}/http/world-v2`,
    'the name it was bound to',
  )
  t.equal((await stored()).version, initial.version, 'namerd was not touched')
})

for (const [v2Percent, n, points] of [
  [10, 2000, 3],
  [50, 2000, 5],
] as const) {
  t.test(
    `a ${v2Percent}% shift lands within ${points} points of it over ${n} requests`,
    async (t) => {
      await namerctl([
        'shift',
        'internal',
        '/host/world',
        `/tmp/world-v2=${v2Percent}`,
        `/tmp/world-v1=${100 - v2Percent}`,
      ])
      await propagated()
      t.equal((await stored()).version, etagOf(dtabObject()), 'namerd’s version is the object’s')
      const r = await load(n)
      t.same(r.failures, [], 'every request answered 200')
      t.same(sorted(r), ['v1', 'v2'])
      const share = r.share('v2')
      t.ok(
        Math.abs(share - v2Percent / 100) <= points / 100,
        `v2 got ${percent(share)} of ${n} (want ${v2Percent}% ± ${points})`,
      )
    },
  )
}

t.test('a shift to 100% sends all traffic to v2', async (t) => {
  await namerctl(['shift', 'internal', '/host/world', '/tmp/world-v2=100'])
  await propagated()
  const r = await load(300)
  t.same(r.failures, [])
  t.equal(r.share('v2'), 1, 'all on v2')
})

t.test('namerctl rollback (history kept in the cluster) puts all traffic back on v1', async (t) => {
  const out = await namerctl(['rollback', 'internal', '--to', initial.version])
  const now = await stored()
  // The ETags are Base64 of the objects' resourceVersions: `v<resourceVersion>` is the short form.
  const short = (etag: string) => `v${Buffer.from(etag, 'base64').toString('utf8')}`
  t.match(short(now.version), /^v[1-9][0-9]*$/, 'the fake counts resourceVersions in decimal')
  t.match(
    out,
    `\nRolled back internal to ${short(initial.version)} (${initial.version}) (now version ${short(now.version)} (${now.version}))\n`,
    'namerctl names both versions by their short number and their ETag',
  )
  t.not(now.version, initial.version, 'the restored dtab is a new version')
  t.same(now.dtab, initial.dtab, 'the dtab is the first one again')
  t.strictSame(dtabObject().dentries, INITIAL_DENTRIES, 'and so is the object')
  await propagated()
  const r = await load(300)
  t.same(r.failures, [])
  t.equal(r.share('v1'), 1)
})

t.test(
  'a DTab applied in the cluster reaches the proxy; namerctl writes keep its other fields',
  async (t) => {
    // What `kubectl apply -f` of an edited DTab manifest leaves: the object as written, plus a
    // label of the team's own.
    api.put({
      apiVersion: 'l5d.io/v1alpha1',
      kind: 'DTab',
      metadata: { name: 'internal', namespace: MESH_NS, labels: { team: 'platform' } },
      dentries: INITIAL_DENTRIES.map((d) =>
        d.prefix === '/host/world' ? { ...d, dst: '/srv/world-v2' } : d,
      ),
    })
    const version = await propagated()
    t.equal(version, etagOf(dtabObject()), 'namerd has the applied object')
    const r = await load(300)
    t.same(r.failures, [])
    t.equal(r.share('v2'), 1, 'all on v2')
    const shown = await namerctl(['dtab', 'get', 'internal'])
    t.match(shown, `# version ${version}\n`, 'namerctl reads that version')
    t.match(shown, /\/host\/world +=> \/srv\/world-v2 ;/)

    await namerctl(['shift', 'internal', '/host/world', '/tmp/world-v1=100'])
    await propagated()
    const object = dtabObject()
    t.same(metadataOf(object).labels, { team: 'platform' }, 'the label is still there')
    t.match(object.dentries, [{}, {}, {}, {}, { prefix: '/host/world', dst: '/tmp/world-v1' }])
    const back = await load(300)
    t.same(back.failures, [])
    t.equal(back.share('v1'), 1, 'all on v1 again')
  },
)

let v1b: Awaited<ReturnType<typeof world>>
t.test('scale-up: a new ready pod in a second slice of world-v1 gets traffic', async (t) => {
  v1b = await world('v1.1', 'world-v1b')
  putSlice('world-v1-q9d4m', 'world-v1', v1b.port)
  for (const p of proxies) {
    await eventually(`${p.name} to reach the new pod`, async () =>
      (await load(40, undefined, p.port())).versions.has('v1.1'),
    )
    const r = await load(300, undefined, p.port())
    t.same(r.failures, [], `${p.name}: every request answered 200`)
    t.same(sorted(r), ['v1', 'v1.1'], `${p.name}: both pods answer`)
  }
})

t.test('readiness: a pod set ready: false gets no more traffic', async (t) => {
  putSlice('world-v1-7xk2p', 'world-v1', v1a.port, false)
  for (const p of proxies) {
    await eventually(
      `${p.name} to leave the unready pod`,
      async () => (await load(40, undefined, p.port())).share('v1.1') === 1,
    )
    const r = await load(300, undefined, p.port())
    t.same(r.failures, [], `${p.name}: every request answered 200`)
    t.equal(r.share('v1.1'), 1, `${p.name}: all on the ready pod`)
  }
})

t.test(
  'the API server down: traffic flows on the last state, /ready says stale; then up again',
  async (t) => {
    t.equal(await readyz(), '200 ready\n')
    await api.down()
    let stale = ''
    await eventually('namerd’s /ready to say stale', async () => {
      stale = await readyz()
      return stale.includes('stale')
    })
    t.match(
      stale,
      /^200 ready, stale: serving the last known dtabs since \S+: the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ is unreachable/,
    )
    for (const p of proxies) {
      const r = await load(300, undefined, p.port())
      t.same(r.failures, [], `${p.name}: every request answered 200`)
      t.equal(r.share('v1.1'), 1, `${p.name}: on the last known endpoints`)
    }
    t.match(
      await namerctl(['dtab', 'get', 'internal']),
      /\/host\/world +=> \/tmp\/world-v1 ;/,
      'namerd answers reads from the last state',
    )
    await t.rejects(
      namerctl(['shift', 'internal', '/host/world', '/tmp/world-v2=100']),
      { message: /unreachable/ },
      'a write cannot reach the cluster, and namerctl says why',
    )
    t.equal((await routerState()).interpreter.connected, true, 'the proxy still has namerd')
    // Meanwhile the cluster moves on: the pod that was not ready is ready again. Nobody can
    // see it yet.
    putSlice('world-v1-7xk2p', 'world-v1', v1a.port, true)
    const unseen = await load(100)
    t.same(unseen.failures, [])
    t.equal(unseen.share('v1.1'), 1, 'traffic stays on the last known endpoints')

    await api.up()
    await eventually('namerd’s /ready to be ready again', async () => {
      return (await readyz()) === '200 ready\n'
    })
    // The namer's watches are back, and catch up with what changed while they were away.
    for (const p of proxies) {
      await eventually(`${p.name} to reach the pod ready again`, async () =>
        (await load(40, undefined, p.port())).versions.has('v1'),
      )
    }
    // And the store's: a shift reaches traffic.
    await namerctl(['shift', 'internal', '/host/world', '/tmp/world-v2=100'])
    await propagated()
    const r = await load(300)
    t.same(r.failures, [])
    t.equal(r.share('v2'), 1, 'all on v2')
  },
)
