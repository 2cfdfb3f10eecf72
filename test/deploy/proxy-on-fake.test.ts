// deploy/base's proxy asks the Kubernetes API for exactly what its RBAC grants. Its only calls
// are its io.l5d.k8s.daemonset transformer's (names are bound by namerd): the transformers of
// its real config (from the ConfigMap, with the env the DaemonSet gives the pod and the
// kubeconfig standing in for its service account) run against the fake API server holding the
// base's Service switchyard-proxy and its slice, with every verb the proxy's ServiceAccount is
// not granted refused (403). A request for a pod on node-2 goes to node-2's proxy; every verb
// granted was asked for, and nothing else (derived from the fake's request log).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseYamlConfig } from '@switchyard/config'
import { FakeKubeApi, type JsonObject } from '@switchyard/kube-fake'
import { Addr, Var } from '@switchyard/namers'
import t from 'tap'
import { ProxyConfig } from '../../packages/proxy/src/config/schema.js'
import {
  makeTransformers,
  type TransformerConfig,
} from '../../packages/proxy/src/interpret/transformers/index.js'
import { eventually } from '../e2e/processes.js'
import { containerRun } from './container-run.js'
import { DEPLOY, render, requireKubectl } from './kustomize.js'
import { asksIn, forbidUngranted, grantedTo, grants, ungrantedAsks, verbSets } from './rbac.js'
import { workloads } from './workloads.js'

/** The resources the proxy could touch; what the RBAC does not grant is refused on these. */
/** A rendered object (parsed from kubectl's JSON) as the fake's JSON type. */
function json(o: unknown): JsonObject {
  return JSON.parse(JSON.stringify(o)) as JsonObject
}

if (requireKubectl(t)) {
  t.test(
    'deploy/base’s proxy finds the proxies on its RBAC, asking for nothing more',
    async (t) => {
      const base = render(join(DEPLOY, 'base'))
      const api = await FakeKubeApi.start({ requestLog: 1_000_000 })
      t.teardown(() => api.close())
      const dir = mkdtempSync(join(tmpdir(), 'deploy-proxy-fake-'))
      t.teardown(() => rmSync(dir, { recursive: true, force: true }))

      const service = base.find(
        (o) => o.kind === 'Service' && o.metadata.name === 'switchyard-proxy',
      )
      if (service === undefined) throw new Error('deploy/base has no Service switchyard-proxy')
      api.put(json(service))
      const proxyNamespace = service.metadata.namespace ?? 'switchyard'
      // The proxies on two nodes, as the EndpointSlice controller lists them.
      api.put({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'switchyard-proxy-abcde',
          namespace: proxyNamespace,
          labels: { 'kubernetes.io/service-name': 'switchyard-proxy' },
        },
        addressType: 'IPv4',
        endpoints: [
          { addresses: ['10.0.1.2'], conditions: { ready: true }, nodeName: 'node-1' },
          { addresses: ['10.0.2.2'], conditions: { ready: true }, nodeName: 'node-2' },
        ],
        ports: [
          { name: 'outgoing', port: 4140, protocol: 'TCP' },
          { name: 'incoming', port: 4141, protocol: 'TCP' },
        ],
      })

      // Exactly the rights deploy/base gives the proxy's ServiceAccount.
      const proxy = workloads(base).find((w) => w.pod.serviceAccountName === 'switchyard-proxy')
      if (proxy === undefined) throw new Error('deploy/base has no workload of switchyard-proxy')
      const subject = `ServiceAccount ${proxy.namespace}/switchyard-proxy`
      const granted = grants(base).grants
      forbidUngranted(api, granted, subject, [proxy.namespace, 'hello-world', 'default'])

      // The pod's config and env; the kubeconfig stands in for its service account.
      const container = proxy.pod.containers[0]!
      const run = containerRun(base, proxy, container)
      t.teardown(run.cleanup)
      const file = run.args[run.args.indexOf('--config') + 1] ?? ''
      const config = parseYamlConfig('proxy.yaml', readFileSync(file, 'utf8'), ProxyConfig)
      process.env.KUBECONFIG = await api.writeKubeconfig(dir)
      const configs = config.routers.flatMap((r): TransformerConfig[] =>
        r.interpreter !== undefined && 'transformers' in r.interpreter
          ? [...(r.interpreter.transformers ?? [])]
          : [],
      )
      t.ok(
        configs.some((c) => c.kind === 'io.l5d.k8s.daemonset'),
        'the base has a daemonset transformer',
      )
      const transformers = makeTransformers(configs, { env: run.env })
      t.teardown(() => Promise.all(transformers.map((tr) => tr.close())))
      await Promise.all(transformers.map((tr) => tr.ready()))

      const daemonset = transformers.find((tr) => tr.kind === 'io.l5d.k8s.daemonset')!
      const pod = Addr.bound([{ ip: '10.0.2.7', port: 8080, meta: { nodeName: 'node-2' } }])
      const out = daemonset.map(Var.value(pod))
      const stop = out.subscribe(() => {})
      t.teardown(stop)
      await eventually(
        'the pod on node-2 to go through node-2’s proxy',
        async () => Addr.show(out.sample()) === 'Bound(10.0.2.2:4141)',
        10_000,
      )
      t.pass('a pod on node-2 goes through the proxy on node-2')

      const askedNow = () => asksIn(api.requests)
      // The watches start just after the lists that gave the proxies.
      await eventually(
        'both watches',
        async () => askedNow().filter((a) => a.verb === 'watch').length >= 2,
        10_000,
      )
      const asked = askedNow()
      t.same(ungrantedAsks(asked, granted, subject), [], 'nothing the proxy asked for was refused')
      t.same(verbSets(asked), verbSets(grantedTo(granted, subject)), 'every verb granted was used')
      t.same(verbSets(asked), [
        'core/services: list, watch',
        'discovery.k8s.io/endpointslices: list, watch',
      ])
    },
  )
}
