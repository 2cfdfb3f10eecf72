// The read-only additions: the route debugger (`delegate`), propagation status (`status`),
// shell completion, and help with examples on every command.
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { VERSION } from '../src/version.js'
import { runCli, startNamerd, tempDir, watch } from './helpers.js'
import { putNs } from './namerd-writes.js'

async function namerdWithFsNamer(t: Test) {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'disco'))
  await writeFile(join(dir, 'disco', 'world-v1'), '10.0.0.5 8080\n10.0.0.6 8080\n')
  // world-v2 exists too: `shift` refuses a destination that does not resolve.
  await writeFile(join(dir, 'disco', 'world-v2'), '10.0.0.7 8080\n')
  await writeFile(
    join(dir, 'namerd.yaml'),
    'store: memory\nnamers:\n  - kind: io.l5d.fs\n    rootDir: disco\n',
  )
  const namerd = await startNamerd(t, ['--config', join(dir, 'namerd.yaml')])
  await namerd.cli(['dtab', 'create', 'default', '-'], {
    stdin: '/svc=>/#/io.l5d.fs;/svc/world=>/svc/world-v1',
  })
  return namerd
}

t.test('delegate prints the delegation tree, each step with the dentry that applied', async (t) => {
  const namerd = await namerdWithFsNamer(t)
  const r = await namerd.cli(['delegate', 'default', '/svc/world'])
  t.equal(r.code, 0, r.stderr)
  t.equal(
    r.stdout,
    [
      '/svc/world  alt: the first that resolves wins',
      '├─ #1 /svc/world-v1  via /svc/world=>/svc/world-v1',
      '│  └─ /#/io.l5d.fs/world-v1  via /svc=>/#/io.l5d.fs  → bound: 10.0.0.5:8080, 10.0.0.6:8080',
      '└─ #2 /#/io.l5d.fs/world  via /svc=>/#/io.l5d.fs  ~ neg: no route here',
      '',
    ].join('\n'),
  )
})

t.test(
  'delegate --dtab adds dentries last, as an l5d-dtab header would; unions show weights',
  async (t) => {
    const namerd = await namerdWithFsNamer(t)
    const r = await namerd.cli([
      'delegate',
      'default',
      '/svc/world',
      '--dtab',
      '/svc/world => 1 * /svc/world-v2 & 3 * /svc/world-v1',
    ])
    t.equal(r.code, 0, r.stderr)
    t.match(
      r.stdout,
      /├─ #1 \/svc\/world {2}via \/svc\/world=>\/svc\/world-v2 & 3\.00\*\/svc\/world-v1 {2}union: split by weight\n/,
    )
    t.match(r.stdout, /│ {2}├─ 1\.00 \(25%\) \/svc\/world-v2 /)
    t.match(r.stdout, /│ {2}└─ 3\.00 \(75%\) \/svc\/world-v1 /)
  },
)

t.test("delegate -o json is namerd's tree as sent; bad input is a usage error", async (t) => {
  const namerd = await namerdWithFsNamer(t)
  const json = await namerd.cli(['delegate', 'default', '/svc/world', '-o', 'json'])
  const direct = await fetch(`${namerd.base}/api/1/delegate/default?path=/svc/world`)
  t.equal(json.stdout, `${await direct.text()}\n`)
  const badPath = await namerd.cli(['delegate', 'default', 'svc/world'])
  t.equal(badPath.code, 2)
  t.match(badPath.stderr, /invalid path "svc\/world"/)
  const badDtab = await namerd.cli(['delegate', 'default', '/svc/world', '--dtab', '/x =>'])
  t.equal(badDtab.code, 2)
  t.match(badDtab.stderr, /cannot parse --dtab at offset 5/)
})

t.test(
  'status lists the watchers of a namespace by name, and whether each is current',
  async (t) => {
    const namerd = await namerdWithFsNamer(t)
    const { lines } = await watch(t, `${namerd.base}/api/1/dtabs/default?watch=1`, {
      'l5d-watcher-id': 'node-a',
    })
    await lines.next()
    const r = await namerd.cli(['status', 'default'])
    t.equal(r.code, 0, r.stderr)
    const out = r.stdout.split('\n')
    t.equal(out[0], 'Namespace default is at version v1 (AAAAAAAAAAE=).')
    t.match(out[1], /^WATCHER +KIND +VERSION +CURRENT +SINCE +REMOTE +PATH$/)
    t.match(
      out[2],
      /^node-a +dtab +v1 \(AAAAAAAAAAE=\) +yes +\S+ +127\.0\.0\.1:\d+ +\/api\/1\/dtabs\/default\?watch=1$/,
    )
    t.equal(out[3], '1 of 1 watchers have the current version.')

    // A new version, written straight to namerd: what `status --wait` follows is the watchers.
    await putNs(namerd.base, 'default', '/svc=>/#/io.l5d.fs;/svc/world=>/svc/world-v2')
    await lines.next()
    const waited = await namerd.cli(['status', 'default', '--wait', '--timeout', '5', '-o', 'json'])
    t.equal(waited.code, 0, waited.stderr)
    const status = JSON.parse(waited.stdout) as {
      version: string
      watchers: { id: string; current: boolean; version: string }[]
    }
    t.equal(status.version, 'AAAAAAAAAAI=')
    t.same(
      status.watchers.map((w) => [w.id, w.current, w.version]),
      [['node-a', true, 'AAAAAAAAAAI=']],
    )
  },
)

/** A proxy's admin port on loopback: /admin/routers.json answers `answer`, or never ('hang'). */
async function proxyAdmin(t: Test, answer: () => string | 'hang'): Promise<string> {
  const server = createServer((req, res) => {
    const a = answer()
    if (req.url !== '/admin/routers.json' || a === 'hang') return
    res.writeHead(200, { 'content-type': 'application/json' }).end(a)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test(
  'status agrees with the dashboard: a proxy that was sent the version but does not confirm it is not current',
  async (t) => {
    const namerd = await namerdWithFsNamer(t)
    let version: string | null = null
    const routers = () =>
      JSON.stringify([
        {
          label: 'out',
          interpreter: { kind: 'io.l5d.namerd.http', namespace: 'default', connected: true },
          version,
        },
      ])
    const healthy = await proxyAdmin(t, routers)
    const hung = await proxyAdmin(t, () => 'hang')
    for (const [id, admin] of [
      ['node-a', healthy],
      ['node-b', hung],
    ] as const) {
      const w = await watch(t, `${namerd.base}/api/1/dtabs/default?watch=1`, {
        'l5d-watcher-id': id,
        'l5d-watcher-admin': admin,
      })
      await w.lines.next()
    }
    version = 'AAAAAAAAAAE='
    const r = await namerd.cli(['status', 'default'])
    t.equal(r.code, 0, r.stderr)
    const out = r.stdout.split('\n')
    t.match(out[2], /^node-a +dtab +v1 \(AAAAAAAAAAE=\) +yes /)
    t.match(out[3], /^node-b +dtab +v1 \(AAAAAAAAAAE=\) +no, not confirmed /)
    t.match(
      out[4],
      /^node-b \(admin 127\.0\.0\.1:\d+\) was sent it, but its proxy does not confirm it: .*no whole answer within 1500 ms/,
    )
    t.equal(out[5], '1 of 2 watchers have the current version (1 sent it, not confirmed).')

    const json = await namerd.cli(['status', 'default', '-o', 'json'])
    const status = JSON.parse(json.stdout) as {
      watchers: { id: string; current: boolean; notConfirmed: { state: string } | null }[]
    }
    t.same(
      status.watchers.map((w) => [w.id, w.current, w.notConfirmed?.state ?? null]),
      [
        ['node-a', true, null],
        ['node-b', false, 'unanswered'],
      ],
    )
    const waited = await namerd.cli(['status', 'default', '--wait', '--timeout', '1'])
    t.equal(waited.code, 1, '--wait does not pass on a hung proxy')
    t.match(waited.stderr, /1 of the 2 watchers wanted have version v1/)
    t.match(waited.stderr, /node-b at v1 \(AAAAAAAAAAE=\) \(sent, not confirmed: /)
  },
)

t.test('status keeps to the watchers listing with a namerd that has no proxy-status', async (t) => {
  const watcher = {
    id: 'node-a',
    stream: 1,
    kind: 'dtab',
    path: '/api/1/dtabs/default?watch=1',
    remote: '127.0.0.1:5000',
    since: '2026-01-01T00:00:00.000Z',
    version: 'AAAAAAAAAAE=',
    sentAt: '2026-01-01T00:00:00.000Z',
    current: true,
    sent: 1,
    dropped: 0,
    bufferedBytes: 0,
    admin: '127.0.0.1:9',
  }
  const asked: string[] = []
  // An older namerd: the watchers route, and its own 404 for a route it does not have.
  const server = createServer((req, res) => {
    asked.push(req.url ?? '')
    if (req.url === '/api/1/dtabs/default/watchers') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ namespace: 'default', version: 'AAAAAAAAAAE=', watchers: [watcher] }),
      )
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: 'not_found', message: `no such route: GET ${req.url}` }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const r = await runCli(['--base-url', base, 'status', 'default'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^node-a +dtab +v1 \(AAAAAAAAAAE=\) +yes /m)
  t.match(r.stdout, /^1 of 1 watchers have the current version\.$/m)
  t.same(asked, ['/api/1/dtabs/default/watchers', '/api/1/proxy-status/default'])
})

t.test('status of a namespace nobody watches says so', async (t) => {
  const namerd = await namerdWithFsNamer(t)
  const r = await namerd.cli(['status', 'default'])
  t.equal(r.stdout, 'Namespace default is at version v1 (AAAAAAAAAAE=).\nNo watchers.\n')
})

t.test('completion bash prints a script that completes commands and flags', async (t) => {
  const r = await runCli(['completion', 'bash'])
  t.equal(r.code, 0)
  t.match(r.stdout, /complete -F _namerctl namerctl/)
  const dir = await tempDir(t)
  const script = join(dir, 'namerctl.bash')
  await writeFile(script, r.stdout)
  execFileSync('bash', ['-n', script])
  const complete = (words: string[]) =>
    execFileSync(
      'bash',
      [
        '-c',
        `source "${script}"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _namerctl; echo "\${COMPREPLY[*]}"`,
      ],
      { encoding: 'utf8' },
    ).trim()
  t.equal(complete(['namerctl', 'sh']), 'shift')
  t.equal(complete(['namerctl', 'dtab', 'g']), 'get')
  t.match(complete(['namerctl', 'shift', 'internal', '/host/world', '/x=1', '--d']), '--dry-run')
  t.equal(complete(['namerctl', 'dtab', 'get', 'ns', '-o', 'y']), 'yaml')
  const zsh = await runCli(['completion', 'zsh'])
  t.match(zsh.stdout, /^#compdef namerctl\n/)
  const fish = await runCli(['completion', 'fish'])
  t.equal(fish.code, 2)
})

t.test('every command has --help with examples (exit 0)', async (t) => {
  const commands = [
    [],
    ['dtab'],
    ['dtab', 'list'],
    ['dtab', 'get'],
    ['dtab', 'create'],
    ['dtab', 'update'],
    ['dtab', 'delete'],
    ['dtab', 'edit'],
    ['shift'],
    ['history'],
    ['rollback'],
    ['delegate'],
    ['status'],
    ['completion'],
  ]
  const results = await Promise.all(commands.map((c) => runCli([...c, '--help'])))
  results.forEach((r, i) => {
    const name = ['namerctl', ...(commands[i] ?? [])].join(' ')
    t.equal(r.code, 0, name)
    t.match(r.stdout, /\nExamples:\n {2}\S/, name)
  })
})

t.test('--version prints "namerctl" and the version in package.json', async (t) => {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  t.equal(VERSION, pkg.version)
  const r = await runCli(['--version'])
  t.equal(r.stdout, `namerctl ${pkg.version}\n`)
})
