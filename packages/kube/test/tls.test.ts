// TLS as a cluster has it: in-cluster (the service account's CA file and token), a kubeconfig
// with client certificates, and one with an exec credential plugin; each talks to a real HTTPS
// server on 127.0.0.1 (test-only certificates in fixtures/tls), for calls and for watches. A
// wrong CA or a failing plugin is a clear error, not a hang.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { openKube, type Resource, SERVICE_ACCOUNT_DIR } from '../src/index.js'

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

const TLS = fileURLToPath(new URL('./fixtures/tls/', import.meta.url))
const DTABS: Resource = { group: 'l5d.io', version: 'v1alpha1', plural: 'dtabs', kind: 'DTab' }
const OBJECT = {
  apiVersion: 'l5d.io/v1alpha1',
  kind: 'DTab',
  metadata: { name: 'internal', namespace: 'default', resourceVersion: '7' },
  dentries: [],
}

interface Seen {
  readonly authorization: string | undefined
  /** The client certificate's CN, when one was presented. */
  readonly clientCn: string | undefined
  readonly watch: boolean
}

/** An HTTPS "API server": objects for gets, a stream of one event for watches. */
async function apiServer(t: Tap, requireClientCert = false) {
  const seen: Seen[] = []
  const s = createServer(
    {
      key: await readFile(join(TLS, 'server.key')),
      cert: await readFile(join(TLS, 'server.crt')),
      ca: await readFile(join(TLS, 'ca.crt')),
      requestCert: requireClientCert,
      rejectUnauthorized: requireClientCert,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const watch = new URL(req.url ?? '/', 'https://x').searchParams.has('watch')
      const peer = (req.socket as TLSSocket).getPeerCertificate()
      seen.push({
        authorization: req.headers.authorization,
        clientCn: typeof peer?.subject?.CN === 'string' ? peer.subject.CN : undefined,
        watch,
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      if (watch) res.end(`${JSON.stringify({ type: 'ADDED', object: OBJECT })}\n`)
      else res.end(JSON.stringify(OBJECT))
    },
  )
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections()
        s.close(() => resolve())
      }),
  )
  return { port: (s.address() as AddressInfo).port, seen }
}

async function tempDir(t: Tap): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-kube-tls-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** One get and one watch (its first event) through `kube`. */
async function getAndWatch(kube: ReturnType<typeof openKube>): Promise<unknown[]> {
  const got = await kube.objects(DTABS).get('default', 'internal')
  const event = await new Promise<unknown>((resolve, reject) => {
    void kube
      .newWatch()
      .watch(
        '/apis/l5d.io/v1alpha1/namespaces/default/dtabs',
        {},
        (type) => resolve(type),
        (err) => (err ? reject(err) : undefined),
      )
      .catch(reject)
  })
  return [got, event]
}

t.test(
  'in-cluster: the service-account CA file and bearer token, for calls and watches',
  async (t) => {
    const api = await apiServer(t)
    const root = await tempDir(t)
    const sa = join(root, SERVICE_ACCOUNT_DIR)
    await mkdir(sa, { recursive: true })
    await writeFile(join(sa, 'token'), 'projected-sa-token')
    await writeFile(join(sa, 'ca.crt'), await readFile(join(TLS, 'ca.crt')))
    await writeFile(join(sa, 'namespace'), 'linkerd')
    const kube = openKube(
      { kind: 'default' },
      {
        env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) },
        inClusterPrefix: root,
      },
    )
    t.equal(kube.server, `https://127.0.0.1:${api.port}`)
    t.equal(kube.namespace, 'linkerd')
    t.same(await getAndWatch(kube), [OBJECT, 'ADDED'])
    t.same(
      api.seen.map((s) => [s.watch, s.authorization]),
      [
        [false, 'Bearer projected-sa-token'],
        [true, 'Bearer projected-sa-token'],
      ],
    )
  },
)

t.test('a CA that did not sign the server certificate is refused, saying why', async (t) => {
  const api = await apiServer(t)
  const dir = await tempDir(t)
  const config = join(dir, 'config')
  await writeFile(
    config,
    kubeconfig(api.port, {
      cluster: [`    certificate-authority: ${join(TLS, 'other-ca.crt')}`],
      user: ['    token: t'],
    }),
  )
  await t.rejects(
    openKube({ kind: 'kubeconfig', path: config }).objects(DTABS).get('default', 'internal'),
    {
      code: 'unavailable',
      message: new RegExp(
        `^the Kubernetes API at https://127\\.0\\.0\\.1:${api.port} is unreachable \\(get dtabs\\.l5d\\.io "internal" in namespace default\\): .*certificate`,
      ),
    },
  )
  t.equal(api.seen.length, 0, 'no request got through')
})

t.test('a kubeconfig with a client certificate and key (mutual TLS)', async (t) => {
  const api = await apiServer(t, true)
  const dir = await tempDir(t)
  const config = join(dir, 'config')
  await writeFile(
    config,
    kubeconfig(api.port, {
      cluster: [`    certificate-authority: ${join(TLS, 'ca.crt')}`],
      user: [
        `    client-certificate: ${join(TLS, 'client.crt')}`,
        `    client-key: ${join(TLS, 'client.key')}`,
      ],
    }),
  )
  const kube = openKube({ kind: 'kubeconfig', path: config })
  t.same(await getAndWatch(kube), [OBJECT, 'ADDED'])
  t.same(
    api.seen.map((s) => [s.watch, s.clientCn, s.authorization]),
    [
      [false, 'switchyard', undefined],
      [true, 'switchyard', undefined],
    ],
  )
})

t.test('a kubeconfig with an exec credential plugin (as EKS, GKE and AKS use)', async (t) => {
  const api = await apiServer(t)
  const dir = await tempDir(t)
  const plugin = join(dir, 'plugin.mjs')
  await writeFile(
    plugin,
    `process.stdout.write(JSON.stringify({apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: {token: 'exec-token'}}))\n`,
  )
  await chmod(plugin, 0o755)
  const config = join(dir, 'config')
  await writeFile(
    config,
    kubeconfig(api.port, {
      cluster: [`    certificate-authority: ${join(TLS, 'ca.crt')}`],
      user: execUser(process.execPath, plugin),
    }),
  )
  const kube = openKube({ kind: 'kubeconfig', path: config })
  t.same(await getAndWatch(kube), [OBJECT, 'ADDED'])
  t.same(
    api.seen.map((s) => s.authorization),
    ['Bearer exec-token', 'Bearer exec-token'],
  )

  const failing = join(dir, 'failing.mjs')
  await writeFile(failing, `process.stderr.write('no credentials for you'); process.exit(3)\n`)
  const broken = join(dir, 'broken-config')
  await writeFile(
    broken,
    kubeconfig(api.port, {
      cluster: [`    certificate-authority: ${join(TLS, 'ca.crt')}`],
      user: execUser(process.execPath, failing),
    }),
  )
  await t.rejects(
    openKube({ kind: 'kubeconfig', path: broken }).objects(DTABS).get('default', 'internal'),
    {
      message:
        /get dtabs\.l5d\.io "internal" in namespace default failed: .*no credentials for you/,
    },
    'a failing plugin: its own words, and what we were doing',
  )
})

function execUser(command: string, script: string): string[] {
  return [
    '    exec:',
    '      apiVersion: client.authentication.k8s.io/v1',
    `      command: ${JSON.stringify(command)}`,
    `      args: [${JSON.stringify(script)}]`,
    '      interactiveMode: Never',
  ]
}

function kubeconfig(port: number, parts: { cluster: string[]; user: string[] }): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'current-context: test',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: https://127.0.0.1:${port}`,
    ...parts.cluster,
    'users:',
    '- name: test',
    '  user:',
    ...parts.user,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: test',
    '',
  ].join('\n')
}
