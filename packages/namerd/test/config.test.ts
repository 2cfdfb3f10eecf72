// Configuration: the YAML file checked with zod (errors name the key and the problem), the
// environment and flags overriding it, and the command line's usage errors (exit status 2).
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, parseListen, parseTokensEnv, resolveSettings } from '../src/config.js'
import { runNamerd, startProcess, tempDir } from './helpers.js'

async function configFile(
  t: Parameters<typeof tempDir>[0],
  yaml: string,
): Promise<{ dir: string; file: string }> {
  const dir = await tempDir(t)
  const file = join(dir, 'namerd.yaml')
  await writeFile(file, yaml)
  return { dir, file }
}

async function issuesOf(promise: Promise<unknown>): Promise<readonly string[]> {
  try {
    await promise
  } catch (err) {
    if (err instanceof ConfigError) return err.issues
    throw err
  }
  throw new Error('expected a ConfigError')
}

t.test('with no configuration: the file store in ./data, on 127.0.0.1:4180', async (t) => {
  const s = await resolveSettings({}, {}, '/srv/namerd')
  t.same(s.listen, { host: '127.0.0.1', port: 4180 })
  t.same(s.store, { kind: 'file', dir: '/srv/namerd/data' })
  t.same(s.tokens, [])
  t.equal(s.insecure, false)
  t.equal(s.logLevel, 'info')
  t.equal(s.limits.maxBodyBytes, 1024 * 1024)
})

t.test('a config file; relative paths are relative to it', async (t) => {
  const { dir, file } = await configFile(
    t,
    `listen: 0.0.0.0:4181
store: file:state
namers:
  - kind: io.l5d.fs
    rootDir: disco
auth:
  tokens:
    - {name: ci, scope: write, token: "0123456789abcdef"}
  anonymousReads: true
limits: {maxBodyBytes: 2048, maxWatchers: 5, historyLimit: 7}
log: {level: warn}
`,
  )
  const s = await resolveSettings({ config: file }, {}, '/elsewhere')
  t.same(s.listen, { host: '0.0.0.0', port: 4181 })
  t.same(s.store, { kind: 'file', dir: join(dir, 'state') })
  t.same(s.namers, [{ kind: 'io.l5d.fs', rootDir: join(dir, 'disco') }])
  t.same(s.tokens, [{ name: 'ci', scope: 'write', token: '0123456789abcdef' }])
  t.equal(s.anonymousReads, true)
  t.equal(s.limits.maxBodyBytes, 2048)
  t.equal(s.limits.maxWatchers, 5)
  t.equal(s.historyLimit, 7)
  t.equal(s.logLevel, 'warn')
  t.equal(s.configFile, file)
})

t.test('the environment overrides the file, and flags override both', async (t) => {
  const { file } = await configFile(t, 'listen: 127.0.0.1:1\nstore: memory\nlog: {level: warn}\n')
  const env = {
    SWITCHYARD_NAMERD_LISTEN: '127.0.0.1:2',
    SWITCHYARD_NAMERD_STORE: 'etcd:http://10.0.0.1:2379,http://10.0.0.2:2379/sw/dtabs/',
    SWITCHYARD_NAMERD_LOG_LEVEL: 'debug',
    SWITCHYARD_NAMERD_INSECURE: 'true',
    SWITCHYARD_NAMERD_TOKENS:
      'ci:write:0123456789abcdef, grafana:read:fedcba9876543210:with:colons',
  }
  let s = await resolveSettings({ config: file }, env, '/w')
  t.same(s.listen, { host: '127.0.0.1', port: 2 })
  t.same(s.store, {
    kind: 'etcd',
    hosts: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
    prefix: '/sw/dtabs/',
  })
  t.equal(s.logLevel, 'debug')
  t.equal(s.insecure, true)
  t.same(
    s.tokens.map((x) => [x.name, x.scope, x.token]),
    [
      ['ci', 'write', '0123456789abcdef'],
      ['grafana', 'read', 'fedcba9876543210:with:colons'],
    ],
  )
  s = await resolveSettings(
    { config: file, listen: '[::1]:3', store: 'file:rel', logLevel: 'error', insecure: false },
    env,
    '/w',
  )
  t.same(s.listen, { host: '::1', port: 3 })
  t.same(s.store, { kind: 'file', dir: '/w/rel' }, 'a flag is relative to the working directory')
  t.equal(s.logLevel, 'error')
  t.equal(s.insecure, false)
})

t.test('config errors name the file, the key and the problem', async (t) => {
  const cases: [string, RegExp[]][] = [
    ['listen: nowhere\n', [/namerd\.yaml:1:9: listen: "nowhere" is not HOST:PORT/]],
    [
      'store: mongo:x\n',
      [
        /namerd\.yaml:1:8: store: invalid store "mongo:x": unknown kind of store; expected 'memory'/,
      ],
    ],
    [
      'lsiten: 127.0.0.1:1\n',
      [/namerd\.yaml:1:1: \(top level\): unknown key "lsiten"; did you mean "listen"\?$/],
    ],
    [
      'auth:\n  tokens:\n    - {name: ci, scope: admin, token: short}\n',
      [
        /namerd\.yaml:3:39: auth\.tokens\[0\]\.token: at least 16 characters/,
        /namerd\.yaml:3:25: auth\.tokens\[0\]\.scope: must be "read" or "write"/,
      ],
    ],
    ['limits: {maxBodyBytes: 10}\n', [/namerd\.yaml:1:24: limits\.maxBodyBytes: .*1024/]],
    [
      'namers:\n  - kind: io.l5d.fs\n',
      [/namerd\.yaml:2:5: namers\[0\]\.rootDir: required: the directory of endpoints files$/],
    ],
    [
      'namers:\n  - kind: io.l5d.consul\n',
      [
        /namerd\.yaml:2:11: namers\[0\]\.kind: unknown namer kind "io\.l5d\.consul"; known kinds: io\.l5d\.fs, io\.l5d\.k8s/,
      ],
    ],
    [
      'namers:\n  - {kind: io.l5d.k8s, port: 0}\n',
      [/namerd\.yaml:2:30: namers\[0\]\.port: must be a port number from 1 to 65535, e\.g\. 8001/],
    ],
    ['listen: [1, 2\n', [/namerd\.yaml:\d+:\d+: not valid YAML: Flow sequence/]],
  ]
  for (const [yaml, expected] of cases) {
    const { file } = await configFile(t, yaml)
    const issues = await issuesOf(resolveSettings({ config: file }, {}))
    for (const re of expected)
      t.ok(
        issues.some((i) => re.test(i)),
        `${JSON.stringify(yaml)}: ${issues.join(' | ')}`,
      )
  }
  t.match(
    (await issuesOf(resolveSettings({ config: '/nope/namerd.yaml' }, {})))[0],
    /cannot read config file \/nope\/namerd\.yaml/,
  )
})

t.test('bad values from flags and the environment name where they came from', async (t) => {
  t.match(await issuesOf(resolveSettings({ listen: '4180:x' }, {})), [
    /^--listen: "4180:x" is not HOST:PORT/,
  ])
  t.match(await issuesOf(resolveSettings({}, { SWITCHYARD_NAMERD_STORE: 'file:' })), [
    /^SWITCHYARD_NAMERD_STORE: invalid store "file:": the directory is missing/,
  ])
  t.match(await issuesOf(resolveSettings({ logLevel: 'loud' }, {})), [
    /^--log-level: "loud" is not one of fatal/,
  ])
  t.match(await issuesOf(resolveSettings({}, { SWITCHYARD_NAMERD_INSECURE: 'maybe' })), [
    /^SWITCHYARD_NAMERD_INSECURE: "maybe" is not a boolean/,
  ])
  t.match(await issuesOf(Promise.resolve().then(() => parseTokensEnv('ci-write-secret'))), [
    /entry 1: expected <name>:<scope>:<token>/,
  ])
  t.match(
    await issuesOf(Promise.resolve().then(() => parseTokensEnv('ci:root:0123456789abcdef'))),
    [/entry 1: scope: must be "read" or "write"/],
  )
  t.match(
    await issuesOf(
      resolveSettings(
        {},
        { SWITCHYARD_NAMERD_TOKENS: 'a:write:0123456789abcdef,a:read:0123456789abcdef' },
      ),
    ),
    [/the name "a" is used twice/],
  )
})

t.test('listen addresses', async (t) => {
  t.same(parseListen('127.0.0.1:4180'), { host: '127.0.0.1', port: 4180 })
  t.same(parseListen('[::]:80'), { host: '::', port: 80 })
  t.same(parseListen('localhost:0'), { host: 'localhost', port: 0 })
  t.same(parseListen('4181'), { host: '127.0.0.1', port: 4181 })
  for (const bad of ['', ':', 'host:', 'host:99999', '::1:80', 'a b:1'])
    t.throws(() => parseListen(bad), bad)
})

t.test('the command line: --help teaches, usage errors exit 2', async (t) => {
  const help = await runNamerd(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /Usage:\n {2}namerd \[--listen HOST:PORT\]/)
  t.match(help.stdout, /Examples:/)
  t.match(help.stdout, /curl -si -X PUT .*If-Match/)

  const unknown = await runNamerd(['--lisen', '1'])
  t.equal(unknown.code, 2)
  t.match(
    unknown.stderr,
    /namerd: Unknown option '--lisen'.*\nRun 'namerd --help' for usage and examples\./s,
  )

  const extra = await runNamerd(['serve'])
  t.equal(extra.code, 2)
  t.match(extra.stderr, /unexpected argument "serve"/)

  const dir = await tempDir(t)
  await writeFile(join(dir, 'bad.yaml'), 'store: nowhere\n')
  const bad = await runNamerd(['--config', join(dir, 'bad.yaml')])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /bad\.yaml:1:8: store: invalid store "nowhere"/)

  t.match((await runNamerd(['--version'])).stdout, /^namerd \d+\.\d+\.\d+\n$/)
})

t.test('with no configuration at all, namerd keeps its dtabs in ./data', async (t) => {
  const cwd = await tempDir(t)
  await mkdir(join(cwd, 'sub'))
  // Port 0 instead of 4180, so the test does not depend on a free well-known port.
  const namerd = await startProcess(t, ['--listen', '127.0.0.1:0'], {}, cwd)
  t.match(namerd.output.join('\n'), new RegExp(`"store":"file:${cwd}/data"`))
  const res = await fetch(`${namerd.base}/api/1/dtabs/web`, {
    method: 'POST',
    headers: { 'content-type': 'application/dtab' },
    body: '/a => /b',
  })
  t.equal(res.status, 204)
  t.equal(await namerd.stop(), 0)

  const again = await startProcess(t, ['--listen', '127.0.0.1:0'], {}, cwd)
  t.equal(
    await (await fetch(`${again.base}/api/1/dtabs`)).text(),
    '["web"]\n',
    'it is still there after a restart',
  )
  t.equal(await again.stop(), 0)
})
