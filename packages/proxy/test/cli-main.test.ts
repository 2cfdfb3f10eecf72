// The switchyard-proxy command as users run it: the built dist/main.js in a child process.
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { type AddressInfo, createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { tempDir } from './interpret-helpers.js'
import { inet, recordingBackend, send } from './router-helpers.js'

const MAIN = resolve(fileURLToPath(import.meta.url), '../../dist/main.js')

interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

function start(args: string[]): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const exit = new Promise<Exit>((done) => {
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }))
  })
  return { child, exit }
}

const run = (args: string[]) => start(args).exit

interface Running {
  readonly child: ChildProcess
  readonly exit: Promise<Exit>
  /** Every JSON log line so far. */
  readonly lines: Record<string, unknown>[]
  /** The first router's `router listening` line. */
  readonly listening: Promise<{ address: string }>
}

/** Starts the proxy on a config file; it is killed at teardown if it is still running. */
function startProxy(t: { teardown(fn: () => unknown): void }, config: string): Running {
  const { child, exit } = start(['--config', config])
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const lines: Record<string, unknown>[] = []
  const listening = new Promise<{ address: string }>((done, fail) => {
    let buffer = ''
    child.stdout?.on('data', (d: string) => {
      buffer += d
      let nl = buffer.indexOf('\n')
      while (nl >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>
        buffer = buffer.slice(nl + 1)
        lines.push(line)
        if (line.msg === 'router listening') done(line as unknown as { address: string })
        nl = buffer.indexOf('\n')
      }
    })
    void exit.then((e) => fail(new Error(`exited early: ${e.code} ${e.stderr}`)))
  })
  return { child, exit, lines, listening }
}

const portOf = (address: string) => Number(address.split(':')[1])

t.test('--help exits 0 and shows usage and examples', async (t) => {
  const r = await run(['--help'])
  t.equal(r.code, 0)
  t.match(r.stdout, 'Usage:')
  t.match(r.stdout, 'switchyard-proxy --config FILE')
  t.match(r.stdout, "curl -s -H 'Host: world' localhost:4140/")
  t.match(r.stdout, 'clearContext')
  t.equal(r.stderr, '')
})

t.test('--version prints the version', async (t) => {
  const r = await run(['--version'])
  t.equal(r.code, 0)
  t.match(r.stdout, /^switchyard-proxy \d+\.\d+\.\d+\n$/)
})

t.test('without --config it exits 2 and says what is missing', async (t) => {
  const r = await run([])
  t.equal(r.code, 2)
  t.match(r.stderr, 'switchyard-proxy: --config FILE is required')
  t.match(r.stderr, "Run 'switchyard-proxy --help'")
  const unknown = await run(['--frobnicate'])
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, 'switchyard-proxy: unknown option --frobnicate\n')
  for (const args of [
    ['--log-level', 'loud', '--config', 'proxy.yaml'],
    ['--check', '--log-level', 'loud', '--config', 'proxy.yaml'],
  ]) {
    const level = await run(args)
    t.equal(level.code, 2, 'a log level pino does not know is a usage error, not a crash')
    t.match(
      level.stderr,
      '--log-level loud: use one of fatal, error, warn, info, debug, trace, silent',
    )
  }
})

t.test('--check with a good config exits 0 and describes what would run', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'good.yaml')
  await writeFile(
    file,
    [
      'admin: {port: 9990}',
      'routers:',
      '  - label: outgoing',
      '    interpreter: {kind: namerd, dst: "http://127.0.0.1:4180", namespace: internal}',
      '    servers: [{port: 4140}, {ip: 0.0.0.0, port: 4142, clearContext: true}]',
      '',
    ].join('\n'),
  )
  const r = await run(['--check', '--config', file])
  t.equal(r.code, 0, r.stderr)
  t.equal(
    r.stdout,
    `router outgoing: 127.0.0.1:4140, 0.0.0.0:4142 (clearContext) -> namerd http://127.0.0.1:4180 namespace internal\nadmin: 127.0.0.1:9990\n${file}: valid\n`,
  )
})

t.test(
  "--check lists the namers and each router's transformers with their key settings",
  async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'daemonset.yaml')
    await writeFile(
      file,
      [
        'admin: {port: 9990}',
        'namers:',
        '  - {kind: io.l5d.k8s, host: localhost, port: 8001, labelSelector: version}',
        `  - {kind: io.l5d.fs, rootDir: ${JSON.stringify(dir)}, prefix: /disco}`,
        'routers:',
        '  - label: outgoing',
        '    interpreter:',
        '      kind: namerd',
        '      dst: "http://namerd.linkerd:4180"',
        '      namespace: internal',
        '      transformers:',
        '        - {kind: io.l5d.k8s.daemonset, namespace: linkerd, port: incoming, service: l5d, k8sPort: 8001}',
        '    servers: [{port: 4140}]',
        '  - label: incoming',
        '    interpreter:',
        '      kind: local',
        '      dtab: "/svc => /#/io.l5d.k8s/default/http"',
        '      transformers:',
        '        - {kind: io.l5d.k8s.localnode, hostNetwork: true}',
        '        - {kind: io.l5d.k8s.daemonset, namespace: mesh, port: 4141, service: proxy, hostNetwork: true, prefix: /ds}',
        '    servers: [{port: 4141}]',
        '',
      ].join('\n'),
    )
    const r = await run(['--check', '--config', file])
    t.equal(r.code, 0, r.stderr)
    t.equal(
      r.stdout,
      [
        'namer /#/io.l5d.k8s: io.l5d.k8s http://localhost:8001 (labelSelector version)',
        `namer /#/disco: io.l5d.fs ${dir}`,
        'router outgoing: 127.0.0.1:4140 -> namerd http://namerd.linkerd:4180 namespace internal',
        "  transformer io.l5d.k8s.daemonset: the proxies are Service linkerd/l5d port incoming, Kubernetes API http://localhost:8001, matched by the pod IP's /24 (hostNetwork: false); ids /%/io.l5d.k8s.daemonset/linkerd/incoming/l5d",
        'router incoming: 127.0.0.1:4141 -> local dtab',
        "  transformer io.l5d.k8s.localnode: keeps this node's endpoints, matched by node name (hostNetwork: true); ids /%/io.l5d.k8s.localnode/<NODE_NAME>",
        '  transformer io.l5d.k8s.daemonset: the proxies are Service mesh/proxy port 4141, Kubernetes API in-cluster, else kubeconfig, matched by node name (hostNetwork: true); ids /%/ds',
        'admin: 127.0.0.1:9990',
        `${file}: valid`,
        '',
      ].join('\n'),
    )
  },
)

t.test('a bad config exits 2 with the located message on stderr', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'bad.yaml')
  await writeFile(file, 'routers:\n  - servers: [{port: 4140}]\n    timout: 5\n')
  for (const args of [
    ['--check', '--config', file],
    ['--config', file],
  ]) {
    const r = await run(args)
    t.equal(r.code, 2)
    t.equal(r.stderr, `switchyard-proxy: ${file}:3:5: routers[0]: unknown key "timout"\n`)
    t.equal(r.stdout, '')
  }
  const missing = await run(['--config', join(dir, 'nope.yaml')])
  t.equal(missing.code, 2)
  t.match(missing.stderr, 'cannot read config file')
})

t.test(
  'an io.l5d.fs rootDir that is not a directory is refused before anything starts',
  async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'proxy.yaml')
    await writeFile(
      file,
      'namers: [{kind: io.l5d.fs, rootDir: disco}]\nrouters:\n  - interpreter: {kind: local, dtab: "/svc => /#/io.l5d.fs"}\n    servers: [{port: 0}]\n',
    )
    for (const args of [
      ['--check', '--config', file],
      ['--config', file],
    ]) {
      const r = await run(args)
      t.equal(r.code, 2, 'as any other config error')
      t.equal(
        r.stderr,
        `switchyard-proxy: ${file}: namers[0].rootDir: ${join(dir, 'disco')} is not a directory (io.l5d.fs reads its names from there)\n`,
      )
    }
  },
)

t.test('a port already in use exits 1 and names the config key to change', async (t) => {
  const taken = createServer()
  await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done))
  t.teardown(() => taken.close())
  const port = (taken.address() as AddressInfo).port
  const dir = await tempDir(t)
  const file = join(dir, 'proxy.yaml')
  const dtab = 'interpreter: {kind: local, dtab: "/svc => /$/inet/127.0.0.1/1"}'
  await writeFile(
    file,
    `admin: {port: 0}\nrouters:\n  - ${dtab}\n    servers: [{port: 0}, {port: ${port}}]\n`,
  )
  const r = await run(['--config', file])
  t.equal(r.code, 1)
  t.match(
    r.stderr,
    `switchyard-proxy: cannot start: routers[0].servers[1]: listen EADDRINUSE: address already in use 127.0.0.1:${port}; stop what uses the port or change routers[0].servers[1].port`,
  )
  await writeFile(file, `admin: {port: ${port}}\nrouters:\n  - ${dtab}\n    servers: [{port: 0}]\n`)
  const admin = await run(['--config', file])
  t.equal(admin.code, 1)
  t.match(admin.stderr, 'cannot start: admin: listen EADDRINUSE')
  t.match(admin.stderr, 'change admin.port')
})

t.test('a real start logs router listening, routes, and stops cleanly on SIGTERM', async (t) => {
  const dir = await tempDir(t)
  const world = await recordingBackend(t, 'world')
  const file = join(dir, 'proxy.yaml')
  await writeFile(
    file,
    [
      'id: cli-test',
      'admin: {port: 0}',
      'routers:',
      '  - label: outgoing',
      `    dtab: /svc/world => ${inet(world.port)}`,
      '    servers: [{port: 0}]',
      '',
    ].join('\n'),
  )
  const { child, exit, lines, listening: started } = startProxy(t, file)
  const listening = await started
  t.match(listening, { level: 30, name: 'switchyard-proxy', router: 'outgoing' })
  t.match(listening.address, /^127\.0\.0\.1:\d+$/)
  const r = await send(portOf(listening.address), { headers: { host: 'world' } })
  t.equal(r.status, 200)
  t.equal(r.body, 'world')

  child.kill('SIGTERM')
  const e = await exit
  t.equal(e.code, 0, e.stderr)
  t.equal(e.signal, null)
  t.ok(
    lines.some((l) => l.msg === 'admin listening'),
    'the admin server was announced',
  )
  t.match(e.stdout, '"msg":"stopping"')
  t.match(e.stdout, '"msg":"stopped"')
})

t.test('SIGTERM waits for requests in flight only as long as shutdownGraceMs', async (t) => {
  const dir = await tempDir(t)
  const endless = await recordingBackend(t, 'endless', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.write('data: first\n\n')
    // and never ends, as a server-sent event stream does not
  })
  const file = join(dir, 'proxy.yaml')
  await writeFile(
    file,
    [
      'admin: {port: 0}',
      'shutdownGraceMs: 300',
      'routers:',
      '  - label: outgoing',
      `    dtab: /svc/endless => ${inet(endless.port)}`,
      '    servers: [{port: 0}]',
      '',
    ].join('\n'),
  )
  const { child, exit, listening } = startProxy(t, file)
  const port = portOf((await listening).address)
  const firstChunk = await new Promise<string>((done, fail) => {
    const req = request({ port, host: '127.0.0.1', headers: { host: 'endless' } }, (res) => {
      res.setEncoding('utf8')
      res.once('data', (d: string) => done(d))
      res.on('error', () => {})
    })
    req.on('error', fail)
    req.end()
  })
  t.equal(firstChunk, 'data: first\n\n', 'the stream is open')
  const stopAsked = Date.now()
  child.kill('SIGTERM')
  const e = await exit
  const took = Date.now() - stopAsked
  t.equal(e.code, 0, e.stderr)
  t.ok(took >= 250, `waited for the grace period (${took} ms)`)
  t.ok(took < 5000, `did not wait for the stream to end (${took} ms)`)
  t.match(e.stdout, /still in flight when the shutdown grace period ended/)
})
