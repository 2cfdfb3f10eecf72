// namerd on the Kubernetes CRD store: --store k8s / k8s:<url> and --k8s-namespace (flags, the
// environment, the config file), --check, the API over namerd's own DTab objects, and /ready
// while the API server is away (stale but serving) or was never reached (not ready).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FakeKubeApi } from '@switchyard/kube-fake'
import { openK8sStore } from '@switchyard/store'
import t from 'tap'
import { ConfigError, resolveSettings } from '../src/config.js'
import { dashboardDist } from '../src/dashboard/assets.js'
import { runNamerd, startProcess, startServer, tempDir } from './helpers.js'

const CRD_DIR = fileURLToPath(new URL('../../../deploy/crd', import.meta.url))

async function issuesOf(promise: Promise<unknown>): Promise<readonly string[]> {
  try {
    await promise
  } catch (err) {
    if (err instanceof ConfigError) return err.issues
    throw err
  }
  throw new Error('expected a ConfigError')
}

async function fake(t: Parameters<typeof tempDir>[0], crds = true): Promise<FakeKubeApi> {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  if (crds) await api.installCrdsFrom(CRD_DIR)
  return api
}

async function eventually<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${String(v)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

t.test('--store k8s and --k8s-namespace; the environment; the config file', async (t) => {
  const flags = await resolveSettings({ store: 'k8s', k8sNamespace: 'mesh' }, {})
  t.same(flags.store, { kind: 'k8s', connection: { kind: 'default' }, namespace: 'mesh' })
  const proxy = await resolveSettings({ store: 'k8s:http://127.0.0.1:8001' }, {})
  t.same(
    proxy.store,
    { kind: 'k8s', connection: { kind: 'url', url: 'http://127.0.0.1:8001' } },
    'no namespace given: the connection decides (pod, kubeconfig context, default)',
  )
  const env = await resolveSettings(
    {},
    { SWITCHYARD_NAMERD_STORE: 'k8s', SWITCHYARD_NAMERD_K8S_NAMESPACE: 'linkerd' },
  )
  t.same(env.store, { kind: 'k8s', connection: { kind: 'default' }, namespace: 'linkerd' })

  const dir = await tempDir(t)
  const file = join(dir, 'namerd.yaml')
  await writeFile(file, 'store: "k8s:http://127.0.0.1:8001"\nk8sNamespace: routing\n')
  const fromFile = await resolveSettings({ config: file }, {})
  t.same(fromFile.store, {
    kind: 'k8s',
    connection: { kind: 'url', url: 'http://127.0.0.1:8001' },
    namespace: 'routing',
  })
  const overridden = await resolveSettings({ config: file, k8sNamespace: 'other' }, {})
  t.match(overridden.store, { namespace: 'other' }, 'the flag wins over the file')
})

t.test(
  'a bad Kubernetes namespace, or one for another store, is a configuration error',
  async (t) => {
    t.match(await issuesOf(resolveSettings({ store: 'k8s', k8sNamespace: 'Mesh' }, {})), [
      /^--k8s-namespace: "Mesh" is not a Kubernetes namespace name/,
    ])
    t.match(await issuesOf(resolveSettings({ store: 'memory', k8sNamespace: 'mesh' }, {})), [
      /^--k8s-namespace: a Kubernetes namespace is for the k8s store only, and the store is memory/,
    ])
    t.match(await issuesOf(resolveSettings({ store: 'k8s:localhost:8001' }, {})), [
      /^--store: invalid store "k8s:localhost:8001": "localhost:8001" is not an http\(s\) URL/,
    ])
    const dir = await tempDir(t)
    const file = join(dir, 'namerd.yaml')
    await writeFile(file, 'store: k8s\nk8sNamespace: "a_b"\n')
    t.match(await issuesOf(resolveSettings({ config: file }, {})), [
      /namerd\.yaml:2:15: k8sNamespace: "a_b" is not a Kubernetes namespace name/,
    ])
  },
)

t.test('--check says what namerd would run with and contacts nothing', async (t) => {
  const ok = await runNamerd([
    '--check',
    '--store',
    'k8s:http://127.0.0.1:9',
    '--k8s-namespace',
    'mesh',
  ])
  t.equal(ok.code, 0, ok.stderr)
  t.match(
    ok.stdout,
    /namerd: configuration OK\n {2}listen: 127\.0\.0\.1:4180\n {2}store: k8s:http:\/\/127\.0\.0\.1:9 \(namespace mesh\)\n {4}connection: http:\/\/127\.0\.0\.1:9, a plain URL \(no credentials are sent\); DTab objects in Kubernetes namespace mesh \(configured\)\n/,
  )
  const bad = await runNamerd(['--check', '--store', 'k8s', '--k8s-namespace', 'NO'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--k8s-namespace: "NO" is not a Kubernetes namespace name/)
})

t.test(
  "with no Kubernetes configuration, --store k8s does not start, and says so with namerd's flag",
  async (t) => {
    const home = await tempDir(t)
    const res = await runNamerd(['--listen', '127.0.0.1:0', '--store', 'k8s'], {
      HOME: home,
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: '',
    })
    t.equal(res.code, 1)
    t.match(
      res.stderr,
      /no Kubernetes configuration found: .* use the API at http:\/\/127\.0\.0\.1:8001 \(e\.g\. --store k8s:http:\/\/127\.0\.0\.1:8001\)/,
    )
  },
)

/** A kubeconfig with two contexts, the current one with a namespace; nothing is contacted. */
async function kubeconfig(dir: string): Promise<string> {
  const file = join(dir, 'kubeconfig')
  const cluster = (name: string, server: string) => ({ name, cluster: { server } })
  await writeFile(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        cluster('dev', 'https://dev.example:6443'),
        cluster('prod', 'https://prod.example:6443'),
      ],
      users: [{ name: 'me', user: { token: 'not-a-real-token' } }],
      contexts: [
        { name: 'dev', context: { cluster: 'dev', user: 'me', namespace: 'routing' } },
        { name: 'prod', context: { cluster: 'prod', user: 'me' } },
      ],
      'current-context': 'dev',
    }),
  )
  return file
}

t.test(
  '--check says where each Kubernetes connection comes from: the kubeconfig file and context, or the URL',
  async (t) => {
    const dir = await tempDir(t)
    const file = await kubeconfig(dir)
    const config = join(dir, 'namerd.yaml')
    await writeFile(
      config,
      [
        'store: k8s',
        'namers:',
        '  - {kind: io.l5d.k8s}',
        '  - {kind: io.l5d.k8s, prefix: /proxied, host: 127.0.0.1, port: 8001, labelSelector: version}',
        '  - {kind: io.l5d.fs, rootDir: /etc/disco}',
        '',
      ].join('\n'),
    )
    const res = await runNamerd(['--check', '--config', config], { KUBECONFIG: file })
    t.equal(res.code, 0, res.stderr)
    t.equal(
      res.stdout,
      [
        'namerd: configuration OK',
        '  listen: 127.0.0.1:4180',
        '  store: k8s',
        `    connection: kubeconfig ${file} (from KUBECONFIG), context dev, API at https://dev.example:6443; DTab objects in Kubernetes namespace routing (context dev)`,
        '  namers: 3',
        `    /#/io.l5d.k8s: io.l5d.k8s, kubeconfig ${file} (from KUBECONFIG), context dev, API at https://dev.example:6443`,
        '    /#/proxied: io.l5d.k8s, http://127.0.0.1:8001, a plain URL (no credentials are sent), labelSelector version',
        '    /#/io.l5d.fs: io.l5d.fs /etc/disco',
        `  dashboard: http://127.0.0.1:4180/ (files from ${dashboardDist()})`,
        '  tokens: 0 (writes: open, reads: open)',
        `  config: ${config}`,
        '',
      ].join('\n'),
    )
  },
)

t.test(
  '--check with no Kubernetes configuration to be found says so for each part that needs one, and exits 2',
  async (t) => {
    const home = await tempDir(t)
    const config = join(home, 'namerd.yaml')
    await writeFile(config, 'store: k8s\nnamers:\n  - {kind: io.l5d.k8s}\n')
    const res = await runNamerd(['--check', '--config', config], {
      HOME: home,
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: '',
    })
    t.equal(res.code, 2)
    t.match(res.stdout, /^namerd: configuration NOT usable\n/)
    t.match(res.stdout, /\n {4}connection: none found \(below\)\n/)
    t.match(
      res.stderr,
      /^namerd: the k8s store: no Kubernetes configuration found: .* \(e\.g\. --store k8s:http:\/\/127\.0\.0\.1:8001\)\nnamerd: the namer at \/#\/io\.l5d\.k8s: no Kubernetes configuration found: .* \(e\.g\. host: 127\.0\.0\.1 and port: 8001 in the io\.l5d\.k8s namer\)\n$/,
    )
  },
)

t.test('the listening log says which Kubernetes connection namerd found', async (t) => {
  const api = await fake(t)
  const dir = await tempDir(t)
  const file = await api.writeKubeconfig(dir, { namespace: 'mesh', context: 'kind-test' })
  const config = join(dir, 'namerd.yaml')
  await writeFile(config, 'namers:\n  - {kind: io.l5d.k8s}\n')
  const namerd = await startProcess(
    t,
    ['--listen', '127.0.0.1:0', '--store', 'k8s', '--config', config],
    { KUBECONFIG: file },
  )
  const line = namerd.output.find((l) => l.includes('"namerd listening"'))!
  const found = `kubeconfig ${file} (from KUBECONFIG), context kind-test, API at ${api.url}`
  t.match(JSON.parse(line), {
    store: 'k8s',
    storeConnection: `${found}; DTab objects in Kubernetes namespace mesh (context kind-test)`,
    namers: [`/#/io.l5d.k8s: io.l5d.k8s, ${found}`],
  })
  t.notMatch(line, /in-cluster, else kubeconfig/, 'what was found, not where it would look')
  t.equal(await namerd.stop(), 0)
})

t.test(
  "namerd's io.l5d.k8s namer logs when it cannot read the API, once, and when it can again",
  async (t) => {
    const api = await fake(t)
    const dir = await tempDir(t)
    const config = join(dir, 'namerd.yaml')
    await writeFile(config, `namers:\n  - {kind: io.l5d.k8s, host: 127.0.0.1, port: ${api.port}}\n`)
    api.forbid({ verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io' })
    const namerd = await startProcess(t, [
      '--listen',
      '127.0.0.1:0',
      '--store',
      'memory',
      '--config',
      config,
    ])
    const addr = `${namerd.base}/api/1/addr/default?path=${encodeURIComponent('/#/io.l5d.k8s/apps/http/web')}`
    await fetch(addr).then((r) => r.text())
    const refused = await eventually(
      'the namer to log the refused list',
      async () =>
        namerd.output.filter(
          (l) => l.includes('"component":"namers"') && l.includes('endpointslices'),
        ),
      (lines) => lines.length > 0,
    )
    t.match(JSON.parse(refused[0]!), { level: 40, component: 'namers' })
    t.match(refused[0], /forbidden/)
    api.allowAll()
    await eventually(
      'the namer to log that it reads again',
      async () =>
        namerd.output.filter((l) => l.includes('"component":"namers"') && l.includes('"level":30')),
      (lines) => lines.length > 0,
    )
    t.equal(
      namerd.output.filter((l) => l.includes('"component":"namers"') && l.includes('"level":40'))
        .length,
      1,
      'one warn for the whole time it failed, not one per retry',
    )
    t.equal(await namerd.stop(), 0)
  },
)

t.test("the API on the k8s store: namerd's objects, ETags of their resourceVersion", async (t) => {
  const api = await fake(t)
  const store = await openK8sStore({
    connection: { kind: 'url', url: api.url },
    namespace: 'default',
  })
  const namerd = await startServer(t, { store })
  const created = await fetch(`${namerd.base}/api/1/dtabs/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/dtab' },
    body: '/svc => /#/io.l5d.k8s/default/http',
  })
  t.equal(created.status, 204)
  const object = api.get({
    apiVersion: 'l5d.io/v1alpha1',
    kind: 'DTab',
    namespace: 'default',
    name: 'internal',
  })!
  t.same(object.dentries, [{ prefix: '/svc', dst: '/#/io.l5d.k8s/default/http' }])
  const rv = (object.metadata as { resourceVersion: string }).resourceVersion
  const got = await fetch(`${namerd.base}/api/1/dtabs/internal`)
  t.equal(got.headers.get('etag'), Buffer.from(rv).toString('base64'), "namerd's ETag")
  const stale = await fetch(`${namerd.base}/api/1/dtabs/internal`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/dtab',
      'if-match': Buffer.from(`${Number(rv) + 1000}`).toString('base64'),
    },
    body: '/svc => /x',
  })
  t.equal(stale.status, 412)
  const upper = await fetch(`${namerd.base}/api/1/dtabs/Internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/dtab' },
    body: '/a => /b',
  })
  t.equal(upper.status, 400)
  t.match(await upper.json(), {
    error: 'invalid_namespace',
    message: /lowercase RFC 1123 subdomain/,
  })
  const missing = await fetch(`${namerd.base}/api/1/dtabs/external`)
  t.equal(missing.status, 404)
  t.same(
    await missing.json(),
    {
      error: 'namespace_not_found',
      message:
        'namespace "external" does not exist (no DTab external in Kubernetes namespace default)',
    },
    'a dtab namespace, not a Kubernetes one: the message says which DTab it looked for, and where',
  )
})

t.test(
  '/ready: ready when synced; ready but stale while the API server is away; ready again after',
  async (t) => {
    const api = await fake(t)
    const store = await openK8sStore({
      connection: { kind: 'url', url: api.url },
      namespace: 'default',
      backoff: { initialMs: 20, maxMs: 200 },
    })
    await store.create('internal', [])
    const namerd = await startServer(t, { store })
    const ready = await eventually(
      'ready',
      () => fetch(`${namerd.base}/ready`).then(async (r) => `${r.status} ${await r.text()}`),
      (s) => s === '200 ready\n',
    )
    t.equal(ready, '200 ready\n')
    await api.down()
    const stale = await eventually(
      'stale',
      () => fetch(`${namerd.base}/ready`).then(async (r) => `${r.status} ${await r.text()}`),
      (s) => s.includes('stale'),
    )
    t.match(
      stale,
      /^200 ready, stale: serving the last known dtabs since \d{4}-\d\d-\d\dT[^ ]+: the Kubernetes API at http:\/\/127\.0\.0\.1:\d+ is unreachable/,
    )
    const list = await fetch(`${namerd.base}/api/1/dtabs`)
    t.same(await list.json(), ['internal'], 'reads answer from the last known state')
    await api.up()
    t.equal(
      await eventually(
        'ready again',
        () => fetch(`${namerd.base}/ready`).then(async (r) => `${r.status} ${await r.text()}`),
        (s) => s === '200 ready\n',
      ),
      '200 ready\n',
    )
  },
)

t.test(
  '/ready without the history CRD: 200, degraded, saying history is not recorded and how to fix it',
  async (t) => {
    const api = await fake(t)
    api.uninstallCrd('dtabhistories.switchyard.io')
    const store = await openK8sStore({
      connection: { kind: 'url', url: api.url },
      namespace: 'default',
      backoff: { initialMs: 20, maxMs: 200 },
    })
    const namerd = await startServer(t, { store })
    const res = await eventually(
      'degraded',
      () => fetch(`${namerd.base}/ready`).then(async (r) => `${r.status} ${await r.text()}`),
      (s) => s.includes('degraded'),
    )
    t.match(
      res,
      /^200 ready, degraded since \d{4}-\d\d-\d\dT[^ ]+: history is not recorded: the CRD dtabhistories\.switchyard\.io is not installed .*: kubectl apply -k deploy\/crd\n$/,
    )
  },
)

t.test('/ready is 503 naming the problem while the store has never read the dtabs', async (t) => {
  const api = await fake(t, false)
  const store = await openK8sStore({
    connection: { kind: 'url', url: api.url },
    namespace: 'default',
    backoff: { initialMs: 20, maxMs: 200 },
  })
  const namerd = await startServer(t, { store })
  const res = await eventually(
    'the missing CRD reported',
    () =>
      fetch(`${namerd.base}/ready`).then(async (r) => ({ status: r.status, body: await r.text() })),
    (r) => r.body.includes('CRD'),
  )
  t.equal(res.status, 503)
  t.match(JSON.parse(res.body), {
    error: 'store_unavailable',
    message:
      /^the dtab store has not read the dtabs yet: the CRD dtabs\.l5d\.io is not installed .*: kubectl apply -k deploy\/crd$/,
  })
  await api.installCrdsFrom(CRD_DIR)
  const after = await eventually(
    'ready once the CRD is installed',
    () => fetch(`${namerd.base}/ready`).then((r) => r.status),
    (s) => s === 200,
  )
  t.equal(after, 200)
})

t.test('namerd as a process on --store k8s:<url> serves the CRD objects', async (t) => {
  const api = await fake(t)
  api.put({
    apiVersion: 'l5d.io/v1alpha1',
    kind: 'DTab',
    metadata: { name: 'legacy', namespace: 'mesh' },
    dentries: [{ prefix: '/svc', dst: '/#/io.l5d.k8s/mesh/http' }],
  })
  const namerd = await startProcess(t, [
    '--listen',
    '127.0.0.1:0',
    '--store',
    `k8s:${api.url}`,
    '--k8s-namespace',
    'mesh',
  ])
  const res = await fetch(`${namerd.base}/api/1/dtabs/legacy`, {
    headers: { accept: 'application/dtab' },
  })
  t.equal(res.status, 200)
  t.equal(await res.text(), '/svc=>/#/io.l5d.k8s/mesh/http\n')
  t.equal(await namerd.stop(), 0)
})
