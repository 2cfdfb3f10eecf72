// A real proxy, as the incoming router of the Linkerd 1 DaemonSet topology: with the localnode
// transformer it forwards only to the pods on its own node. Nodes are stood in for by /24s of
// the loopback network (127.0.1.x is node 1, 127.0.2.x node 2); POD_IP is this proxy's.
import { writeFile } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { eventually, tempDir } from './interpret-helpers.js'
import { localConfig, runProxy, send } from './router-helpers.js'

// Read by the transformer when the proxy starts, as the downward API sets it in a pod.
process.env.POD_IP = '127.0.1.7'

interface Pod {
  readonly ip: string
  readonly port: number
  readonly seen: IncomingHttpHeaders[]
}

/** An HTTP server on `ip` that answers its own address and records each request's headers. */
async function pod(t: { teardown(fn: () => unknown): void }, ip: string): Promise<Pod> {
  const seen: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => {
    seen.push(req.headers)
    req.resume()
    res.end(ip)
  })
  await new Promise<void>((done) => server.listen(0, ip, done))
  t.teardown(
    () =>
      new Promise<void>((done) => {
        server.close(() => done())
        server.closeAllConnections()
      }),
  )
  return { ip, port: (server.address() as AddressInfo).port, seen }
}

t.test('the incoming router forwards only to the pods on its node', async (t) => {
  const [near, far] = await Promise.all([pod(t, '127.0.1.10'), pod(t, '127.0.2.10')])
  const disco = await tempDir(t)
  const world = (pods: Pod[]) =>
    writeFile(join(disco, 'world'), pods.map((p) => `${p.ip} ${p.port}\n`).join(''))
  await world([near, far])
  const proxy = await runProxy(
    t,
    localConfig(
      '/svc=>/#/io.l5d.fs',
      {
        label: 'incoming',
        interpreter: {
          kind: 'local',
          dtab: '/svc=>/#/io.l5d.fs',
          transformers: [{ kind: 'io.l5d.k8s.localnode' }],
        },
      },
      { namers: [{ kind: 'io.l5d.fs', rootDir: disco }] },
    ),
  )
  const id = '/%/io.l5d.k8s.localnode/127.0.1.7/#/io.l5d.fs/world'
  for (let i = 0; i < 20; i++) {
    const r = await send(proxy.port, { headers: { host: 'world' } })
    t.equal(r.body, near.ip, `request ${i} reached the pod on node 1`)
  }
  t.equal(far.seen.length, 0, 'the pod on node 2 got nothing')
  t.equal(near.seen[0]?.['l5d-dst-client'], id, 'l5d-dst-client names the transformed id')

  const metrics = (await (await fetch(`${proxy.admin}/admin/metrics.json`)).json()) as Record<
    string,
    number
  >
  t.equal(
    metrics[`rt/incoming/client/${id.slice(1)}/requests`],
    20,
    "the client's metrics are under the transformed id, as Linkerd's",
  )

  await world([far])
  await eventually('the name is Neg once node 1 has no pod', async () => {
    const r = await send(proxy.port, { headers: { host: 'world' } })
    return r.status === 502
  })
  t.equal(far.seen.length, 0, 'traffic never leaves the node')

  await world([far, near])
  await eventually('node 1’s pod is routed to again', async () => {
    const r = await send(proxy.port, { headers: { host: 'world' } })
    return r.status === 200 && r.body === near.ip
  })
})
