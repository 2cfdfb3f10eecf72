// A Linkerd 1 user's own linkerd.yaml runs unchanged: the io.l5d.namerd.http interpreter as
// Linkerd writes it (dst: /$/inet/<host>/<port>, experimental: true), and Linkerd's keys the
// proxy does not use named in one warning at start. What ignoring would make unsafe (tls on the
// admin server) and what is neither ours nor Linkerd's (a typo) are still refused, with line
// and column; tls on servers, clients and namerd is accepted, its files read at start. The
// real command (bin/switchyard-proxy.js), a real namerd and a real backend.
import t from 'tap'
import { makeTestCerts } from '../../../test/support/certs.js'
import { memoryStore, putDtab, startNamerd, tempDir, writeEndpoints } from './interpret-helpers.js'
import { runProxyCommand, startProxyProcess, whenReady, writeConfig } from './proxy-process.js'
import { recordingBackend, send } from './router-helpers.js'

/** A linkerd.yaml as Linkerd's docs and examples write one, pointed at namerd on `port`. */
const linkerdYaml = (port: number) => `admin:
  ip: 127.0.0.1
  port: 0
usage:
  enabled: false
telemetry:
- kind: io.l5d.prometheus
routers:
- protocol: http
  label: outgoing
  originator: true
  bindingTimeoutMs: 5000
  maxHeadersKB: 16
  interpreter:
    kind: io.l5d.namerd.http
    experimental: true
    dst: /$/inet/127.0.0.1/${port}
    namespace: internal
    retry:
      baseSeconds: 1
      maxSeconds: 10
  servers:
  - port: 0
    ip: 127.0.0.1
    socketOptions:
      reusePort: true
  client:
    kind: io.l5d.global
    loadBalancer:
      kind: ewma
  service:
    kind: io.l5d.global
    totalTimeoutMs: 5000
    retries:
      backoff:
        kind: jittered
        minMs: 10
        maxMs: 1000
`

t.test(
  'a Linkerd config loads unchanged and routes through namerd; one warning names the keys it ignores',
  async (t) => {
    const disco = await tempDir(t)
    const world = await recordingBackend(t, 'world')
    await writeEndpoints(disco, 'world', [world.port])
    const namerd = await startNamerd(t, memoryStore(t), disco)
    await putDtab(namerd.base, 'internal', '/svc => /#/io.l5d.fs')
    const config = await writeConfig(await tempDir(t), linkerdYaml(namerd.port), 'linkerd.yaml')
    const proxy = await startProxyProcess(t, config)
    await whenReady(proxy)
    const r = await send(proxy.ports[0]!, { headers: { host: 'world' } })
    t.equal(r.status, 200, r.body)
    t.equal(r.body, 'world')
    const warnings = proxy.lines.filter((l) => l.level === 40)
    t.equal(warnings.length, 1, 'one warning')
    t.same(warnings[0]?.ignored, [
      'telemetry',
      'usage',
      'routers[0].bindingTimeoutMs',
      'routers[0].originator',
      'routers[0].maxHeadersKB',
      'routers[0].servers[0].socketOptions',
      'routers[0].client.loadBalancer',
      'routers[0].service.totalTimeoutMs',
      'routers[0].service.retries.backoff',
    ])
    t.match(warnings[0]?.msg, /^Linkerd config keys this proxy does not use, ignored: telemetry \(/)
    t.match(warnings[0]?.msg, "routers[0].service.totalTimeoutMs (the router's timeoutMs")
  },
)

t.test('--check accepts the Linkerd config and warns about the same keys', async (t) => {
  const config = await writeConfig(await tempDir(t), linkerdYaml(4180), 'linkerd.yaml')
  const r = await runProxyCommand(['--check', '--config', config])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, `-> namerd http://127.0.0.1:4180 namespace internal\n`)
  t.match(
    r.stderr,
    /^switchyard-proxy: warning: Linkerd config keys this proxy does not use, ignored: telemetry \(.*; routers\[0\]\.service\.retries\.backoff \(a retry goes to another endpoint at once\)\n$/,
  )
})

t.test('experimental is accepted, not required, and the URL form still works', async (t) => {
  const dir = await tempDir(t)
  for (const [dst, shown] of [
    [
      '/$/inet/namerd.default.svc.cluster.local/4180',
      'http://namerd.default.svc.cluster.local:4180',
    ],
    ['/$/inet/::1/4180', 'http://[::1]:4180'],
    ['http://127.0.0.1:4180', 'http://127.0.0.1:4180'],
  ] as const) {
    const file = await writeConfig(
      dir,
      `routers:\n  - interpreter: {kind: io.l5d.namerd.http, dst: "${dst}", namespace: internal}\n    servers: [{port: 4140}]\n`,
    )
    const r = await runProxyCommand(['--check', '--config', file])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, `-> namerd ${shown} namespace internal\n`, dst)
  }
})

interface Asserts {
  equal(found: unknown, wanted: unknown, message: string): unknown
  teardown(fn: () => unknown): void
}

/** `--check`'s refusal of `yaml`: exit 2 and its stderr. */
async function refused(t: Asserts, yaml: string): Promise<string> {
  const file = await writeConfig(await tempDir(t), yaml)
  const r = await runProxyCommand(['--check', '--config', file])
  t.equal(r.code, 2, 'refused')
  return r.stderr.replaceAll(`${file}:`, 'proxy.yaml:')
}

const namerdRouter = (extra: string) =>
  `routers:\n  - interpreter: {kind: io.l5d.namerd.http, dst: /$/inet/127.0.0.1/4180${extra}}\n    servers: [{port: 4140}]\n`

t.test(
  'a key that is neither ours nor Linkerd’s is still refused with its line and column',
  async (t) => {
    const err = await refused(
      t,
      'routers:\n  - servers: [{port: 4140}]\n    dtab: /svc => /$/inet/127.0.0.1/1\n    bindingTimeoutMS: 5000\n',
    )
    t.equal(
      err,
      'switchyard-proxy: proxy.yaml:4:5: routers[0]: unknown key "bindingTimeoutMS"; did you mean "bindingTimeoutMs"?\n',
    )
  },
)

t.test('tls is accepted where Linkerd has it; the admin server still refuses it', async (t) => {
  const certs = await makeTestCerts()
  t.teardown(() => certs.close())
  // Paths relative to the config file's directory, as Linkerd's are to its working directory.
  const dir = certs.dir
  const accepted = async (yaml: string) => {
    const file = await writeConfig(dir, yaml)
    const r = await runProxyCommand(['--check', '--config', file])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, `${file}: valid`)
  }
  await accepted(namerdRouter(', tls: {commonName: namerd, disableValidation: false}'))
  await accepted(
    'routers:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4140, tls: {certPath: server.crt, keyPath: server.key, caCertPath: ca.crt, requireClientAuth: true}}]\n',
  )
  await accepted(
    'routers:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4140}]\n    client: {tls: {commonName: world, trustCerts: [ca.crt], clientAuth: {certPath: client.crt, keyPath: client.key}}}\n',
  )
  t.match(
    await refused(
      t,
      'admin: {port: 9990, tls: {certPath: c.pem, keyPath: k.pem}}\nrouters:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4140}]\n',
    ),
    'admin.tls: the admin server does not serve TLS: keep it on loopback, or remove tls',
  )
})

t.test('a TLS file that cannot be used is a config error naming its key and file', async (t) => {
  const certs = await makeTestCerts()
  t.teardown(() => certs.close())
  const dir = certs.dir
  const file = await writeConfig(
    dir,
    'admin: {ip: 127.0.0.1, port: 0}\nrouters:\n  - dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{ip: 127.0.0.1, port: 0, tls: {certPath: missing.pem, keyPath: server.key}}]\n    client: {tls: {clientAuth: {certPath: client.crt, keyPath: server.key}}}\n  - label: two\n    interpreter: {kind: io.l5d.namerd.http, dst: /$/inet/127.0.0.1/4180, tls: {trustCerts: [server.key]}}\n    servers: [{ip: 127.0.0.1, port: 0}]\n',
  )
  const expected =
    `switchyard-proxy: ${file}: routers[0].servers[0].tls.certPath: cannot read ${dir}/missing.pem: no such file\n` +
    `switchyard-proxy: ${file}: routers[0].client.tls.clientAuth.keyPath: ${dir}/server.key is not the key of the certificate in ${dir}/client.crt\n` +
    `switchyard-proxy: ${file}: routers[1].interpreter.tls.trustCerts[0]: ${dir}/server.key holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)\n`
  // --check says it, and so does a start, before anything listens.
  const check = await runProxyCommand(['--check', '--config', file])
  t.equal(check.code, 2)
  t.equal(check.stderr, expected)
  const start = await runProxyCommand(['--config', file])
  t.equal(start.code, 2)
  t.equal(start.stderr, expected)
})

t.test(
  'a dst Linkerd would resolve through its namers is refused, naming the forms that work',
  async (t) => {
    for (const dst of ['/#/io.l5d.k8s/default/http/namerd', '/$/io.buoyant.rinet/4180/namerd']) {
      const err = await refused(t, namerdRouter('').replace('/$/inet/127.0.0.1/4180', dst))
      t.match(
        err,
        `routers[0].interpreter.dst: ${dst}: a name for namers to resolve (/#/..., /$/io.buoyant.rinet/..., /%/...) is not supported`,
      )
      t.match(err, "give namerd's address: Linkerd's /$/inet/<host>/<port>")
    }
    t.match(
      await refused(t, namerdRouter('').replace('4180', '99999')),
      'routers[0].interpreter.dst: /$/inet/127.0.0.1/99999: the port "99999" is not a number from 1 to 65535',
    )
    t.match(
      await refused(t, namerdRouter('').replace('io.l5d.namerd.http', 'io.l5d.namerd')),
      'routers[0].interpreter.kind: io.l5d.namerd talks to namerd over Thrift (port 4100), which the proxy does not speak: use kind: io.l5d.namerd.http',
    )
  },
)

t.test("Linkerd's h2AccessLog is an h2 router's access log; refused on http routers", async (t) => {
  const { readFile } = await import('node:fs/promises')
  const { join } = await import('node:path')
  const http2 = await import('node:http2')
  const dir = await tempDir(t)
  const backend = await recordingBackend(t, 'unused')
  const log = join(dir, 'h2access.log')
  const file = await writeConfig(
    dir,
    [
      'admin: {ip: 127.0.0.1, port: 0}',
      'routers:',
      '- protocol: h2',
      '  experimental: true',
      `  h2AccessLog: ${log}`,
      '  h2AccessLogRollPolicy: daily',
      '  h2AccessLogAppend: true',
      '  h2AccessLogRotateCount: -1',
      `  dtab: /svc => /$/inet/127.0.0.1/${backend.port}`,
      '  servers: [{ip: 127.0.0.1, port: 0}]',
      '',
    ].join('\n'),
  )
  const check = await runProxyCommand(['--check', '--config', file])
  t.equal(check.code, 0, check.stderr)
  t.match(check.stderr, /h2AccessLogRollPolicy/, 'its roll keys are named as ignored')
  const proxy = await startProxyProcess(t, file)
  await whenReady(proxy)
  const port = proxy.ports[0]!
  // A prior-knowledge h2c request: the backend speaks HTTP/1.1 so the answer is a 502, logged.
  const session = http2.connect(`http://127.0.0.1:${port}`)
  t.teardown(() => session.close())
  const status = await new Promise<number>((resolve, reject) => {
    const req = session.request({ ':path': '/hello', ':authority': 'hello' })
    req.on('response', (h) => resolve(Number(h[':status'])))
    req.on('error', reject)
    req.resume()
    req.end()
  })
  let text = ''
  for (let i = 0; i < 50 && !text.includes('HTTP/2.0'); i++) {
    await new Promise((r) => setTimeout(r, 50))
    text = await readFile(log, 'utf8').catch(() => '')
  }
  t.match(text, new RegExp(`"GET /hello HTTP/2.0" ${status} `), 'the stream is logged there')

  t.equal(
    await refused(t, 'routers:\n  - h2AccessLog: a.log\n    servers: [{port: 4140}]\n'),
    "switchyard-proxy: proxy.yaml:2:18: routers[0].h2AccessLog: h2AccessLog is the access log of an h2 router (Linkerd's name); on an http router use httpAccessLog\n",
  )
  t.equal(
    await refused(
      t,
      'routers:\n  - protocol: h2\n    h2AccessLog: a.log\n    httpAccessLog: b.log\n    servers: [{port: 4140}]\n',
    ),
    "switchyard-proxy: proxy.yaml:3:18: routers[0].h2AccessLog: give the access log once: h2AccessLog (Linkerd's name on an h2 router) or httpAccessLog\n",
  )
})

t.test(
  'service.responseClassifier is an ignored key on an http router only: an h2 router follows it',
  async (t) => {
    const dir = await tempDir(t)
    const router = (protocol: string) =>
      `routers:\n  - protocol: ${protocol}\n    dtab: /svc => /$/inet/127.0.0.1/1\n    servers: [{port: 4140}]\n    service: {responseClassifier: {kind: io.l5d.h2.grpc.default}}\n`
    const h2 = await runProxyCommand([
      '--check',
      '--config',
      await writeConfig(dir, router('h2'), 'h2.yaml'),
    ])
    t.equal(h2.code, 0, h2.stderr)
    t.notMatch(h2.stderr, 'responseClassifier', 'no "ignored" warning for what h2 follows')
    const http = await runProxyCommand([
      '--check',
      '--config',
      await writeConfig(dir, router('http'), 'http.yaml'),
    ])
    t.equal(http.code, 0, http.stderr)
    t.match(http.stderr, 'routers[0].service.responseClassifier (a 5XX response is never retried')
  },
)
