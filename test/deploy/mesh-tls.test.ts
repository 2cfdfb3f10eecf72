// deploy/components/mesh-tls encrypts the hop between proxies with one setting, adding the
// component: its proxy config is the base's with TLS on exactly the routers that send to other
// proxies (client tls, with a certificate of their own) and the routers other proxies send to
// (server tls requiring a client certificate), for HTTP/1.1 and HTTP/2 alike; the files it names
// are the Secret's keys, projected beside the config; the certificate a user makes as
// docs/kubernetes.md says passes the checks the config asks for, in a real handshake between
// the sending router's client TLS and the receiving router's server TLS as the proxy loads them
// (tls/client-tls.ts, tls/server-tls.ts), which a client without the certificate fails; and no
// key ships in deploy/. Since kustomize can only replace the config file whole, the component
// first tests that the config is still the base's (proxy-config.patch.yaml): an overlay with a
// proxy config of its own is refused at render instead of having it replaced; such an overlay
// uses mesh-tls-files, the files alone (test/docs/mesh-tls-own-config.test.ts renders the
// page's example of it).
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { type ConnectionOptions, connect, createServer, type TLSSocket } from 'node:tls'
import { parseYamlConfig } from '@switchyard/config'
import t from 'tap'
import type { ProxyConfig as ProxyConfigType } from '../../packages/proxy/src/config/schema.js'
import { ProxyConfig } from '../../packages/proxy/src/config/schema.js'
import { ClientTls } from '../../packages/proxy/src/tls/client-tls.js'
import { ServerTls } from '../../packages/proxy/src/tls/server-tls.js'
import { containerRun } from './container-run.js'
import { ourImage } from './images.js'
import {
  DEPLOY,
  type KubeObject,
  kustomizations,
  ROOT,
  render,
  renderYaml,
  requireKubectl,
} from './kustomize.js'
import { MESH_NAME, meshCerts } from './mesh-certs.js'
import { validateBuiltIn } from './models.js'
import { type Workload, workloads } from './workloads.js'

const COMPONENT = 'deploy/components/mesh-tls'

type Router = ProxyConfigType['routers'][number]

/** The proxy's workload and its config file as the container would read it. */
function proxyOf(objects: readonly KubeObject[]): {
  w: Workload
  config: ProxyConfigType
  file: string
  cleanup: () => void
} {
  const w = workloads(objects).find(
    (x) => ourImage(x.pod.containers[0]?.image ?? '')?.target === 'proxy',
  )
  if (w === undefined) throw new Error('no proxy workload')
  const run = containerRun(objects, w, w.pod.containers[0]!)
  const file = run.args[run.args.indexOf('--config') + 1] ?? ''
  const config = parseYamlConfig(file, readFileSync(file, 'utf8'), ProxyConfig)
  return { w, config, file, cleanup: run.cleanup }
}

/** The config without any tls key: what the base must be. */
function withoutTls(config: ProxyConfigType): unknown {
  const copy = structuredClone(config) as ProxyConfigType
  for (const r of copy.routers) {
    for (const s of r.servers) delete (s as { tls?: unknown }).tls
    delete (r.client as { tls?: unknown }).tls
  }
  return copy
}

/** The routers whose endpoints are other proxies, and the router each sends to there. */
function hops(config: ProxyConfigType, w: Workload): { from: Router; to: Router }[] {
  const ports = w.pod.containers[0]?.ports ?? []
  const out: { from: Router; to: Router }[] = []
  for (const from of config.routers) {
    const interpreter = from.interpreter
    const transformers =
      interpreter !== undefined && 'transformers' in interpreter
        ? (interpreter.transformers ?? [])
        : []
    for (const tr of transformers) {
      if (tr.kind !== 'io.l5d.k8s.daemonset') continue
      // The Service port name is the container port name in deploy/base (wiring.test.ts).
      const port = ports.find((p) => p.name === tr.port || String(p.containerPort) === tr.port)
      const to = config.routers.find((r) => r.servers.some((s) => s.port === port?.containerPort))
      if (to === undefined) throw new Error(`${from.label}: no router on port ${tr.port}`)
      out.push({ from, to })
    }
  }
  return out
}

if (requireKubectl(t)) {
  const composed = kustomizations().find((k) => k.components.includes(COMPONENT))
  if (composed === undefined) throw new Error(`${COMPONENT} is not a component under deploy/`)
  const mesh = render(composed.dir)
  const base = render(`${DEPLOY}/base`)

  t.test('the component adds TLS to the proxy config and changes nothing else', async (t) => {
    const m = proxyOf(mesh)
    const b = proxyOf(base)
    t.teardown(() => {
      m.cleanup()
      b.cleanup()
    })
    t.same(withoutTls(m.config), b.config, 'the base config, once the tls keys are taken out')
    t.notSame(m.config, b.config, 'and it has tls keys')
  })

  t.test('it replaces the config only after testing that it is still the base’s', async (t) => {
    const patch = readFileSync(join(ROOT, COMPONENT, 'proxy-config.patch.yaml'), 'utf8')
    // Its ops, each with its block-scalar value (`value: |`, indented 4) as the text it holds.
    const ops = [
      ...patch.matchAll(/^- op: (\w+)\n {2}path: (\S+)\n {2}value: \|\n((?: {4}.*\n|\n)*)/gm),
    ]
    t.same(
      ops.map((m) => `${m[1]} ${m[2]}`),
      ['test /data/proxy.yaml', 'replace /data/proxy.yaml'],
      'a test, then the replace',
    )
    const value = (ops[0]?.[3] ?? '').replace(/^ {4}/gm, '')
    t.equal(
      value,
      readFileSync(join(DEPLOY, 'base/config/proxy.yaml'), 'utf8'),
      'the test value is deploy/base/config/proxy.yaml byte for byte (after changing that file, ' +
        'copy it into the test op, and the change into the replace op)',
    )
  })

  t.test('an overlay’s own proxy config is refused at render, not replaced', async (t) => {
    for (const behavior of ['replace', 'merge']) {
      const dir = mkdtempSync(join(tmpdir(), 'deploy-mesh-own-config-'))
      t.teardown(() => rmSync(dir, { recursive: true, force: true }))
      const rel = (p: string) => relative(dir, join(ROOT, p))
      writeFileSync(join(dir, 'proxy.yaml'), '# MY CUSTOM CONFIG\nrouters: []\n')
      const kustomization = (component: string) =>
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          `resources: [${rel('deploy/base')}]`,
          `components: [${rel(component)}]`,
          'configMapGenerator:',
          `  - {name: switchyard-proxy-config, behavior: ${behavior}, files: [proxy.yaml]}`,
          '',
        ].join('\n')
      writeFileSync(join(dir, 'kustomization.yaml'), kustomization(COMPONENT))
      let error = ''
      try {
        renderYaml(dir)
      } catch (err) {
        error = String((err as { stderr?: unknown }).stderr ?? err)
      }
      t.match(
        error,
        /deploy\/components\/mesh-tls.*testing value \/data\/proxy\.yaml failed/,
        `behavior: ${behavior}: kubectl stops, naming the component and the config`,
      )
      // With the files alone, the config is the overlay's.
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        kustomization('deploy/components/mesh-tls-files'),
      )
      t.match(renderYaml(dir), /MY CUSTOM CONFIG/, `behavior: ${behavior}: mesh-tls-files keeps it`)
    }
  })

  t.test('every hop between proxies is TLS, both ways authenticated, h2 too', async (t) => {
    const { w, config, cleanup } = proxyOf(mesh)
    t.teardown(cleanup)
    const found = hops(config, w)
    t.same(
      found.map((h) => `${h.from.label} -> ${h.to.label}`),
      ['outgoing -> incoming', 'h2-outgoing -> h2-incoming'],
      'HTTP/1.1 and HTTP/2 each cross the network once',
    )
    for (const { from, to } of found) {
      const tls = from.client.tls
      t.equal(from.client.kind ?? 'io.l5d.global', 'io.l5d.global', `${from.label}: for every id`)
      t.equal(tls?.disableValidation, false, `${from.label} checks the certificate`)
      t.equal(tls?.commonName, MESH_NAME, `${from.label} checks the name ${MESH_NAME}`)
      t.ok(tls?.trustCerts?.length, `${from.label} trusts the mesh CA only`)
      t.ok(tls?.clientAuth, `${from.label} shows its own certificate`)
      for (const s of to.servers) {
        t.ok(s.tls, `${to.label} serves TLS on ${s.port}`)
        t.equal(
          s.tls?.requireClientAuth,
          true,
          `${to.label} refuses a client without a certificate`,
        )
        t.ok(s.tls?.caCertPath, `${to.label} checks client certificates against the mesh CA`)
      }
    }
    // The hops on the node stay in the clear: apps to their proxy, the proxy to the pod.
    const apps = config.routers.filter((r) => !found.some((h) => h.to === r))
    for (const r of apps) {
      for (const s of r.servers) t.notOk(s.tls, `${r.label} (apps call it) is not TLS`)
    }
    for (const h of found) t.notOk(h.to.client.tls, `${h.to.label} speaks to the pod as before`)
  })

  t.test('the files the config names are the Secret’s, beside the config file', async (t) => {
    const { config, file, cleanup } = proxyOf(mesh)
    t.teardown(cleanup)
    const dir = dirname(file)
    const paths = new Set<string>()
    for (const r of config.routers) {
      for (const s of r.servers) {
        if (s.tls === undefined) continue
        paths.add(s.tls.certPath).add(s.tls.keyPath)
        if (s.tls.caCertPath !== undefined) paths.add(s.tls.caCertPath)
      }
      const c = r.client.tls
      for (const p of c?.trustCerts ?? []) paths.add(p)
      if (c?.clientAuth !== undefined) paths.add(c.clientAuth.certPath).add(c.clientAuth.keyPath)
    }
    t.same([...paths].sort(), ['mesh-tls/ca.crt', 'mesh-tls/tls.crt', 'mesh-tls/tls.key'])
    for (const p of paths) {
      t.notOk(p.startsWith('/'), `${p} is relative to the config's folder`)
      t.ok(existsSync(resolve(dir, p)), `${p} is in the container, from the Secret`)
    }
    // What a user makes by docs/kubernetes.md passes the checks the config asks for.
    const certs = meshCerts()
    const cert = new X509Certificate(readFileSync(resolve(dir, 'mesh-tls/tls.crt')))
    const ca = new X509Certificate(certs['ca.crt'])
    t.equal(cert.checkHost(MESH_NAME), MESH_NAME, `the certificate is for ${MESH_NAME}`)
    t.ok(cert.verify(ca.publicKey), 'signed by the CA in ca.crt')
  })

  t.test('a sending proxy and a receiving one complete the handshake; others cannot', async (t) => {
    const { w, config, file, cleanup } = proxyOf(mesh)
    t.teardown(cleanup)
    const dir = dirname(file)
    // ServerTls logs only an expired certificate or a reload, neither of which happens here.
    const logger = { warn: () => {}, info: () => {} } as unknown as Parameters<
      typeof ServerTls.load
    >[2]
    for (const { from, to } of hops(config, w)) {
      const serverConfig = to.servers[0]?.tls
      const clientConfig = from.client.tls
      if (serverConfig === undefined || clientConfig === undefined) {
        t.fail(`${from.label} -> ${to.label} has no TLS`)
        continue
      }
      const alpn = to.protocol === 'h2' ? ['h2'] : ['http/1.1']
      const serverTls = await ServerTls.load(serverConfig, dir, logger, alpn)
      const server = createServer(serverTls.options(), (socket) => socket.end('ok'))
      server.on('tlsClientError', () => {})
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      t.teardown(() => {
        serverTls.close()
        server.close()
      })
      const port = (server.address() as AddressInfo).port
      // A pod IP, as the daemonset transformer gives it: the name checked is commonName's.
      const hello = (options: ConnectionOptions) =>
        new Promise<string>((done) => {
          const socket: TLSSocket = connect({ ...options, port })
          let got = ''
          socket.on('data', (d: Buffer) => {
            got += d.toString()
          })
          socket.on('end', () => done(`${got} (${socket.alpnProtocol || 'no alpn'})`))
          socket.on('error', (err: Error & { code?: string }) => done(`refused: ${err.code}`))
        })
      const tls = ClientTls.load(clientConfig, dir)
      t.equal(
        await hello(tls.connectOptions('127.0.0.1', alpn)),
        `ok (${alpn[0]})`,
        `${from.label} -> ${to.label}: TLS, ${alpn[0]} by ALPN`,
      )
      const { clientAuth: _, ...withoutCert } = clientConfig
      const anonymous = ClientTls.load(withoutCert, dir)
      t.equal(
        await hello(anonymous.connectOptions('127.0.0.1', alpn)),
        // TLS 1.3: the server's alert arrives once the client has sent its (empty) certificate.
        'refused: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
        `${to.label} refuses a client without the mesh certificate`,
      )
    }
  })

  t.test('the proxy reads its key as its group; no one else can', async (t) => {
    const w = workloads(mesh).find((x) => x.name === 'switchyard-proxy')!
    const volume = (w.pod.volumes ?? []).find((v) => v.name === 'config')
    const secret = volume?.projected?.sources?.find((s) => s.secret !== undefined)?.secret
    t.equal(secret?.name, 'switchyard-mesh-tls', 'the Secret switchyard-mesh-tls')
    t.equal(volume?.projected?.defaultMode, 0o440, 'files are 0440')
    t.equal(w.pod.securityContext?.fsGroup, w.pod.securityContext?.runAsGroup, 'of its group')
    const mount = w.pod.containers[0]?.volumeMounts?.find((m) => m.name === 'config')
    t.equal(mount?.readOnly, true, 'mounted read-only')
    t.notOk(mount?.subPath, 'not a subPath, so a renewed certificate reaches the running proxy')
  })

  t.test('it composes with the host-port component', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-mesh-host-port-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const rel = (p: string) => relative(dir, join(ROOT, p))
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `resources: [${rel('deploy/base')}]`,
        `components: [${rel('deploy/components/host-port')}, ${rel(COMPONENT)}]`,
        '',
      ].join('\n'),
    )
    const both = render(dir)
    const w = workloads(both).find((x) => x.name === 'switchyard-proxy')!
    const ds = both.find((o) => o.kind === 'DaemonSet')!
    t.same(validateBuiltIn(ds), [], 'the DaemonSet is valid')
    t.equal(w.pod.containers[0]?.ports?.[0]?.hostPort, 4140, 'the host port')
    t.ok(
      w.pod.volumes?.find((v) => v.name === 'config')?.projected,
      'and the Secret beside the config',
    )
    const m = proxyOf(both)
    t.teardown(m.cleanup)
    t.ok(m.config.routers.find((r) => r.label === 'incoming')?.servers[0]?.tls, 'TLS on incoming')
  })

  t.test('no certificate or key ships in deploy/: the user creates the Secret', async (t) => {
    t.same(
      mesh.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name),
      [],
      'no Secret in the rendered objects',
    )
  })
}
