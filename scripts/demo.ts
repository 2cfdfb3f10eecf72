// `pnpm demo`: the main job. Starts namerd on the embedded file store, a switchyard-proxy
// watching it, and the sample services hello, world-v1 and world-v2, all on loopback; then
// walks the blue-green flow with namerctl and curl-equivalent requests: a tester's override,
// 10%, 100%, roll back. Interactive, it keeps everything running and prints commands to try,
// until Ctrl-C; with --once (or CI=true) it stops after the walk.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'

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

const children: ChildProcess[] = []
function start(
  name: string,
  cmd: string,
  args: readonly string[],
  ready: RegExp | null,
): Promise<void> {
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let out = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  if (ready === null) return Promise.resolve()
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start:\n${out}`)), 20_000)
    const onData = () => {
      if (ready.test(out)) {
        clearTimeout(timer)
        done()
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      fail(new Error(`${name} exited with ${code}:\n${out}`))
    })
  })
}

function stopAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM')
}

/** A GET with chosen headers (fetch would not let us set Host). */
function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        body += d
      })
      res.on('end', () => done({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', fail)
    req.end()
  })
}

async function curl(url: string, headers: Record<string, string> = {}): Promise<string> {
  const flags = Object.entries(headers)
    .map(([k, v]) => ` -H '${k === 'host' ? 'Host' : k}: ${v}'`)
    .join('')
  console.log(`$ curl${flags} ${url}`)
  const { status, body } = await get(url, headers)
  console.log(`  ${status} ${body.trim()}`)
  return body
}

function namerctl(args: readonly string[], input?: string): void {
  console.log(`$ namerctl ${args.map((a) => (/[\s|&*>]/.test(a) ? `'${a}'` : a)).join(' ')}`)
  const out = execFileSync(bin('namerctl'), args, {
    cwd: root,
    env: { ...process.env, NAMERCTL_BASE_URL: namerdUrl, FORCE_COLOR: '0' },
    input,
    encoding: 'utf8',
  })
  for (const line of out.trimEnd().split('\n')) console.log(`  ${line}`)
}

/** Sends `n` requests as hello would and counts which world version answered. */
async function sample(n: number): Promise<void> {
  const counts = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const { status, body } = await get(proxyUrl, { host: 'world' })
    const version =
      status === 200 ? (JSON.parse(body) as { version: string }).version : `HTTP ${status}`
    counts.set(version, (counts.get(version) ?? 0) + 1)
  }
  const parts = [...counts].sort().map(([v, c]) => `${v}: ${c}`)
  console.log(`  ${n} requests to world through the proxy -> ${parts.join(', ')}`)
}

/** Waits until the proxy routes on the namespace version namerd now holds. */
async function propagated(): Promise<void> {
  const etag = (await fetch(`${namerdUrl}/api/1/dtabs/internal`)).headers.get('etag')
  for (let i = 0; i < 100; i++) {
    const routers = (await (await fetch(`${adminUrl}/admin/routers.json`)).json()) as {
      version: string | null
    }[]
    if (routers[0]?.version === etag) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('the proxy did not receive the new dtab within 10 s')
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

try {
  const tsx = ['--import', 'tsx']
  await Promise.all([
    start(
      'namerd',
      bin('namerd'),
      ['--config', join(dataDir, 'namerd.yaml'), '--log-level', 'warn'],
      null,
    ),
    start(
      'world-v1',
      process.execPath,
      [...tsx, 'examples/hello-world/world.ts', '--port', String(v1Port), '--version', 'v1'],
      /listening/,
    ),
    start(
      'world-v2',
      process.execPath,
      [...tsx, 'examples/hello-world/world.ts', '--port', String(v2Port), '--version', 'v2'],
      /listening/,
    ),
    start(
      'hello',
      process.execPath,
      [
        ...tsx,
        'examples/hello-world/hello.ts',
        '--port',
        String(helloPort),
        '--proxy',
        `http://127.0.0.1:${proxyPort}`,
      ],
      /listening/,
    ),
    start(
      'switchyard-proxy',
      bin('switchyard-proxy'),
      ['--config', proxyConfig],
      /admin listening|"level":[4-6]0/,
    ),
  ])
  // namerd logs nothing at warn level when all is well; wait until it answers instead.
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${namerdUrl}/ready`)).ok) break
    } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  console.log(`namerd ${namerdUrl} (file store in ${join(dataDir, 'store')})`)
  console.log(`switchyard-proxy ${proxyUrl} (admin ${adminUrl})`)
  console.log(`hello :${helloPort}, world-v1 :${v1Port}, world-v2 :${v2Port}`)

  step('1. The namespace "internal": world is served by world-v1')
  const existing = await fetch(`${namerdUrl}/api/1/dtabs/internal`, { method: 'HEAD' })
  if (existing.status === 200) namerctl(['dtab', 'delete', 'internal'])
  namerctl(
    ['dtab', 'create', 'internal', '-'],
    '/srv         => /#/io.l5d.fs;\n/host        => /srv;\n/tmp        => /srv;\n/svc         => /host;\n/host/world  => /srv/world-v1;\n',
  )
  namerctl(['dtab', 'get', 'internal'])
  const firstVersion = (await fetch(`${namerdUrl}/api/1/dtabs/internal`)).headers.get('etag') ?? ''
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

  step('5. Trouble: everything back to world-v1 in one step, from history')
  namerctl(['history', 'internal'])
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
    console.log(`  curl -H 'Host: hello' ${proxyUrl}`)
    console.log(`  curl -H 'Host: hello' -H 'l5d-dtab: /host/world => /tmp/world-v2' ${proxyUrl}`)
    console.log(`  ${ctl} shift internal /host/world /tmp/world-v2=50 /tmp/world-v1=50`)
    console.log(`  ${ctl} delegate internal /svc/world`)
    console.log(`  ${ctl} status internal          # which proxies have the current version`)
    console.log(`  ${ctl} rollback internal`)
    console.log(`  curl '${adminUrl}/delegator.json?path=/svc/world'`)
    console.log(`  curl ${adminUrl}/admin/metrics/prometheus | grep rt:client:success`)
  }
} catch (err) {
  stopAll()
  console.error(`demo failed: ${(err as Error).message}`)
  process.exitCode = 1
}
