// Rollouts keep the mesh serving: a proxy is replaced on its node by a new one that is ready
// first (apps on that node always have one), unless a host port forbids two pods on a node, in
// which case a surge would never be scheduled and the rollout would stall; namerd too starts a
// new replica before an old one goes. What the API server does with these fields is
// Kubernetes' own (DaemonSet maxSurge is GA since 1.25); this checks that each kustomization
// asks for what its pods allow.

import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1'
import t from 'tap'
import { type KubeObject, kustomizations, render, requireKubectl } from './kustomize.js'

/**
 * A count or percentage of `of` pods as the controllers read it (a surge rounds up, an
 * unavailability down), `unset` when the field is absent (Kubernetes' default).
 */
function count(
  v: number | string | undefined,
  unset: number | string,
  of: number,
  roundUp: boolean,
): number {
  const value = v ?? unset
  if (typeof value === 'number') return value
  const pct = Number(value.replace(/%$/, '')) / 100
  return roundUp ? Math.ceil(pct * of) : Math.floor(pct * of)
}

const without = (o: KubeObject) => {
  const { apiVersion: _a, kind: _k, ...data } = o
  return data
}

if (requireKubectl(t)) {
  for (const k of kustomizations()) {
    const objects = render(k.dir)
    t.test(`${k.name}: each rollout keeps its pods serving`, async (t) => {
      let daemonSets = 0
      for (const o of objects.filter((o) => o.kind === 'DaemonSet')) {
        daemonSets++
        const ds = new DaemonSet(without(o))
        ds.validate()
        const hostPorts = (ds.spec?.template.spec?.containers ?? []).some((c) =>
          (c.ports ?? []).some((p) => p.hostPort !== undefined),
        )
        const rolling = ds.spec?.updateStrategy?.rollingUpdate
        t.equal(ds.spec?.updateStrategy?.type ?? 'RollingUpdate', 'RollingUpdate', o.metadata.name)
        // Per node there is one pod: a surge of 1 (or any percentage above 0) adds one.
        // DaemonSet defaults: maxSurge 0, maxUnavailable 1.
        const surge = count(rolling?.maxSurge, 0, 1, true)
        const unavailable = count(rolling?.maxUnavailable, 1, 1, false)
        if (hostPorts) {
          t.equal(surge, 0, `${o.metadata.name}: no surge beside a host port (it would stall)`)
          t.ok(unavailable >= 1, `${o.metadata.name}: so one node's pod at a time goes first`)
        } else {
          t.ok(surge >= 1, `${o.metadata.name}: the new pod starts beside the old one`)
          t.equal(unavailable, 0, `${o.metadata.name}: the old one stops once the new is ready`)
        }
      }
      for (const o of objects.filter((o) => o.kind === 'Deployment')) {
        const d = new Deployment(without(o))
        d.validate()
        const replicas = d.spec?.replicas ?? 1
        if (replicas < 2) continue
        const rolling = d.spec?.strategy?.rollingUpdate
        t.equal(
          // Deployment default: 25%.
          count(rolling?.maxUnavailable, '25%', replicas, false),
          0,
          `${o.metadata.name}: no replica stops before its replacement is ready`,
        )
      }
      // Every kustomization that installs Switchyard (the base's namespace) has the proxy.
      const mesh = objects.some((o) => o.kind === 'Namespace' && o.metadata.name === 'switchyard')
      t.equal(daemonSets, mesh ? 1 : 0, 'the proxy DaemonSet, where there is one, was checked')
    })
  }
}
