// What a rendered container's process would be started with on a node: its ConfigMap and
// Secret volumes (projected ones too) written to a directory (at their mount paths below it,
// Secrets with stand-in values), its env as the kubelet resolves it
// (downward API and Secrets, with stand-in values), and its args with `$(VAR)` expanded as
// Kubernetes expands them and the mount paths moved below that directory. So a test can run
// the real program on exactly the arguments and files the manifests give it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { IContainer, IEnvVar, IKeyToPath, IVolume } from 'kubernetes-models/v1'
import type { KubeObject } from './kustomize.js'
import { meshCerts } from './mesh-certs.js'
import type { Workload } from './workloads.js'

/** Stand-ins for what only a cluster knows. */
export const STAND_INS = {
  nodeName: 'node-1',
  podIp: '10.0.0.7',
  hostIp: '192.0.2.10',
} as const

/** The write token in the stand-in for the Secret namerd-tokens. */
export const SAMPLE_TOKEN = '0123456789abcdef0123456789abcdef'

/** Secrets the manifests expect the user to create (docs/kubernetes.md), with sample values. */
const SECRETS: Readonly<Record<string, string>> = {
  'namerd-tokens/tokens': `admin:write:${SAMPLE_TOKEN}`,
}

/** Secrets mounted as files that the manifests expect the user to create, with stand-ins. */
const SECRET_FILES: Readonly<Record<string, () => Readonly<Record<string, string>>>> = {
  // deploy/components/mesh-tls (docs/kubernetes.md, "TLS between the proxies").
  'switchyard-mesh-tls': () => meshCerts(),
}

function secretData(w: Workload, name: string): Readonly<Record<string, string>> {
  const data = SECRET_FILES[name]
  if (data === undefined)
    throw new Error(`${w.id}: a Secret volume this helper does not know: ${name}`)
  return data()
}

/** A volume source's files as the kubelet writes them: every key, or only `items` at their paths. */
function selected(
  data: Readonly<Record<string, string>>,
  items: readonly IKeyToPath[] | undefined,
  where: string,
): [string, string][] {
  if (items === undefined) return Object.entries(data)
  return items.map((item) => {
    const text = data[item.key]
    if (text === undefined) throw new Error(`${where}: no key ${item.key}`)
    return [item.path, text]
  })
}

/** The files a volume holds, by path below its mount; undefined for a kind not written here. */
function volumeFiles(
  objects: readonly KubeObject[],
  w: Workload,
  volume: IVolume,
): [string, string][] | undefined {
  if (volume.configMap !== undefined) {
    const name = volume.configMap.name ?? ''
    return selected(configMapData(objects, w.namespace, name), volume.configMap.items, name)
  }
  if (volume.secret !== undefined) {
    const name = volume.secret.secretName ?? ''
    return selected(secretData(w, name), volume.secret.items, name)
  }
  if (volume.projected !== undefined) {
    return (volume.projected.sources ?? []).flatMap((source) => {
      if (source.configMap !== undefined) {
        const name = source.configMap.name ?? ''
        return selected(configMapData(objects, w.namespace, name), source.configMap.items, name)
      }
      if (source.secret !== undefined) {
        const name = source.secret.name ?? ''
        return selected(secretData(w, name), source.secret.items, name)
      }
      throw new Error(
        `${w.id}: volume ${volume.name}: a projected source this helper does not know`,
      )
    })
  }
  return undefined
}

export interface ContainerRun {
  readonly args: string[]
  readonly env: Record<string, string>
  /** Where the container's ConfigMap volumes were written; removed by `cleanup`. */
  readonly root: string
  cleanup(): void
}

function resolveEnv(w: Workload, e: IEnvVar): string {
  if (e.value !== undefined) return e.value
  const field = e.valueFrom?.fieldRef?.fieldPath
  if (field !== undefined) {
    const fields: Record<string, string> = {
      'metadata.namespace': w.namespace,
      'metadata.name': `${w.name}-0`,
      'spec.nodeName': STAND_INS.nodeName,
      'status.podIP': STAND_INS.podIp,
      'status.hostIP': STAND_INS.hostIp,
    }
    const v = fields[field]
    if (v === undefined) throw new Error(`${w.id}: env ${e.name}: no stand-in for ${field}`)
    return v
  }
  const secret = e.valueFrom?.secretKeyRef
  if (secret !== undefined) {
    const v = SECRETS[`${secret.name}/${secret.key}`]
    if (v === undefined) throw new Error(`${w.id}: env ${e.name}: unknown Secret ${secret.name}`)
    return v
  }
  throw new Error(`${w.id}: env ${e.name}: a valueFrom this helper does not know`)
}

/** `$(VAR)` → its value, `$$` → `$`, as the kubelet expands command and args. */
export function expand(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) =>
    name === undefined ? '$' : (env[name] ?? m),
  )
}

function configMapData(objects: readonly KubeObject[], namespace: string, name: string) {
  const cm = objects.find(
    (o) => o.kind === 'ConfigMap' && o.metadata.name === name && o.metadata.namespace === namespace,
  )
  if (cm === undefined) throw new Error(`no ConfigMap ${namespace}/${name}`)
  return (cm.data ?? {}) as Record<string, string>
}

/** How `container` of workload `w` would start, with its ConfigMaps from `objects`. */
export function containerRun(
  objects: readonly KubeObject[],
  w: Workload,
  container: IContainer,
): ContainerRun {
  const root = mkdtempSync(join(tmpdir(), `deploy-${w.name}-`))
  const env: Record<string, string> = {}
  for (const e of container.env ?? []) env[e.name] = expand(resolveEnv(w, e), env)
  const mounts: [string, string][] = []
  for (const m of container.volumeMounts ?? []) {
    const volume = (w.pod.volumes ?? []).find((v) => v.name === m.name)
    const files = volume === undefined ? undefined : volumeFiles(objects, w, volume)
    if (files === undefined) continue
    const dir = join(root, m.mountPath)
    mkdirSync(dir, { recursive: true })
    for (const [file, text] of files) {
      mkdirSync(dirname(join(dir, file)), { recursive: true })
      writeFileSync(join(dir, file), text)
    }
    mounts.push([m.mountPath, dir])
  }
  const moved = (value: string): string => {
    const mount = mounts.find(([path]) => value === path || value.startsWith(`${path}/`))
    return mount === undefined ? value : mount[1] + value.slice(mount[0].length)
  }
  const args = (container.args ?? []).map((a) => {
    const value = expand(a, env)
    // --flag=/path as well as --flag /path.
    const flag = /^(--?[^=]+=)(.*)$/s.exec(value)
    return flag === null ? moved(value) : flag[1]! + moved(flag[2]!)
  })
  return { args, env, root, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

/** The container's args as the kubelet expands them (no files written). */
export function expandedArgs(w: Workload, container: IContainer): string[] {
  const env: Record<string, string> = {}
  for (const e of container.env ?? []) env[e.name] = expand(resolveEnv(w, e), env)
  return (container.args ?? []).map((a) => expand(a, env))
}

/**
 * Where namerd's k8s store keeps its DTabs: its `--k8s-namespace`, or, without one, its own
 * namespace (the in-cluster default).
 */
export function dtabNamespace(namerd: Workload): string {
  const args = expandedArgs(namerd, namerd.pod.containers[0]!)
  const i = args.indexOf('--k8s-namespace')
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : namerd.namespace
}
