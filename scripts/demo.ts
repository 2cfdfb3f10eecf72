// `pnpm demo`: the main job. Starts namerd on the embedded file store, a switchyard-proxy
// watching it, and the sample services hello, world-v1 and world-v2, all on loopback; then
// walks the blue-green flow with namerctl and curl-equivalent requests: a tester's override,
// 10%, 100%, roll back. Interactive, it keeps everything running and prints commands to try,
// until Ctrl-C; with --once (or CI=true) it stops after the walk.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { Dtab } from '@switchyard/dtab'
import {
  type Child,
  DemoError,
  failure,
  httpProbe,
  startChild,
  tcpProbe,
  waitReady,
} from './demo/children.js'

const root = resolve(import.meta.dirname, '..')
const dataDir = resolve(process.env.SWITCHYARD_DEMO_DATA ?? join(root, 'data', 'demo'))
const interactive =
  process.stdout.isTTY && process.env.CI !== 'true' && !process.argv.includes('--once')
const bin = (name: string) => join(root, 'node_modules', '.bin', name)

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const step = (title: string) => console.log(`\n${bold(`== ${title}`)}`)

/** The well-known port when it is free (so the printed commands are the usual ones), else any. */
async function port(preferred: number): Promise<number> {
  const tryListen = (p: number) =>
    new Promise<number | undefined>((done) => {
      const srv = createServer()
      srv.once('error', () => done(undefined))
      srv.listen(p, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number }
        srv.close(() => done(port))
      })
    })
  return (await tryListen(preferred)) ?? (await tryListen(0))!
}

const children: Child[] = []
let failed = false
/** Set once every program is ready: an exit after that is "while the demo was running". */
const started = false
/** Ends the demo on the first failure: says which program and what it last printed. */
function fail(err: unknown): void {
  if (failed) return
  failed = true
  stopAll()
  const message = err instanceof DemoError ? err.message : String((err as Error).stack ?? err)
  console.error(`demo failed: ${message}`)
  process.exitCode = 1
}
function start(name: string, cmd: string, args: readonly string[]): Child {
  const child = startChild(name, cmd, args, root, (c) =>
    fail(
      failure(
        c,
        `${c.exitReason()} ${started ? 'while the demo was running' : 'before it was ready'}`,
      ),
    ),
  )
  children.push(child)
  return child
}

function stopAll(): void {
  for (const c of children) c.stop()
}

/** A GET with chosen headers (fetch would not let us set Host). */
function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((done, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        body += d
      })
      res.on('end', () => done({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** A request through the proxy; a refused or broken one names the proxy and its last lines. */
async function viaProxy(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  try {
    return await get(url, headers)
  } catch (err) {
    throw failure(proxy, `did not answer ${url} (${(err as Error).message})`)
  }
}

async function curl(url: string, headers: Record<string, string> = {}): Promise<string> {
  const flags = Object.entries(headers)
    .map(([k, v]) => ` -H '${k === 'host' ? 'Host' : k}: ${v}'`)
    .join('')
  console.log(`$ curl${flags} ${url}`)
  const { status, body } = await viaProxy(url, headers)
  console.log(`  ${status} ${body.trim()}`)
  return body
}

function namerctl(args: readonly string[], input?: string): string {
  console.log(`$ namerctl ${args.map((a) => (/[\s|&*>]/.test(a) ? `'${a}'` : a)).join(' ')}`)
  const run = spawnSync(bin('namerctl'), args, {
    cwd: root,
    env: { ...process.env, NAMERCTL_BASE_URL: namerdUrl, FORCE_COLOR: '0' },
    input: input ?? '',
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (run.status !== 0) {
    const why =
      run.error?.message ?? (run.status === null ? `killed by ${run.signal}` : `exit ${run.status}`)
    const said = `${run.stderr ?? ''}${run.stdout ?? ''}`.trim()
    throw new DemoError(
      `namerctl ${args.join(' ')} failed (${why}); it said:\n${
        said === ''
          ? '    (nothing)'
          : said
              .split('\n')
              .map((l) => `    ${l}`)
              .join('\n')
      }\nnamerd's last output:\n${namerd.tail()}`,
    )
  }
  for (const line of run.stdout.trimEnd().split('\n')) console.log(`  ${line}`)
  return run.stdout
}

/** Sends `n` requests as hello would and counts which world version answered. */
async function sample(n: number): Promise<void> {
  const counts = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const { status, body } = await viaProxy(proxyUrl, { host: 'world' })
    const version =
      status === 200 ? (JSON.parse(body) as { version: string }).version : `HTTP ${status}`
    counts.set(version, (counts.get(version) ?? 0) + 1)
  }
  const parts = [...counts].sort().map(([v, c]) => `${v}: ${c}`)
  console.log(`  ${n} requests to world through the proxy -> ${parts.join(', ')}`)
}

/**
 * Waits until the proxy routes on the dtab namerd now holds. Compared by content, not version:
 * a write that changes nothing (step 1 of a second run) is a new version that namerd's watch
 * never sends, since a state is not sent twice.
 */
async function propagated(): Promise<void> {
  const res = await fetch(`${namerdUrl}/api/1/dtabs/internal`, {
    headers: { accept: 'application/json' },
  })
  const want = Dtab.show(Dtab.fromJson(await res.json()))
  await waitReady(
    proxy,
    async () => {
      const routers = (await (await fetch(`${adminUrl}/admin/routers.json`)).json()) as {
        dtab?: string | null
      }[]
      const has = routers[0]?.dtab ?? 'none'
      return has === want ? null : `it routes on ${has}, namerd has ${want}`
    },
    10_000,
  )
}

for (const name of ['namerd', 'namerctl', 'switchyard-proxy']) {
  if (!existsSync(bin(name))) throw new Error(`${bin(name)} is missing: run pnpm install`)
}
if (!existsSync(join(root, 'packages/proxy/dist/main.js'))) {
  throw new Error('the packages are not built: run pnpm build (bash scripts/setup.sh demo does)')
}

const namerdPort = await port(4180)
const proxyPort = await port(4140)
const adminPort = await port(9990)
const [helloPort, v1Port, v2Port] = [await port(8080), await port(8081), await port(8082)]
const namerdUrl = `http://127.0.0.1:${namerdPort}`
const proxyUrl = `http://127.0.0.1:${proxyPort}/`
const adminUrl = `http://127.0.0.1:${adminPort}`

// Service discovery for the demo: the io.l5d.fs namer reads one file per service.
const disco = join(dataDir, 'disco')
mkdirSync(disco, { recursive: true })
writeFileSync(join(disco, 'hello'), `127.0.0.1 ${helloPort}\n`)
writeFileSync(join(disco, 'world-v1'), `127.0.0.1 ${v1Port}\n`)
writeFileSync(join(disco, 'world-v2'), `127.0.0.1 ${v2Port}\n`)
writeFileSync(
  join(dataDir, 'namerd.yaml'),
  `listen: 127.0.0.1:${namerdPort}\nstore: file:${join(dataDir, 'store')}\nnamers:\n  - {kind: io.l5d.fs, rootDir: ${disco}}\n`,
)
const proxyConfig = join(dataDir, 'proxy.yaml')
writeFileSync(
  proxyConfig,
  `id: demo-node
admin: {ip: 127.0.0.1, port: ${adminPort}}
log: {level: warn}
routers:
  - label: outgoing
    interpreter: {kind: namerd, dst: ${namerdUrl}, namespace: internal, retry: {baseSeconds: 1, maxSeconds: 10}}
    servers: [{ip: 127.0.0.1, port: ${proxyPort}}]
`,
)

process.on('SIGINT', () => {
  stopAll()
  console.log('\nstopped namerd, the proxy and the services')
  process.exit(0)
})

const tsx = ['--import', 'tsx']
const namerd = start('namerd', bin('namerd'), [
  '--config',
  join(dataDir, 'namerd.yaml'),
  '--log-level',
  'warn',
])
const services = [
  start('world-v1', process.execPath, [
    ...tsx,
    'examples/hello-world/world.ts',
    '--port',
    String(v1Port),
    '--version',
    'v1',
  ]),
  start('world-v2', process.execPath, [
    ...tsx,
    'examples/hello-world/world.ts',
    '--port',
    String(v2Port),
    '--version',
    'v2',
  ]),
  start('hello', process.execPath, [
    ...tsx,
    'examples/hello-world/hello.ts',
    '--port',
    String(helloPort),
    '--proxy',
    `http://127.0.0.1:${proxyPort}`,
  ]),
]
// Started once namerd is ready, so its first watch finds namerd (no retry backoff to wait out).
let proxy: Child = namerd

try {
  // Readiness endpoints, never log lines: at warn, a healthy namerd and proxy log nothing.
  await Promise.all([
    waitReady(
      namerd,
      httpProbe(`${namerdUrl}/ready`, (s) => s === 200),
    ),
    ...services.map((c, i) => waitReady(c, tcpProbe([v1Port, v2Port, helloPort][i]!))),
  ])
  proxy = start('switchyard-proxy', bin('switchyard-proxy'), ['--config', proxyConfig])
  // 503 is an answer too: the proxy is up and waits for the namespace, created in step 1.
  await waitReady(
    proxy,
    httpProbe(`${adminUrl}/admin/ready`, (s) => s === 200 || s === 503),
  )
  console.log(`namerd ${namerdUrl} (file store in ${join(dataDir, 'store')})`)
  console.log(`switchyard-proxy ${proxyUrl} (admin ${adminUrl})`)
  console.log(`hello :${helloPort}, world-v1 :${v1Port}, world-v2 :${v2Port}`)

  step('1. The namespace "internal": world is served by world-v1')
  const dtab =
    '/srv         => /#/io.l5d.fs;\n/host        => /srv;\n/tmp         => /srv;\n/svc         => /host;\n/host/world  => /srv/world-v1;\n'
  const existing = await fetch(`${namerdUrl}/api/1/dtabs/internal`, { method: 'HEAD' })
  // A namespace left by an earlier run is overwritten, not deleted: its history stays.
  namerctl(['dtab', existing.status === 200 ? 'update' : 'create', 'internal', '-'], dtab)
  namerctl(['dtab', 'get', 'internal'])
  const firstVersion = (await fetch(`${namerdUrl}/api/1/dtabs/internal`)).headers.get('etag') ?? ''
  await waitReady(
    proxy,
    httpProbe(`${adminUrl}/admin/ready`, (s) => s === 200),
    10_000,
  )
  await propagated()
  await curl(proxyUrl, { host: 'hello' })

  step('2. A tester reaches world-v2 in production with one header; hello passes it on')
  await curl(proxyUrl, { host: 'hello', 'l5d-dtab': '/host/world => /tmp/world-v2' })
  await curl(proxyUrl, { host: 'hello' })
  console.log('  (only the request carrying the override went to v2, on both hops)')

  step('3. 10% of all traffic to world-v2')
  namerctl(['shift', 'internal', '/host/world', '/tmp/world-v2=10', '/tmp/world-v1=90'])
  await propagated()
  await sample(500)

  step('4. 100% to world-v2')
  namerctl(['shift', 'internal', '/host/world', '/tmp/world-v2=100'])
  await propagated()
  await sample(50)

  step('5. Trouble: everything back to world-v1 in one step, to the version of step 1')
  namerctl(['history', 'internal'])
  // Plain `rollback internal` undoes only the last write (back to 10%); --to picks the version.
  namerctl(['rollback', 'internal', '--to', firstVersion])
  await propagated()
  await sample(50)

  if (!interactive) {
    if (!process.stdout.isTTY && process.env.CI !== 'true' && !process.argv.includes('--once')) {
      // Piped or redirected: nobody is there to try the commands, so say why it stops.
      console.log('\nOutput is not a terminal, so the demo stops after the walk; run it in a')
      console.log('terminal to keep everything running and get commands to try.')
    }
    stopAll()
  } else {
    step('Everything keeps running; try it (Ctrl-C stops it all)')
    const ctl = `NAMERCTL_BASE_URL=${namerdUrl} node_modules/.bin/namerctl`
    console.log(`  open ${namerdUrl}/ in a browser: the dashboard (docs/dashboard.md)`)
    console.log(`  curl -H 'Host: hello' ${proxyUrl}`)
    console.log(`  curl -H 'Host: hello' -H 'l5d-dtab: /host/world => /tmp/world-v2' ${proxyUrl}`)
    console.log(`  ${ctl} shift internal /host/world /tmp/world-v2=50 /tmp/world-v1=50`)
    console.log(`  ${ctl} delegate internal /svc/world`)
    console.log(`  ${ctl} status internal          # which proxies have the current version`)
    console.log(`  ${ctl} rollback internal        # undoes the last write`)
    console.log(`  curl '${adminUrl}/delegator.json?path=/svc/world'`)
    console.log(`  curl ${adminUrl}/admin/metrics/prometheus | grep rt:client:success`)
  }
} catch (err) {
  fail(err)
}
