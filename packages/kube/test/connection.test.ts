// Where the Kubernetes API is: in-cluster, KUBECONFIG, ~/.kube/config, a named kubeconfig and
// context, or a plain URL; and the default namespace that goes with each.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import t from 'tap'
import { KubeError, openKube, resolveConnection, SERVICE_ACCOUNT_DIR } from '../src/index.js'

function kubeconfig(
  contexts: { name: string; server: string; namespace?: string }[],
  current: string,
  user = 'u',
): string {
  const lines = ['apiVersion: v1', 'kind: Config', `current-context: ${current}`, 'clusters:']
  for (const c of contexts) {
    lines.push(`- name: ${c.name}`, '  cluster:', `    server: ${c.server}`)
  }
  lines.push('users:', `- name: ${user}`, '  user:', '    token: secret-token', 'contexts:')
  for (const c of contexts) {
    lines.push(`- name: ${c.name}`, '  context:', `    cluster: ${c.name}`, `    user: ${user}`)
    if (c.namespace) lines.push(`    namespace: ${c.namespace}`)
  }
  return `${lines.join('\n')}\n`
}

async function tempDir(t: Tap): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-kube-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}
type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

async function inCluster(root: string, namespace?: string): Promise<void> {
  const dir = join(root, SERVICE_ACCOUNT_DIR)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'token'), 'sa-token')
  await writeFile(join(dir, 'ca.crt'), '')
  if (namespace !== undefined) await writeFile(join(dir, 'namespace'), `${namespace}\n`)
}

t.test('a plain URL talks to that server without credentials, in namespace default', async (t) => {
  const home = await tempDir(t)
  const r = resolveConnection(
    { kind: 'url', url: 'http://127.0.0.1:8001/' },
    { env: {}, home, inClusterPrefix: home },
  )
  t.equal(r.server, 'http://127.0.0.1:8001')
  t.equal(r.namespace, 'default')
  t.equal(r.source, 'url')
  t.equal(r.config.getCurrentUser()?.token, undefined, 'no credentials')
  t.equal(r.description, 'http://127.0.0.1:8001, a plain URL (no credentials are sent)')
  t.equal(r.namespaceFrom, 'the default')
})

t.test('a plain URL in a pod takes the pod namespace as its default', async (t) => {
  const root = await tempDir(t)
  await inCluster(root, 'linkerd')
  const r = resolveConnection(
    { kind: 'url', url: 'http://localhost:8001' },
    { env: {}, inClusterPrefix: root },
  )
  t.equal(r.namespace, 'linkerd')
})

t.test('a URL that is not plain http(s) is refused with what to write', async (t) => {
  for (const url of ['localhost:8001', 'ftp://x', 'http://u:p@x:1', 'not a url']) {
    t.throws(
      () => resolveConnection({ kind: 'url', url }, { env: {} }),
      { code: 'config', message: /http:\/\/|credentials|not a URL/ },
      url,
    )
  }
})

t.test('a kubeconfig file: its current context, or the one named, and its namespace', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'config')
  await writeFile(
    file,
    kubeconfig(
      [
        { name: 'dev', server: 'https://dev.example:6443', namespace: 'routing' },
        { name: 'prod', server: 'https://prod.example:6443' },
      ],
      'dev',
    ),
  )
  const dev = resolveConnection({ kind: 'kubeconfig', path: file }, { env: {} })
  t.equal(dev.server, 'https://dev.example:6443')
  t.equal(dev.namespace, 'routing', "the context's namespace")
  t.match(dev.source, /kubeconfig .*config/)
  t.equal(dev.description, `kubeconfig ${file}, context dev, API at https://dev.example:6443`)
  t.equal(dev.namespaceFrom, 'context dev')
  const prod = resolveConnection({ kind: 'kubeconfig', path: file, context: 'prod' }, { env: {} })
  t.equal(prod.server, 'https://prod.example:6443')
  t.equal(prod.namespace, 'default', 'no namespace in the context: default')
  t.throws(
    () => resolveConnection({ kind: 'kubeconfig', path: file, context: 'nope' }, { env: {} }),
    { code: 'config', message: /has no context "nope" \(it has: dev, prod\)/ },
  )
})

t.test('a kubeconfig that cannot be read says which file', async (t) => {
  const dir = await tempDir(t)
  const missing = join(dir, 'missing')
  t.throws(() => resolveConnection({ kind: 'kubeconfig', path: missing }, { env: {} }), {
    code: 'config',
    message: new RegExp(`cannot read the kubeconfig ${missing}`),
  })
  const empty = join(dir, 'empty')
  await writeFile(empty, 'apiVersion: v1\nkind: Config\n')
  t.throws(() => resolveConnection({ kind: 'kubeconfig', path: empty }, { env: {} }), {
    code: 'config',
    message: /no usable current context: set one with `kubectl config use-context <name>`/,
  })
})

t.test('a plain-http server in a kubeconfig works without insecure-skip-tls-verify', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'config')
  await writeFile(file, kubeconfig([{ name: 'local', server: 'http://127.0.0.1:8001' }], 'local'))
  const kube = openKube({ kind: 'kubeconfig', path: file }, { env: {} })
  t.equal(kube.server, 'http://127.0.0.1:8001')
  t.ok(kube.config.getCurrentCluster()?.skipTLSVerify, 'client-node would refuse http otherwise')
})

t.test('default: in-cluster when a token is mounted and the service host is set', async (t) => {
  const root = await tempDir(t)
  await inCluster(root, 'mesh')
  const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }
  const r = resolveConnection({ kind: 'default' }, { env, inClusterPrefix: root, home: root })
  t.equal(r.server, 'https://10.96.0.1:443')
  t.equal(r.namespace, 'mesh', 'the namespace file')
  t.equal(r.source, 'in-cluster')
  t.match(
    r.description,
    /^in-cluster \(the pod's service account, .*serviceaccount\), API at https:\/\/10\.96\.0\.1:443$/,
  )
  t.equal(r.namespaceFrom, "the pod's namespace")
  t.equal(process.env.KUBERNETES_SERVICE_HOST, undefined, 'the process environment is untouched')
})

t.test('default: KUBECONFIG (several files, the first current-context wins)', async (t) => {
  const dir = await tempDir(t)
  const a = join(dir, 'a')
  const b = join(dir, 'b')
  await writeFile(a, kubeconfig([{ name: 'one', server: 'https://one:6443' }], 'one'))
  await writeFile(
    b,
    kubeconfig([{ name: 'two', server: 'https://two:6443', namespace: 'x' }], 'two', 'u2'),
  )
  const r = resolveConnection(
    { kind: 'default' },
    { env: { KUBECONFIG: `${a}${delimiter}${b}` }, home: dir, inClusterPrefix: dir },
  )
  t.equal(r.server, 'https://one:6443')
  t.equal(r.config.getContexts().length, 2, 'both files merged')
  t.equal(
    r.description,
    `kubeconfig ${a}${delimiter}${b} (from KUBECONFIG), context one, API at https://one:6443`,
  )
})

t.test('default: ~/.kube/config when KUBECONFIG is unset', async (t) => {
  const home = await tempDir(t)
  await mkdir(join(home, '.kube'))
  await writeFile(
    join(home, '.kube', 'config'),
    kubeconfig([{ name: 'k', server: 'https://home:6443', namespace: 'ns1' }], 'k'),
  )
  const r = resolveConnection({ kind: 'default' }, { env: {}, home, inClusterPrefix: home })
  t.equal(r.server, 'https://home:6443')
  t.equal(r.namespace, 'ns1')
})

t.test(
  'default with nothing to go on is an error that says what to set, not localhost:8080',
  async (t) => {
    const home = await tempDir(t)
    const err = (() => {
      try {
        resolveConnection({ kind: 'default' }, { env: {}, home, inClusterPrefix: home })
      } catch (e) {
        return e
      }
    })()
    t.ok(err instanceof KubeError)
    t.match(err, {
      code: 'config',
      message:
        /no Kubernetes configuration found: not in a cluster .* set KUBECONFIG, or run `kubectl proxy`/,
    })
    t.notMatch((err as Error).message, /8080/)
    t.notMatch((err as Error).message, /--store/, "no caller's flag unless the caller gives it")
    t.match((err as Error).message, /use the API at http:\/\/127\.0\.0\.1:8001$/)
  },
)

t.test('the caller words the hint of the no-configuration error', async (t) => {
  const home = await tempDir(t)
  t.throws(
    () =>
      resolveConnection(
        { kind: 'default' },
        {
          env: {},
          home,
          inClusterPrefix: home,
          missingConfigHint: 'e.g. --store k8s:http://127.0.0.1:8001',
        },
      ),
    {
      code: 'config',
      message:
        /use the API at http:\/\/127\.0\.0\.1:8001 \(e\.g\. --store k8s:http:\/\/127\.0\.0\.1:8001\)$/,
    },
  )
})

t.test('a token without KUBERNETES_SERVICE_HOST is not in-cluster', async (t) => {
  const root = await tempDir(t)
  await inCluster(root)
  t.throws(
    () => resolveConnection({ kind: 'default' }, { env: {}, home: root, inClusterPrefix: root }),
    { code: 'config' },
  )
})
