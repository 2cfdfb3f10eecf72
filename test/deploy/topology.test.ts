// The DaemonSet topology of every kustomization's proxy config keeps its promise on the
// network layouts real clusters have: the outgoing router sends each request to the proxy on
// the destination pod's own node, and that proxy's incoming router keeps only the pods on its
// node. Pod IPs name a node by their /24 only on some network plugins (kubenet, flannel, GKE);
// on others a /24 holds several nodes' pods (Calico's /26 blocks) or pod IPs come from one
// shared subnet (AWS VPC CNI, Azure CNI), and on an IPv6 cluster there is no /24 at all. The
// real transformers are built from the rendered config, with the env the DaemonSet's downward
// API gives each pod; the daemonset's proxies are given directly (the namer is tested in
// packages/proxy/test/transformers-k8s.test.ts).

import { readFileSync } from 'node:fs'
import { parseYamlConfig } from '@switchyard/config'
import { Addr, type Endpoint, Var } from '@switchyard/namers'
import type { IContainer } from 'kubernetes-models/v1'
import t from 'tap'
import { ProxyConfig } from '../../packages/proxy/src/config/schema.js'
import {
  type DaemonSetSource,
  makeTransformers,
  type Transformer,
  type TransformerConfig,
} from '../../packages/proxy/src/interpret/transformers/index.js'
import { containerRun } from './container-run.js'
import { ourImage } from './images.js'
import { kustomizations, render, requireKubectl } from './kustomize.js'
import { workloads } from './workloads.js'

interface Pod {
  readonly ip: string
  readonly node: string
}

interface Layout {
  readonly name: string
  /** The proxy (daemonset pod) on each node. */
  readonly proxies: readonly Pod[]
  /** Application pods, on those nodes. */
  readonly pods: readonly Pod[]
}

const LAYOUTS: readonly Layout[] = [
  {
    name: 'a /24 of pod IPs per node (kubenet, flannel, GKE)',
    proxies: [
      { ip: '10.244.1.2', node: 'node-a' },
      { ip: '10.244.2.2', node: 'node-b' },
    ],
    pods: [
      { ip: '10.244.1.7', node: 'node-a' },
      { ip: '10.244.2.9', node: 'node-b' },
    ],
  },
  {
    name: "Calico's /26 blocks: two nodes in one /24",
    proxies: [
      { ip: '192.168.7.2', node: 'node-a' },
      { ip: '192.168.7.66', node: 'node-b' },
    ],
    pods: [
      { ip: '192.168.7.10', node: 'node-a' },
      { ip: '192.168.7.70', node: 'node-b' },
    ],
  },
  {
    name: 'pod IPs from one shared subnet (AWS VPC CNI, Azure CNI)',
    proxies: [
      { ip: '10.0.1.10', node: 'node-a' },
      { ip: '10.0.2.20', node: 'node-b' },
    ],
    pods: [
      { ip: '10.0.2.30', node: 'node-a' },
      { ip: '10.0.1.40', node: 'node-b' },
    ],
  },
  {
    name: 'an IPv6 cluster',
    proxies: [
      { ip: 'fd00:10:244:1::2', node: 'node-a' },
      { ip: 'fd00:10:244:2::2', node: 'node-b' },
    ],
    pods: [
      { ip: 'fd00:10:244:1::7', node: 'node-a' },
      { ip: 'fd00:10:244:2::9', node: 'node-b' },
    ],
  },
]

/** An endpoint as the io.l5d.k8s namer gives it (through namerd): nodeName from the slice. */
const endpoint = (pod: Pod, port: number): Endpoint => ({
  ip: pod.ip,
  port,
  meta: { nodeName: pod.node },
})

/** The env the kubelet gives the proxy container on `proxy`'s node. */
function envOn(container: IContainer, proxy: Pod): Record<string, string> {
  const env: Record<string, string> = {}
  for (const e of container.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath
    if (field === 'spec.nodeName') env[e.name] = proxy.node
    else if (field === 'status.podIP') env[e.name] = proxy.ip
  }
  return env
}

/** `addr` through `transformers`, in order, as the router applies them. */
function through(transformers: readonly Transformer[], addr: Addr): Addr {
  const v = transformers.reduce((a, tr) => tr.map(a), Var.value(addr))
  const stop = v.subscribe(() => {})
  const out = v.sample()
  stop()
  return out
}

const shown = (a: Addr) =>
  a.type === 'bound' ? a.addrs.map((e) => `${e.ip}:${e.port}`).join(', ') : a.type

if (requireKubectl(t)) {
  let checked = 0
  for (const k of kustomizations()) {
    const objects = render(k.dir)
    for (const w of workloads(objects)) {
      const container = w.pod.containers[0]
      if (container === undefined || ourImage(container.image ?? '')?.target !== 'proxy') continue
      const run = containerRun(objects, w, container)
      const i = run.args.indexOf('--config')
      const file = run.args[i + 1] ?? ''
      const config = parseYamlConfig('proxy.yaml', readFileSync(file, 'utf8'), ProxyConfig)
      run.cleanup()
      const transformersOf = (label: string): readonly TransformerConfig[] => {
        const router = config.routers.find((r) => r.label === label)
        const interpreter = router?.interpreter
        return interpreter !== undefined && 'transformers' in interpreter
          ? (interpreter.transformers ?? [])
          : []
      }
      // HTTP/1.1's pair of routers and HTTP/2's: the same two hops.
      const pairs = [
        { outgoing: 'outgoing', incoming: 'incoming', port: 4141 },
        { outgoing: 'h2-outgoing', incoming: 'h2-incoming', port: 4143 },
      ] as const
      const routed = pairs.filter(
        (p) => transformersOf(p.outgoing).length > 0 && transformersOf(p.incoming).length > 0,
      )
      if (routed.length === 0) continue
      checked++
      t.equal(routed.length, pairs.length, `${k.name}: both pairs of routers are there`)
      for (const pair of routed)
        for (const layout of LAYOUTS) {
          const outgoing = transformersOf(pair.outgoing)
          const incoming = transformersOf(pair.incoming)
          t.test(
            `${k.name}: each request reaches the pod's node and stays there, on ${layout.name} (${pair.outgoing} -> ${pair.incoming})`,
            async (t) => {
              const daemonSet: DaemonSetSource = () => ({
                addr: Var.value(Addr.bound(layout.proxies.map((p) => endpoint(p, pair.port)))),
                ready: Promise.resolve(),
                close: async () => {},
              })
              for (const proxy of layout.proxies) {
                const env = envOn(container, proxy)
                let out: Transformer[] = []
                let inn: Transformer[] = []
                try {
                  out = makeTransformers(outgoing, { env, daemonSet })
                  inn = makeTransformers(incoming, { env, daemonSet })
                } catch (err) {
                  t.fail(`the proxy on ${proxy.node} starts: ${(err as Error).message}`)
                  continue
                }
                for (const pod of layout.pods) {
                  const own = layout.proxies.find((p) => p.node === pod.node)!
                  t.equal(
                    shown(through(out, Addr.bound([endpoint(pod, 8080)]))),
                    `${own.ip}:${pair.port}`,
                    `outgoing on ${proxy.node}: the pod ${pod.ip} on ${pod.node} goes through the proxy on ${pod.node}`,
                  )
                }
                const all = Addr.bound(layout.pods.map((p) => endpoint(p, 8080)))
                const local = layout.pods.filter((p) => p.node === proxy.node)
                t.equal(
                  shown(through(inn, all)),
                  local.map((p) => `${p.ip}:8080`).join(', '),
                  `incoming on ${proxy.node} keeps the pods on ${proxy.node} only`,
                )
                await Promise.all([...out, ...inn].map((tr) => tr.close()))
              }
            },
          )
        }
    }
  }
  t.test('the topology was checked on every kustomization with the proxy', async (t) => {
    t.equal(
      checked,
      6,
      'base, base + host-port, base + mesh-tls, base + mesh-tls-files, and the etcd and from-namerd overlays',
    )
  })
}
