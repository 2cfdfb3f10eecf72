// The blue-green flow end to end, every program a real process on loopback: namerd on the
// file store, switchyard-proxy watching it, hello (which calls world through the proxy and
// forwards l5d-ctx-* headers), world-v1 (two instances) and world-v2, and namerctl as the
// pipeline would run it. Subtests run in order; each step starts from the state the last left.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { eventually, get, type Proc, ROOT, run } from './processes.js'

const NODE = process.execPath
const NAMERD = join(ROOT, 'packages/namerd/dist/main.js')
const PROXY = join(ROOT, 'packages/proxy/dist/main.js')
const NAMERCTL = join(ROOT, 'packages/namerctl/dist/main.js')
const TSX = ['--import', 'tsx']

const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const disco = join(dir, 'disco')
mkdirSync(disco)

const portOf = (line: Record<string, unknown>) =>
  typeof line.port === 'number' ? line.port : Number(String(line.address).split(':').pop())

async function world(version: string): Promise<{ proc: Proc; port: number }> {
  const proc = run(t, NODE, [
    ...TSX,
    'examples/hello-world/world.ts',
    '--port',
    '0',
    '--version',
    version,
  ])
  return { proc, port: portOf(await proc.waitFor(/world listening/)) }
}

let namerdPort = 0
let namerd: Proc
async function startNamerd(port: number): Promise<void> {
  namerd = run(t, NODE, [
    NAMERD,
    '--config',
    join(dir, 'namerd.yaml'),
    '--listen',
    `127.0.0.1:${port}`,
  ])
  namerdPort = portOf(await namerd.waitFor(/namerd listening/))
}

function namerctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      NODE,
      [NAMERCTL, '--base-url', `http://127.0.0.1:${namerdPort}`, ...args],
      { cwd: ROOT },
      (err, stdout, stderr) =>
        err ? reject(new Error(`namerctl ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    )
  })
}

const [v1a, v1b, v2] = [await world('v1'), await world('v1'), await world('v2')]
writeFileSync(join(disco, 'world-v1'), `127.0.0.1 ${v1a.port}\n127.0.0.1 ${v1b.port}\n`)
writeFileSync(join(disco, 'world-v2'), `127.0.0.1 ${v2.port}\n`)
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
const proxy = run(t, NODE, ['--max-semi-space-size=2', PROXY, '--config', join(dir, 'proxy.yaml')])
const proxyPort = portOf(await proxy.waitFor(/router listening/))
const adminPort = portOf(await proxy.waitFor(/admin listening/))
const hello = run(t, NODE, [
  ...TSX,
  'examples/hello-world/hello.ts',
  '--port',
  '0',
  '--proxy',
  `http://127.0.0.1:${proxyPort}`,
])
const helloPort = portOf(await hello.waitFor(/hello listening/))
writeFileSync(join(disco, 'hello'), `127.0.0.1 ${helloPort}\n`)

interface RouterState {
  version: string | null
  interpreter: { connected: boolean }
}
async function routerState(): Promise<RouterState> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/admin/routers.json`)
  return ((await res.json()) as RouterState[])[0]!
}

/** Until the proxy routes on the version namerd holds now. */
async function propagated(): Promise<void> {
  const etag = (await fetch(`http://127.0.0.1:${namerdPort}/api/1/dtabs/internal`)).headers.get(
    'etag',
  )
  await eventually(
    `the proxy to have version ${etag}`,
    async () => (await routerState()).version === etag,
  )
}

/** `n` requests to world through the proxy, `concurrency` at a time: versions seen and failures. */
async function load(n: number, concurrency = 20, onProgress?: (done: number) => void) {
  const versions = new Map<string, number>()
  const failures: string[] = []
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < n) {
      next++
      const r = await get(proxyPort, { host: 'world' }).catch((err: Error) => ({
        status: 0,
        body: err.message,
      }))
      if (r.status === 200) {
        const v = (JSON.parse(r.body) as { version: string }).version
        versions.set(v, (versions.get(v) ?? 0) + 1)
      } else failures.push(`${r.status} ${r.body.slice(0, 200)}`)
      onProgress?.(++done)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { versions, failures, share: (v: string) => (versions.get(v) ?? 0) / n }
}

t.test('the namespace is created with namerctl and world is served by v1', async (t) => {
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      NODE,
      [NAMERCTL, '--base-url', `http://127.0.0.1:${namerdPort}`, 'dtab', 'create', 'internal', '-'],
      (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)),
    )
    child.stdin!.end(
      '/srv => /#/io.l5d.fs;\n/host => /srv;\n/tmp => /srv;\n/svc => /host;\n/host/world => /srv/world-v1;\n',
    )
  })
  t.equal(out.trim(), 'Created internal')
  await propagated()
  const r = await load(50)
  t.same(r.failures, [])
  t.equal(r.share('v1'), 1)
})

t.test('an l5d-dtab override reaches v2 on both hops; other requests stay on v1', async (t) => {
  const override = await get(proxyPort, {
    host: 'hello',
    'l5d-dtab': '/host/world => /tmp/world-v2',
  })
  t.equal(override.status, 200, override.body)
  t.match(JSON.parse(override.body), { service: 'hello', world: { version: 'v2' } })
  const plain = await get(proxyPort, { host: 'hello' })
  t.match(JSON.parse(plain.body), { service: 'hello', world: { version: 'v1' } })
  const direct = await get(proxyPort, { host: 'world', 'l5d-dtab': '/host/world => /tmp/world-v2' })
  t.match(JSON.parse(direct.body), { version: 'v2' })
})

t.test('a 10% shift with namerctl lands within 3 points of 10% over 2,000 requests', async (t) => {
  await namerctl('shift', 'internal', '/host/world', '/tmp/world-v2=10', '/tmp/world-v1=90')
  await propagated()
  const r = await load(2000)
  t.same(r.failures, [])
  t.ok(Math.abs(r.share('v2') - 0.1) <= 0.03, `v2 got ${(100 * r.share('v2')).toFixed(1)}%`)
})

t.test('100% moves all traffic to v2', async (t) => {
  await namerctl('shift', 'internal', '/host/world', '/tmp/world-v2=100')
  await propagated()
  const r = await load(200)
  t.same(r.failures, [])
  t.equal(r.share('v2'), 1)
})

t.test('a revert puts all traffic back on v1 at once', async (t) => {
  await namerctl('shift', 'internal', '/host/world', '/srv/world-v1=100')
  await propagated()
  const r = await load(200)
  t.same(r.failures, [])
  t.equal(r.share('v1'), 1)
})

t.test('with namerd killed, traffic still flows on the last state', async (t) => {
  await namerd.kill('SIGKILL')
  await eventually(
    'the proxy to notice namerd is gone',
    async () => !(await routerState()).interpreter.connected,
  )
  const r = await load(200)
  t.same(r.failures, [])
  t.equal(r.share('v1'), 1)
})

t.test('namerd back on its port: changes apply again', async (t) => {
  await startNamerd(namerdPort)
  await eventually(
    'the proxy to reconnect',
    async () => (await routerState()).interpreter.connected,
  )
  await namerctl('shift', 'internal', '/host/world', '/tmp/world-v2=100')
  await propagated()
  const r = await load(100)
  t.same(r.failures, [])
  t.equal(r.share('v2'), 1)
})

t.test('a world-v1 instance killed under load costs no failed GET', async (t) => {
  await namerctl('shift', 'internal', '/host/world', '/srv/world-v1=100')
  await propagated()
  let killed = false
  const r = await load(1500, 10, (done) => {
    if (done === 300 && !killed) {
      killed = true
      void v1b.proc.kill('SIGKILL')
    }
  })
  t.ok(killed)
  t.same(r.failures, [], 'every GET got a 200')
  t.equal(r.share('v1'), 1)
})
