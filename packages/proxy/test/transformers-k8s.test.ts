// The Linkerd 1 DaemonSet topology against the fake Kubernetes API server, with real proxies
// and real HTTP over loopback: the daemonset's proxies are the endpoints of its Service (the
// io.l5d.k8s namer on the transformer's own connection), and nodes are stood in for by /24s
// of the loopback network (127.0.1.x is node-1, 127.0.2.x node-2) or by EndpointSlice
// `nodeName`s.
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FakeKubeApi, type JsonObject } from '@switchyard/kube-fake'
import { buildServer } from '@switchyard/namerd'
import { mountNamers } from '@switchyard/namers'
import { openMemoryStore } from '@switchyard/store'
import { pino } from 'pino'
import t from 'tap'
import { ProxyConfig } from '../src/config/schema.js'
import { eventually, putDtab, tempDir } from './interpret-helpers.js'
import { runProxy, send } from './router-helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

const NS = 'default'
const ID = '/#/io.l5d.k8s/default/http/world'
const DS = '/%/io.l5d.k8s.daemonset/default/incoming/l5d'

function service(name: string, portName: string, port: number): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { ports: [{ name: portName, port, protocol: 'TCP' }] },
  }
}

interface Pod {
  readonly ip: string
  readonly nodeName: string
}

/** An EndpointSlice of `svc` whose ready endpoints are `pods`, on the named port. */
function slice(
  name: string,
  svc: string,
  pods: readonly Pod[],
  port: { name: string; port: number },
): JsonObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: pods.map((p) => ({
      addresses: [p.ip],
      conditions: { ready: true },
      nodeName: p.nodeName,
    })),
    ports: [{ ...port, protocol: 'TCP' }],
  }
}

async function startApi(t: Teardown): Promise<FakeKubeApi> {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  return api
}

interface Listener {
  readonly ip: string
  readonly port: number
  /** Headers of each request it got. */
  readonly seen: IncomingHttpHeaders[]
}

/** An HTTP server on ip:port (0: any) answering `name`, recording each request's headers. */
async function listener(t: Teardown, ip: string, port: number, name: string): Promise<Listener> {
  const seen: IncomingHttpHeaders[] = []
  const server: Server = createServer((req, res) => {
    seen.push(req.headers)
    req.resume()
    res.end(name)
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(port, ip, done)
  })
  t.teardown(
    () =>
      new Promise<void>((done) => {
        server.close(() => done())
        server.closeAllConnections()
      }),
  )
  return { ip, port: (server.address() as AddressInfo).port, seen }
}

/** A port free on every one of `ips` (a daemonset's pods share one port number). */
async function portFreeOn(ips: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const servers: Server[] = []
    try {
      const first = createServer()
      servers.push(first)
      await new Promise<void>((done, fail) => {
        first.once('error', fail)
        first.listen(0, ips[0], done)
      })
      const port = (first.address() as AddressInfo).port
      for (const ip of ips.slice(1)) {
        const s = createServer()
        servers.push(s)
        await new Promise<void>((done, fail) => {
          s.once('error', fail)
          s.listen(port, ip, done)
        })
      }
      return port
    } catch {
      // taken on one of them: try another
    } finally {
      await Promise.all(servers.map((s) => new Promise((done) => s.close(done))))
    }
  }
  throw new Error(`no port free on all of ${ips.join(', ')}`)
}

const apiPort = (api: FakeKubeApi) => Number(new URL(api.url).port)

/** The daemonset transformer of the outgoing router, on the fake's API as kubectl proxy. */
function daemonset(api: FakeKubeApi, keys: Record<string, unknown> = {}) {
  return {
    kind: 'io.l5d.k8s.daemonset',
    namespace: NS,
    service: 'l5d',
    port: 'incoming',
    k8sHost: '127.0.0.1',
    k8sPort: apiPort(api),
    ...keys,
  }
}

async function ask(port: number): Promise<{ status: number; body: string }> {
  const r = await send(port, { headers: { host: 'world' } })
  return { status: r.status, body: r.body }
}

t.test('the outgoing router sends each request to the proxy on the pod’s node', async (t) => {
  const api = await startApi(t)
  const p = await portFreeOn(['127.0.1.1', '127.0.2.1'])
  const [l5d1, l5d2] = await Promise.all([
    listener(t, '127.0.1.1', p, 'l5d on node-1'),
    listener(t, '127.0.2.1', p, 'l5d on node-2'),
  ])
  const node1: Pod = { ip: '127.0.1.1', nodeName: 'node-1' }
  const node2: Pod = { ip: '127.0.2.1', nodeName: 'node-2' }
  const l5dSlice = (pods: Pod[]) => slice('l5d-a', 'l5d', pods, { name: 'incoming', port: p })
  api.put(service('l5d', 'incoming', 4141))
  api.put(l5dSlice([node1, node2]))
  api.put(service('world', 'http', 80))
  const worldOn = (...ips: string[]) =>
    api.put(
      slice(
        'world-a',
        'world',
        ips.map((ip) => ({ ip, nodeName: `node-${ip.split('.')[2]}` })),
        { name: 'http', port: 8080 },
      ),
    )
  worldOn('127.0.2.10')

  const proxy = await runProxy(
    t,
    ProxyConfig.parse({
      admin: { ip: '127.0.0.1', port: 0 },
      namers: [{ kind: 'io.l5d.k8s', host: '127.0.0.1', port: apiPort(api) }],
      routers: [
        {
          label: 'outgoing',
          interpreter: {
            kind: 'local',
            dtab: '/svc=>/#/io.l5d.k8s/default/http',
            transformers: [daemonset(api)],
          },
          servers: [{ ip: '127.0.0.1', port: 0 }],
        },
      ],
    }),
  )

  for (let i = 0; i < 10; i++) {
    t.same(await ask(proxy.port), { status: 200, body: 'l5d on node-2' }, `request ${i}`)
  }
  t.equal(l5d1.seen.length, 0, 'node-1’s proxy got nothing: world has no pod there')
  t.equal(l5d2.seen[0]?.['l5d-dst-client'], `${DS}${ID}`, 'the client is the transformed id')
  const metrics = (await (await fetch(`${proxy.admin}/admin/metrics.json`)).json()) as Record<
    string,
    number
  >
  t.equal(metrics[`rt/outgoing/client/${DS.slice(1)}${ID}/requests`], 10)

  // Scale-up: a pod on node-1 too; node-1's proxy joins.
  worldOn('127.0.2.10', '127.0.1.10')
  await eventually('node-1’s proxy gets requests once world has a pod there', async () => {
    await ask(proxy.port)
    return l5d1.seen.length > 0
  })
  // Pod replaced on the other node: only node-1's proxy now.
  worldOn('127.0.1.10')
  await eventually('only node-1’s proxy after the pod moved', async () => {
    const before = l5d2.seen.length
    for (let i = 0; i < 5; i++) await ask(proxy.port)
    return l5d2.seen.length === before
  })
  // The daemonset's pod on node-1 goes away: world's pod there has no proxy, so no route.
  api.put(l5dSlice([node2]))
  await eventually(
    '502 while node-1 has no proxy',
    async () => (await ask(proxy.port)).status === 502,
  )
  api.put(l5dSlice([node1, node2]))
  await eventually('routed again when the proxy is back', async () => {
    const r = await ask(proxy.port)
    return r.status === 200 && r.body === 'l5d on node-1'
  })
  t.ok(
    api.requests.some((r) => r.path.includes('/endpointslices')),
    'the proxies were read from EndpointSlices on the transformer’s connection',
  )
})

t.test(
  'hostNetwork, through namerd: proxies matched by the nodeName namerd passes on',
  async (t) => {
    const api = await startApi(t)
    // With hostNetwork the proxies have their node's IP: here both are on 127.0.0.1, on two
    // ports, and only their EndpointSlice nodeName says which node each is on.
    const [l5d1, l5d2] = await Promise.all([
      listener(t, '127.0.0.1', 0, 'l5d on node-1'),
      listener(t, '127.0.0.1', 0, 'l5d on node-2'),
    ])
    api.put(service('l5d', 'incoming', 4141))
    api.put(
      slice('l5d-1', 'l5d', [{ ip: '127.0.0.1', nodeName: 'node-1' }], {
        name: 'incoming',
        port: l5d1.port,
      }),
    )
    api.put(
      slice('l5d-2', 'l5d', [{ ip: '127.0.0.1', nodeName: 'node-2' }], {
        name: 'incoming',
        port: l5d2.port,
      }),
    )
    api.put(service('world', 'http', 80))
    const worldOn = (nodeName: string) =>
      api.put(
        slice('world-a', 'world', [{ ip: '10.9.0.5', nodeName }], { name: 'http', port: 8080 }),
      )
    worldOn('node-2')

    // namerd with the io.l5d.k8s namer on the same API.
    const mounted = await mountNamers([
      { kind: 'io.l5d.k8s', host: '127.0.0.1', port: apiPort(api) },
    ])
    t.teardown(() => mounted.close())
    const store = openMemoryStore()
    t.teardown(() => store.close())
    const namerd = await buildServer({
      logger: pino({ level: 'silent' }),
      store,
      namers: mounted.namers,
    })
    await namerd.app.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => namerd.close(50))
    const base = `http://127.0.0.1:${(namerd.app.server.address() as AddressInfo).port}`
    await putDtab(base, 'internal', '/svc=>/#/io.l5d.k8s/default/http')
    const addr = await (
      await fetch(`${base}/api/1/addr/internal?path=${encodeURIComponent(ID)}`)
    ).text()
    t.match(addr, '"meta":{"nodeName":"node-2"}', 'namerd’s addr carries the nodeName')

    const proxy = await runProxy(
      t,
      ProxyConfig.parse({
        admin: { ip: '127.0.0.1', port: 0 },
        routers: [
          {
            label: 'outgoing',
            interpreter: {
              kind: 'namerd',
              dst: base,
              namespace: 'internal',
              retry: { baseSeconds: 0.05, maxSeconds: 0.2 },
              transformers: [daemonset(api, { hostNetwork: true })],
            },
            servers: [{ ip: '127.0.0.1', port: 0 }],
          },
        ],
      }),
    )
    t.same(await ask(proxy.port), { status: 200, body: 'l5d on node-2' })
    t.equal(l5d2.seen[0]?.['l5d-dst-client'], `${DS}${ID}`)
    worldOn('node-1')
    await eventually(
      'the pod moved to node-1: node-1’s proxy',
      async () => (await ask(proxy.port)).body === 'l5d on node-1',
    )
    t.equal(l5d1.seen.length > 0 && l5d2.seen.length > 0, true)
  },
)

const PROXY_MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))

/** switchyard-proxy as a process from source, with `env` added; resolves once it listens. */
async function startIncoming(
  t: Teardown,
  config: string,
  env: Record<string, string>,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      `--import=${import.meta.resolve('tsx')}`,
      '--conditions=@switchyard/source',
      PROXY_MAIN,
      '--config',
      config,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  )
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  let out = ''
  child.stderr?.on('data', (d) => {
    out += d
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the proxy did not start:\n${out}`)), 30_000)
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (d: string) => {
      out += d
      if (out.includes('"msg":"router listening"')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.on('exit', (code) => reject(new Error(`the proxy exited (${code}):\n${out}`)))
  })
  return child
}

/**
 * How nodes are told apart: by the /24 of the proxies' POD_IP (Linkerd's default; each node's
 * pods in its own /24, 127.0.<node>.x), or by node name (hostNetwork: true, as deploy/base
 * sets it; here each world pod's IP is in the *other* node's /24, as pod IPs from a shared
 * subnet can be, so only the names tell).
 */
const RULES = [
  { name: 'by POD_IP’s /24', hostNetwork: false, podIp: (node: number) => `127.0.${node}.10` },
  { name: 'by node name', hostNetwork: true, podIp: (node: number) => `127.0.${3 - node}.10` },
] as const

for (const rule of RULES) {
  t.test(
    `the whole DaemonSet topology, ${rule.name}: outgoing → incoming on the pod’s node → the pod`,
    async (t) => {
      const api = await startApi(t)
      const dir = await tempDir(t)
      const [p, w] = await Promise.all([
        portFreeOn(['127.0.1.1', '127.0.2.1']),
        portFreeOn([rule.podIp(1), rule.podIp(2)]),
      ])
      const [pod1, pod2] = await Promise.all([
        listener(t, rule.podIp(1), w, 'world pod on node-1'),
        listener(t, rule.podIp(2), w, 'world pod on node-2'),
      ])
      api.put(service('l5d', 'incoming', 4141))
      api.put(
        slice(
          'l5d-a',
          'l5d',
          [
            { ip: '127.0.1.1', nodeName: 'node-1' },
            { ip: '127.0.2.1', nodeName: 'node-2' },
          ],
          { name: 'incoming', port: p },
        ),
      )
      api.put(service('world', 'http', 80))
      const worldOn = (...nodes: number[]) =>
        api.put(
          slice(
            'world-a',
            'world',
            nodes.map((node) => ({ ip: rule.podIp(node), nodeName: `node-${node}` })),
            { name: 'http', port: w },
          ),
        )
      worldOn(2)

      // One incoming proxy per node, each a process with its own POD_IP and NODE_NAME (the
      // downward API's).
      const namers = `namers:\n  - {kind: io.l5d.k8s, host: 127.0.0.1, port: ${apiPort(api)}}\n`
      for (const node of [1, 2]) {
        const file = join(dir, `incoming-${node}.yaml`)
        await writeFile(
          file,
          `admin: {ip: 127.0.0.1, port: 0}
${namers}routers:
  - label: incoming
    interpreter:
      kind: local
      dtab: /svc=>/#/io.l5d.k8s/default/http
      transformers: [{kind: io.l5d.k8s.localnode, hostNetwork: ${rule.hostNetwork}}]
    servers: [{ip: 127.0.${node}.1, port: ${p}}]
`,
        )
        await startIncoming(t, file, { POD_IP: `127.0.${node}.1`, NODE_NAME: `node-${node}` })
      }
      const here = (node: number) => (rule.hostNetwork ? `node-${node}` : `127.0.${node}.1`)

      const outgoing = await runProxy(
        t,
        ProxyConfig.parse({
          admin: { ip: '127.0.0.1', port: 0 },
          namers: [{ kind: 'io.l5d.k8s', host: '127.0.0.1', port: apiPort(api) }],
          routers: [
            {
              label: 'outgoing',
              interpreter: {
                kind: 'local',
                dtab: '/svc=>/#/io.l5d.k8s/default/http',
                transformers: [daemonset(api, { hostNetwork: rule.hostNetwork })],
              },
              servers: [{ ip: '127.0.0.1', port: 0 }],
            },
          ],
        }),
      )
      t.same(await ask(outgoing.port), { status: 200, body: 'world pod on node-2' })
      t.equal(
        pod2.seen[0]?.['l5d-dst-client'],
        `/%/io.l5d.k8s.localnode/${here(2)}${ID}`,
        'the last hop was node-2’s incoming proxy, with the localnode id',
      )
      t.equal(pod1.seen.length, 0)

      // Both nodes: each incoming proxy keeps its traffic on its own node.
      worldOn(1, 2)
      await eventually('the pod on node-1 is reached through node-1’s proxy', async () => {
        await ask(outgoing.port)
        return pod1.seen.length > 0
      })
      t.equal(pod1.seen.at(-1)?.['l5d-dst-client'], `/%/io.l5d.k8s.localnode/${here(1)}${ID}`)
    },
  )
}
