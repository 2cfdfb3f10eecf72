// Two real proxies with deploy/components/mesh-tls's TLS settings, copied from the rendered
// config: the sending router's client tls on one, the receiving router's server tls on the
// other, the Secret's files beside their configs (stand-ins made as docs/kubernetes.md says).
// A request crosses the hop over TLS, an l5d-dtab override still reaches the second proxy, and
// whoever lacks the mesh certificate (a pod speaking plain HTTP, a TLS client without one, a
// proxy configured without clientAuth) gets nothing through. Routing is by local dtabs here:
// the transformers and namerd are checked elsewhere (topology.test.ts, proxy-on-fake.test.ts).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createServer as createH2Server, connect as h2connect } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { connect } from 'node:tls'
import { parseYamlConfig } from '@switchyard/config'
import t, { type Test } from 'tap'
import {
  ProxyConfig,
  type ProxyConfig as ProxyConfigType,
} from '../../packages/proxy/src/config/schema.js'
import { get, portOf, ROOT, run } from '../e2e/processes.js'
import { containerRun } from './container-run.js'
import { ourImage } from './images.js'
import { kustomizations, render, requireKubectl } from './kustomize.js'
import { meshCerts } from './mesh-certs.js'
import { workloads } from './workloads.js'

const BIN = join(ROOT, 'packages/proxy/bin/switchyard-proxy.js')

/** The mesh-tls config as the proxy's container reads it. */
function meshConfig(): ProxyConfigType {
  const composed = kustomizations().find((k) => k.components.includes('deploy/components/mesh-tls'))
  if (composed === undefined) throw new Error('no deploy/components/mesh-tls')
  const objects = render(composed.dir)
  const w = workloads(objects).find(
    (x) => ourImage(x.pod.containers[0]?.image ?? '')?.target === 'proxy',
  )!
  const r = containerRun(objects, w, w.pod.containers[0]!)
  try {
    const file = r.args[r.args.indexOf('--config') + 1]!
    return parseYamlConfig(file, readFileSync(file, 'utf8'), ProxyConfig)
  } finally {
    r.cleanup()
  }
}

/** An HTTP backend answering its name, and the l5d-ctx-dtab it was sent. */
async function backend(t: Test, name: string): Promise<number> {
  const server: Server = createServer((req, res) => {
    res.end(`${name} ${req.headers['l5d-ctx-dtab'] ?? '-'}`)
  })
  server.listen(0, '127.0.0.1')
  await new Promise((done) => server.once('listening', done))
  t.teardown(() => server.close())
  return (server.address() as AddressInfo).port
}

/** An h2c backend answering its name, and the l5d-ctx-dtab it was sent. */
async function h2Backend(t: Test, name: string): Promise<number> {
  const server = createH2Server()
  server.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200 })
    stream.end(`${name} ${headers['l5d-ctx-dtab'] ?? '-'}`)
  })
  server.listen(0, '127.0.0.1')
  await new Promise((done) => server.once('listening', done))
  t.teardown(() => server.close())
  return (server.address() as AddressInfo).port
}

/** A GET over h2c (prior knowledge) to 127.0.0.1:`port`: its status and body. */
function h2Get(
  port: number,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`http://127.0.0.1:${port}`)
    session.on('error', reject)
    const req = session.request({ ':path': '/', ...headers })
    let status = 0
    let body = ''
    req.on('response', (h) => {
      status = Number(h[':status'])
    })
    req.setEncoding('utf8')
    req.on('data', (d: string) => {
      body += d
    })
    req.on('end', () => {
      session.close()
      resolve({ status, body })
    })
    req.on('error', (err) => {
      session.close()
      reject(err)
    })
  })
}

/** Starts a proxy on `config` (written as JSON, which is YAML) in `dir`; its router's port. */
async function proxy(t: Test, dir: string, name: string, config: unknown): Promise<number> {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, JSON.stringify(config, null, 2))
  const p = run(t, name, process.execPath, [BIN, '--config', file])
  return portOf(await p.waitFor(/^router listening$/))
}

if (requireKubectl(t)) {
  const mesh = meshConfig()
  const router = (label: string) => mesh.routers.find((r) => r.label === label)!
  const serverTls = router('incoming').servers[0]!.tls!
  const clientTls = router('outgoing').client.tls!

  /** A folder holding the Secret's files as the component projects them. */
  const secretDir = (t: Test): string => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-tls-proxies-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    for (const [key, pem] of Object.entries(meshCerts())) {
      const file = join(dir, 'mesh-tls', key)
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, pem)
    }
    return dir
  }

  t.test('HTTP/1.1 between two proxies over the mesh-tls settings', async (t) => {
    const dir = secretDir(t)
    const v1 = await backend(t, 'v1')
    const v2 = await backend(t, 'v2')
    const admin = { ip: '127.0.0.1', port: 0 }
    const incoming = await proxy(t, dir, 'incoming', {
      admin,
      routers: [
        {
          label: 'incoming',
          dtab: `/srv/v1 => /$/inet/127.0.0.1/${v1}; /srv/v2 => /$/inet/127.0.0.1/${v2}; /svc => /host; /host/world => /srv/v1`,
          servers: [{ ip: '127.0.0.1', port: 0, tls: serverTls }],
        },
      ],
    })
    const outgoing = await proxy(t, dir, 'outgoing', {
      admin,
      routers: [
        {
          label: 'outgoing',
          dtab: `/svc => /$/inet/127.0.0.1/${incoming}`,
          servers: [{ ip: '127.0.0.1', port: 0 }],
          client: { tls: clientTls },
        },
      ],
    })

    const plain = await get(outgoing, { host: 'world' })
    t.equal(plain.body, 'v1 -', 'app -> outgoing -> TLS -> incoming -> pod')
    const staged = await get(outgoing, { host: 'world', 'l5d-dtab': '/host/world => /srv/v2' })
    t.equal(staged.body, 'v2 /host/world=>/srv/v2', 'the override crosses the TLS hop')

    // A pod that is not a proxy: plain HTTP to the incoming port gets no answer.
    await t.rejects(get(incoming, { host: 'world' }), 'plain HTTP gets no response')
    // TLS without the mesh certificate: refused in the handshake.
    const refused = await new Promise<string>((done) => {
      const socket = connect({
        host: '127.0.0.1',
        port: incoming,
        servername: clientTls.commonName,
        ca: meshCerts()['ca.crt'],
      })
      socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\nhost: world\r\n\r\n'))
      socket.on('data', () => done('answered'))
      socket.on('error', (err: Error & { code?: string }) => done(err.code ?? err.message))
      socket.on('close', () => done('closed'))
    })
    t.equal(refused, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'no client certificate: refused')

    // A proxy configured without clientAuth: a 502 that says why.
    const { clientAuth: _, ...withoutCert } = clientTls
    const lost = await proxy(t, dir, 'without-cert', {
      admin,
      routers: [
        {
          label: 'outgoing',
          dtab: `/svc => /$/inet/127.0.0.1/${incoming}`,
          servers: [{ ip: '127.0.0.1', port: 0 }],
          client: { tls: withoutCert },
        },
      ],
    })
    const failed = await get(lost, { host: 'world' })
    t.equal(failed.status, 502, 'a 502')
    t.match(
      failed.body,
      `127.0.0.1:${incoming} requires a client certificate (set tls.clientAuth)`,
      'naming the peer and the missing certificate',
    )
  })

  t.test(
    'HTTP/2 between two proxies over the mesh-tls settings (h2c in, h2 over TLS across)',
    async (t) => {
      const dir = secretDir(t)
      const h2ServerTls = router('h2-incoming').servers[0]!.tls!
      const h2ClientTls = router('h2-outgoing').client.tls!
      const v1 = await h2Backend(t, 'v1')
      const v2 = await h2Backend(t, 'v2')
      const admin = { ip: '127.0.0.1', port: 0 }
      const incoming = await proxy(t, dir, 'h2-incoming', {
        admin,
        routers: [
          {
            label: 'h2-incoming',
            protocol: 'h2',
            dtab: `/srv/v1 => /$/inet/127.0.0.1/${v1}; /srv/v2 => /$/inet/127.0.0.1/${v2}; /svc => /host; /host/world => /srv/v1`,
            servers: [{ ip: '127.0.0.1', port: 0, tls: h2ServerTls }],
          },
        ],
      })
      const outgoing = await proxy(t, dir, 'h2-outgoing', {
        admin,
        routers: [
          {
            label: 'h2-outgoing',
            protocol: 'h2',
            dtab: `/svc => /$/inet/127.0.0.1/${incoming}`,
            servers: [{ ip: '127.0.0.1', port: 0 }],
            client: { tls: h2ClientTls },
          },
        ],
      })
      const plain = await h2Get(outgoing, { ':authority': 'world' })
      t.same(
        plain,
        { status: 200, body: 'v1 -' },
        'app -h2c-> outgoing -h2/TLS-> incoming -h2c-> pod',
      )
      const staged = await h2Get(outgoing, {
        ':authority': 'world',
        'l5d-dtab': '/host/world => /srv/v2',
      })
      t.same(
        staged,
        { status: 200, body: 'v2 /host/world=>/srv/v2' },
        'the override crosses the TLS hop',
      )
      // h2c straight to the TLS port: no HTTP/2 response comes back.
      const direct = await h2Get(incoming, { ':authority': 'world' }).catch(() => undefined)
      t.equal(direct?.status ?? 0, 0, 'h2c to the incoming port gets no response')
    },
  )
}
