// Every pod deploy/ runs meets the "restricted" Pod Security Standard that its namespace
// enforces (non-root, no privilege escalation, every capability dropped, seccomp
// RuntimeDefault, only the volume types it allows), has a read-only root filesystem, asks for
// the resources it needs, and, when it runs until stopped, has readiness and liveness probes.

import type { IContainer, IProbe } from 'kubernetes-models/v1'
import t from 'tap'
import { type KubeObject, kustomizations, render, requireKubectl } from './kustomize.js'
import { containersOf, type Workload, workloads } from './workloads.js'

/** Volume types the restricted standard allows (pod-security-standards, "Volume Types"). */
const RESTRICTED_VOLUMES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]

/** The one component that trades the restricted standard for a host port. */
const HOST_PORT_COMPONENT = 'deploy/components/host-port'

function probePortProblem(c: IContainer, probe: IProbe | undefined, which: string): string[] {
  if (probe === undefined) return [`${c.name}: no ${which} probe`]
  const port = probe.httpGet?.port ?? probe.tcpSocket?.port
  if (port === undefined) return [`${c.name}: the ${which} probe is neither httpGet nor tcpSocket`]
  const ports = c.ports ?? []
  const known =
    typeof port === 'number'
      ? ports.some((p) => p.containerPort === port)
      : ports.some((p) => p.name === port)
  return known ? [] : [`${c.name}: the ${which} probe's port ${port} is not a container port`]
}

function podProblems(w: Workload, hostPortAllowed: boolean): string[] {
  const problems: string[] = []
  const pod = w.pod
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push('uses a host namespace')
  const podSc = pod.securityContext ?? {}
  if (podSc.runAsNonRoot !== true) problems.push('pod securityContext.runAsNonRoot is not true')
  if (podSc.runAsUser === 0) problems.push('pod securityContext.runAsUser is 0')
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name')
    if (type === undefined || !RESTRICTED_VOLUMES.includes(type)) {
      problems.push(`volume ${v.name}: type ${type} is not allowed by the restricted standard`)
    }
  }
  for (const c of containersOf(w)) {
    const sc = c.securityContext ?? {}
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type
    if (seccomp !== 'RuntimeDefault') problems.push(`${c.name}: seccomp is not RuntimeDefault`)
    if (sc.allowPrivilegeEscalation !== false) {
      problems.push(`${c.name}: allowPrivilegeEscalation is not false`)
    }
    if (sc.privileged) problems.push(`${c.name}: privileged`)
    if (sc.readOnlyRootFilesystem !== true) {
      problems.push(`${c.name}: readOnlyRootFilesystem is not true`)
    }
    if (sc.runAsUser === 0) problems.push(`${c.name}: runAsUser is 0`)
    if (sc.runAsNonRoot === false) problems.push(`${c.name}: runAsNonRoot is false`)
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) {
      problems.push(`${c.name}: capabilities.drop does not include ALL`)
    }
    if ((sc.capabilities?.add ?? []).length > 0) problems.push(`${c.name}: adds capabilities`)
    const requests = c.resources?.requests ?? {}
    if (requests.cpu === undefined || requests.memory === undefined) {
      problems.push(`${c.name}: no cpu and memory requests`)
    }
    if (c.resources?.limits?.memory === undefined) problems.push(`${c.name}: no memory limit`)
    const image = c.image ?? ''
    const tag = /:([^:/@]+)$/.exec(image)?.[1]
    if (tag === undefined || tag === 'latest') {
      problems.push(`${c.name}: image "${image}" has no pinned tag`)
    }
    for (const p of c.ports ?? []) {
      if (p.hostPort !== undefined && !hostPortAllowed) {
        problems.push(`${c.name}: host port ${p.hostPort}`)
      }
    }
    if (w.longRunning && !(pod.initContainers ?? []).includes(c)) {
      problems.push(...probePortProblem(c, c.readinessProbe, 'readiness'))
      problems.push(...probePortProblem(c, c.livenessProbe, 'liveness'))
    }
  }
  return problems
}

function namespaceLabels(objects: readonly KubeObject[], name: string): Record<string, unknown> {
  const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === name)
  const labels = ns?.metadata.labels
  return typeof labels === 'object' && labels !== null ? (labels as Record<string, unknown>) : {}
}

if (requireKubectl(t)) {
  for (const k of kustomizations()) {
    const hostPort = k.components.includes(HOST_PORT_COMPONENT)
    t.test(`${k.name}: every pod is restricted, read-only, sized and probed`, async (t) => {
      const objects = render(k.dir)
      for (const w of workloads(objects)) {
        t.same(podProblems(w, hostPort), [], w.id)
      }
      for (const ns of objects.filter((o) => o.kind === 'Namespace')) {
        const labels = namespaceLabels(objects, ns.metadata.name)
        t.equal(
          labels['pod-security.kubernetes.io/enforce'],
          hostPort ? 'privileged' : 'restricted',
          `namespace ${ns.metadata.name} enforces ${hostPort ? 'privileged (host port)' : 'restricted'}`,
        )
        if (hostPort) {
          t.equal(
            labels['pod-security.kubernetes.io/warn'],
            'restricted',
            'and warns at restricted',
          )
        }
      }
    })
  }

  t.test('host-port adds exactly one host port: the outgoing router on every node', async (t) => {
    const composed = kustomizations().find((k) => k.components.includes(HOST_PORT_COMPONENT))
    if (composed === undefined) throw new Error(`no ${HOST_PORT_COMPONENT}`)
    const ports = workloads(render(composed.dir)).flatMap((w) =>
      containersOf(w).flatMap((c) =>
        (c.ports ?? [])
          .filter((p) => p.hostPort !== undefined)
          .map((p) => `${w.id} ${p.name} ${p.containerPort}->${p.hostPort}`),
      ),
    )
    t.same(ports, ['DaemonSet/switchyard/switchyard-proxy outgoing 4140->4140'])
  })

  t.test('pods that do not call the Kubernetes API get no credentials for it', async (t) => {
    // namerd (CRD store, io.l5d.k8s namer) and the proxy (daemonset transformer) call it,
    // each with its own ServiceAccount; nothing runs with the namespace's default one.
    for (const k of kustomizations()) {
      for (const w of workloads(render(k.dir))) {
        const sa = w.pod.serviceAccountName
        if (sa === undefined || sa === 'default') {
          t.equal(w.pod.automountServiceAccountToken, false, `${k.name}: ${w.id} mounts no token`)
        } else {
          t.ok(['namerd', 'switchyard-proxy'].includes(sa), `${k.name}: ${w.id} runs as ${sa}`)
        }
      }
    }
  })

  t.test('the checks catch an unsafe pod', async (t) => {
    const unsafe: Workload = {
      id: 'Deployment/x/unsafe',
      kind: 'Deployment',
      name: 'unsafe',
      namespace: 'x',
      podLabels: {},
      longRunning: true,
      pod: {
        hostNetwork: true,
        volumes: [{ name: 'root', hostPath: { path: '/' } }],
        containers: [
          {
            name: 'c',
            image: 'nginx',
            ports: [{ containerPort: 80, hostPort: 80 }],
            livenessProbe: { httpGet: { path: '/', port: 'http' } },
            securityContext: { capabilities: { add: ['NET_ADMIN'] } },
          },
        ],
      },
    }
    t.same(podProblems(unsafe, false), [
      'uses a host namespace',
      'pod securityContext.runAsNonRoot is not true',
      'volume root: type hostPath is not allowed by the restricted standard',
      'c: seccomp is not RuntimeDefault',
      'c: allowPrivilegeEscalation is not false',
      'c: readOnlyRootFilesystem is not true',
      'c: capabilities.drop does not include ALL',
      'c: adds capabilities',
      'c: no cpu and memory requests',
      'c: no memory limit',
      'c: image "nginx" has no pinned tag',
      'c: host port 80',
      'c: no readiness probe',
      "c: the liveness probe's port http is not a container port",
    ])
  })
}
