// The pods deploy/ runs: each workload's pod template, read through kubernetes-models' types
// once the object has passed its schema (so a wrong type fails there, not here).
import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1'
import { Job } from 'kubernetes-models/batch/v1'
import type { IContainer, IPodSpec } from 'kubernetes-models/v1'
import { idOf, type KubeObject } from './kustomize.js'

export interface Workload {
  readonly id: string
  readonly kind: string
  readonly name: string
  readonly namespace: string
  readonly podLabels: Readonly<Record<string, string>>
  readonly pod: IPodSpec
  /** Runs until stopped (not a Job): needs probes. */
  readonly longRunning: boolean
}

interface Template {
  readonly spec?: {
    readonly template?: { metadata?: { labels?: Record<string, string> }; spec?: IPodSpec }
  }
}

function fromTemplate(o: KubeObject, typed: Template, longRunning: boolean): Workload {
  const template = typed.spec?.template
  if (template?.spec === undefined) throw new Error(`${idOf(o)} has no pod template`)
  return {
    id: idOf(o),
    kind: o.kind,
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? '',
    podLabels: template.metadata?.labels ?? {},
    pod: template.spec,
    longRunning,
  }
}

/** Every workload among `objects`, validated; throws on one that does not validate. */
export function workloads(objects: readonly KubeObject[]): Workload[] {
  const out: Workload[] = []
  for (const o of objects) {
    const { apiVersion: _a, kind: _k, ...data } = o
    const typed =
      o.kind === 'Deployment'
        ? new Deployment(data)
        : o.kind === 'DaemonSet'
          ? new DaemonSet(data)
          : o.kind === 'StatefulSet'
            ? new StatefulSet(data)
            : o.kind === 'Job'
              ? new Job(data)
              : undefined
    if (typed === undefined) continue
    typed.validate()
    out.push(fromTemplate(o, typed, o.kind !== 'Job'))
  }
  return out
}

/** Every container of a pod, init containers included. */
export function containersOf(w: Workload): IContainer[] {
  return [...(w.pod.initContainers ?? []), ...w.pod.containers]
}
