// The pieces find each other: each address in a config file is a Service that exists, on a port
// that reaches a container port the program listens on, in the right namespace. A valid config
// that points at the wrong Service passes --check and fails only on a cluster; this does not.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseYamlConfig } from '@switchyard/config'
import { Dtab } from '@switchyard/dtab'
import { ConfigFile, parseListen } from '@switchyard/namerd'
import type { IContainer, IService } from 'kubernetes-models/v1'
import { Service } from 'kubernetes-models/v1'
import t, { type Test } from 'tap'
import { ProxyConfig } from '../../packages/proxy/src/config/schema.js'
import { expand } from './container-run.js'
import { ourImage } from './images.js'
import { DEPLOY, type KubeObject, kustomizations, render, requireKubectl } from './kustomize.js'
import { allowed, grants } from './rbac.js'
import { type Workload, workloads } from './workloads.js'

interface Rendered {
  readonly objects: readonly KubeObject[]
  readonly workloads: readonly Workload[]
}

function services(objects: readonly KubeObject[]): (IService & { metadata: { name: string } })[] {
  return objects
    .filter((o) => o.kind === 'Service')
    .map((o) => {
      const { apiVersion: _a, kind: _k, ...data } = o
      const s = new Service(data)
      s.validate()
      return s as IService & { metadata: { name: string } }
    })
}

function selects(service: IService, w: Workload): boolean {
  const selector = service.spec?.selector ?? {}
  return (
    service.metadata?.namespace === w.namespace &&
    Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([k, v]) => w.podLabels[k] === v)
  )
}

/** The container port a Service port reaches on `c`, or undefined. */
function targetOf(service: IService, port: string | number, c: IContainer): number | undefined {
  const sp = (service.spec?.ports ?? []).find((p) =>
    typeof port === 'number' ? p.port === port : p.name === port,
  )
  if (sp === undefined) return undefined
  const target = sp.targetPort ?? sp.port
  const cp = (c.ports ?? []).find((p) =>
    typeof target === 'number' ? p.containerPort === target : p.name === target,
  )
  return cp?.containerPort
}

/** `http://<service>.<namespace>.svc[.cluster.local]:<port>` → its parts. */
function serviceUrl(url: string): { name: string; namespace: string; port: number } | undefined {
  const u = new URL(url)
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(u.hostname)
  if (m === null) return undefined
  return { name: m[1]!, namespace: m[2]!, port: Number(u.port || 80) }
}

function configMapFile(objects: readonly KubeObject[], w: Workload, mountPath: string) {
  const c = w.pod.containers[0]!
  const mount = (c.volumeMounts ?? []).find((m) => mountPath.startsWith(`${m.mountPath}/`))
  const volume = (w.pod.volumes ?? []).find((v) => v.name === mount?.name)
  // A ConfigMap volume, or a projected one with a ConfigMap among its sources (mesh-tls).
  const names = [
    volume?.configMap?.name,
    ...(volume?.projected?.sources ?? []).map((s) => s.configMap?.name),
  ]
  const cm = objects.find(
    (o) =>
      o.kind === 'ConfigMap' &&
      o.metadata.namespace === w.namespace &&
      names.includes(o.metadata.name),
  )
  const key = mountPath.slice((mount?.mountPath.length ?? 0) + 1)
  const text = (cm?.data as Record<string, string> | undefined)?.[key]
  if (text === undefined) throw new Error(`${w.id}: no ConfigMap file at ${mountPath}`)
  return text
}

function configArg(w: Workload): string {
  const args = w.pod.containers[0]?.args ?? []
  const i = args.indexOf('--config')
  if (i < 0 || args[i + 1] === undefined) throw new Error(`${w.id}: no --config in the args`)
  return args[i + 1]!
}

/** The workload running our image of this Dockerfile target. */
function byImage(r: Rendered, target: string): Workload | undefined {
  return r.workloads.find((w) => ourImage(w.pod.containers[0]?.image ?? '')?.target === target)
}

function checkNamerd(t: Test, r: Rendered, namerd: Workload): void {
  const c = namerd.pod.containers[0]!
  const config = parseYamlConfig(
    'namerd.yaml',
    configMapFile(r.objects, namerd, configArg(namerd)),
    ConfigFile,
  )
  const listen = parseListen(config.listen ?? '')
  t.equal(listen.host, '0.0.0.0', 'namerd listens on every interface of its pod')
  const svc = services(r.objects).find((s) => selects(s, namerd))
  t.ok(svc, 'a Service selects the namerd pods')
  if (svc !== undefined) {
    t.equal(targetOf(svc, 4180, c), listen.port, `Service ${svc.metadata.name}:4180 reaches namerd`)
  }
  const env = Object.fromEntries(
    (c.env ?? []).map((e) => [
      e.name,
      e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' ? namerd.namespace : '',
    ]),
  )
  const args = (c.args ?? []).map((a) => expand(a, env))
  // The flag overrides the file.
  const store = args.includes('--store') ? args[args.indexOf('--store') + 1] : config.store
  if (store === 'k8s' || store?.startsWith('k8s:')) {
    const i = args.indexOf('--k8s-namespace')
    t.ok(i >= 0, 'the k8s store is told its namespace')
    const ns = args[i + 1] ?? ''
    const all = grants(r.objects).grants
    const sa = `ServiceAccount ${namerd.namespace}/${namerd.pod.serviceAccountName}`
    // What the store does there (namerd-on-fake.test.ts pins the whole verb sets).
    for (const [group, resource, verbs] of [
      ['l5d.io', 'dtabs', ['get', 'watch', 'update']],
      ['switchyard.io', 'dtabhistories', ['get', 'update']],
    ] as const) {
      t.ok(
        verbs.every((verb) => allowed(all, sa, group, resource, verb, ns)),
        `namerd may read and write ${resource} where it keeps them (--k8s-namespace ${ns})`,
      )
    }
  } else {
    t.notOk(args.includes('--k8s-namespace'), `no --k8s-namespace for the store ${store}`)
  }
}

function checkProxy(t: Test, r: Rendered, proxy: Workload, namerd: Workload): void {
  const c = proxy.pod.containers[0]!
  const config = parseYamlConfig(
    'proxy.yaml',
    configMapFile(r.objects, proxy, configArg(proxy)),
    ProxyConfig,
  )
  const ports = new Map((c.ports ?? []).map((p) => [p.containerPort, p.name]))
  t.equal(config.admin.ip, '0.0.0.0', 'the admin server is on the pod IP, for the probes')
  t.equal(ports.get(config.admin.port), 'admin', 'the admin port is the container port admin')
  t.equal(c.readinessProbe?.httpGet?.port, 'admin', 'the readiness probe asks the admin server')
  const all = services(r.objects)
  for (const router of config.routers) {
    const label = router.label ?? router.protocol
    for (const s of router.servers) {
      t.equal(s.ip, '0.0.0.0', `router ${label} listens on the pod IP`)
      t.ok(ports.has(s.port), `router ${label}'s port ${s.port} is a container port`)
    }
    const interpreter = router.interpreter
    if (interpreter === undefined || !('dst' in interpreter)) {
      t.fail(`router ${label} does not take its dtab from namerd`)
      continue
    }
    const dst = serviceUrl(interpreter.dst)
    const svc = all.find(
      (s) => s.metadata.name === dst?.name && s.metadata.namespace === dst?.namespace,
    )
    t.ok(svc !== undefined && selects(svc, namerd), `${interpreter.dst} is namerd's Service`)
    if (svc !== undefined && dst !== undefined) {
      t.equal(targetOf(svc, dst.port, namerd.pod.containers[0]!), 4180, 'on namerd’s port')
    }
    for (const tr of interpreter.transformers ?? []) {
      if (tr.kind !== 'io.l5d.k8s.daemonset') continue
      const ds = all.find(
        (s) => s.metadata.name === tr.service && s.metadata.namespace === tr.namespace,
      )
      t.ok(ds !== undefined && selects(ds, proxy), `${tr.service} selects the proxies`)
      const port = /^[0-9]+$/.test(tr.port) ? Number(tr.port) : tr.port
      const target = ds === undefined ? undefined : targetOf(ds, port, c)
      const incoming = config.routers.find((other) => other.servers.some((s) => s.port === target))
      const local = incoming?.interpreter
      t.ok(
        local !== undefined &&
          (local.transformers ?? []).some((x) => x.kind === 'io.l5d.k8s.localnode'),
        `port ${tr.port} reaches a router that keeps traffic on its node (localnode)`,
      )
    }
  }
  const own = all.find((s) => s.metadata.name === 'switchyard-proxy')
  t.equal(own?.spec?.internalTrafficPolicy, 'Local', 'apps reach their own node’s proxy')
  t.equal(own === undefined ? undefined : targetOf(own, 'outgoing', c), 4140, 'outgoing: 4140')
}

if (requireKubectl(t)) {
  for (const k of kustomizations()) {
    const objects = render(k.dir)
    const r: Rendered = { objects, workloads: workloads(objects) }
    const namerd = byImage(r, 'namerd')
    const proxy = byImage(r, 'proxy')
    if (namerd === undefined || proxy === undefined) continue
    t.test(`${k.name}: namerd is reachable where its config and Service say`, async (t) => {
      checkNamerd(t, r, namerd)
    })
    t.test(`${k.name}: the proxies find namerd and each other`, async (t) => {
      checkProxy(t, r, proxy, namerd)
    })
  }

  t.test(
    'hello-world routes to its own Services, through the proxies of deploy/base',
    async (t) => {
      const base = render(`${DEPLOY}/base`)
      const example = render(`${DEPLOY}/examples/hello-world`)
      const dentries = Dtab.toJson(
        Dtab.read(readFileSync(join(DEPLOY, 'examples/hello-world/internal.dtab'), 'utf8')),
      )
      const srv = dentries.find((d) => d.prefix === '/srv')?.dst ?? ''
      const m = /^\/#\/io\.l5d\.k8s\/([^/]+)\/([^/]+)$/.exec(srv)
      t.ok(m, `/srv goes to the io.l5d.k8s namer: ${srv}`)
      const all = services(example)
      for (const name of ['hello', 'world-v1', 'world-v2']) {
        const s = all.find((s) => s.metadata.name === name && s.metadata.namespace === m?.[1])
        t.ok(s, `/srv/${name} is the Service ${m?.[1]}/${name}`)
        t.ok(
          (s?.spec?.ports ?? []).some((p) => p.name === m?.[2]),
          `which has the port ${m?.[2]}`,
        )
      }
      const hello = workloads(example).find((w) => w.name === 'hello')
      const proxyArg = (hello?.pod.containers[0]?.args ?? []).find((a) => a.startsWith('--proxy='))
      const target = serviceUrl(proxyArg?.slice('--proxy='.length) ?? 'http://x')
      const proxies = services(base).find(
        (s) => s.metadata.name === target?.name && s.metadata.namespace === target?.namespace,
      )
      t.ok(proxies, `hello calls the proxies' Service (${proxyArg})`)
      t.ok(
        (proxies?.spec?.ports ?? []).some((p) => p.port === target?.port && p.name === 'outgoing'),
        'on the outgoing router',
      )
    },
  )
}
