// RBAC is least privilege: no wildcard anywhere; the only writes are namerd's, on its own
// resources (DTabs, their history, rollouts, Leases) in its own namespace; everything else is a read of endpoints and Services; every
// binding names a role and an account that exist; no Secret is readable.
import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import t from 'tap'
import { dtabNamespace } from './container-run.js'
import { idOf, kustomizations, render, requireKubectl } from './kustomize.js'
import { grants } from './rbac.js'
import { workloads } from './workloads.js'

const READ = ['get', 'list', 'watch']

/**
 * namerd's CRD store: DTabs read, watched, created, replaced (compare-and-swap) and deleted;
 * their history read, created and replaced, never listed, watched or deleted. No patch. The
 * calls behind each verb are pinned by namerd-on-fake.test.ts, which runs namerd on them.
 */
const STORE_RULES = [
  {
    apiGroups: ['l5d.io'],
    resources: ['dtabs'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
  },
  {
    apiGroups: ['switchyard.io'],
    resources: ['dtabhistories'],
    verbs: ['get', 'create', 'update'],
  },
  // Rollouts and the leases of their leader, replicas and active prefixes (rollouts-k8s.ts,
  // k8s-leases.ts); leases are never watched.
  {
    apiGroups: ['switchyard.io'],
    resources: ['rollouts'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
  },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'list', 'create', 'update', 'delete'],
  },
]

/**
 * The io.l5d.k8s namer and the daemonset transformer: endpoints and Services, listed and
 * watched by selector, never read one by one (namerd-on-fake and proxy-on-fake pin it).
 */
const ENDPOINT_RULES = [
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['services'], verbs: ['list', 'watch'] },
]

function ruleProblems(where: string, rule: IPolicyRule): string[] {
  const problems: string[] = []
  const all = [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]
  if (all.some((v) => v.includes('*')))
    problems.push(`${where}: a wildcard in ${JSON.stringify(rule)}`)
  if ((rule.nonResourceURLs ?? []).length > 0) problems.push(`${where}: nonResourceURLs`)
  if ((rule.resourceNames ?? []).length > 0) problems.push(`${where}: resourceNames (unexpected)`)
  if ((rule.resources ?? []).some((r) => r === 'secrets' || r.includes('/'))) {
    problems.push(`${where}: secrets or a subresource in ${JSON.stringify(rule)}`)
  }
  return problems
}

function normal(rules: readonly IPolicyRule[]) {
  return rules
    .map((r) => ({
      apiGroups: [...(r.apiGroups ?? [])].sort(),
      resources: [...(r.resources ?? [])].sort(),
      verbs: [...r.verbs].sort(),
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
}

if (requireKubectl(t)) {
  for (const k of kustomizations()) {
    t.test(`${k.name}: RBAC is least privilege`, async (t) => {
      const objects = render(k.dir)
      const { grants: all, problems } = grants(objects)
      t.same(problems, [], 'every binding names a role and a service account that exist')
      for (const o of objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')) {
        const rules = (o.rules ?? []) as IPolicyRule[]
        t.same(
          rules.flatMap((r, i) => ruleProblems(`${idOf(o)} rule ${i}`, r)),
          [],
          `${idOf(o)}: no wildcard, no secrets`,
        )
      }
      const namerd = workloads(objects).find((w) => w.pod.serviceAccountName === 'namerd')
      const namerdDtabs = namerd === undefined ? undefined : dtabNamespace(namerd)
      for (const g of all) {
        const writes = g.rules.filter((r) => r.verbs.some((v) => !READ.includes(v)))
        if (writes.length === 0) {
          t.same(
            normal(g.rules),
            normal(ENDPOINT_RULES),
            `${g.subject} (${g.role}, in ${g.scope}) only reads endpoints and Services`,
          )
        } else {
          t.equal(g.subject, 'ServiceAccount switchyard/namerd', `only namerd writes (${g.role})`)
          t.equal(g.scope, namerdDtabs, 'and only where its store keeps the DTabs')
          t.same(
            normal(g.rules),
            normal(STORE_RULES),
            'and only its DTabs, their history, its rollouts and leases',
          )
        }
      }
      const workloadAccounts = objects.flatMap((o) => {
        const spec = o.spec as { template?: { spec?: { serviceAccountName?: string } } } | undefined
        const sa = spec?.template?.spec?.serviceAccountName
        return sa === undefined ? [] : [`${o.metadata.namespace}/${sa}`]
      })
      for (const account of workloadAccounts) {
        t.ok(
          objects.some(
            (o) =>
              o.kind === 'ServiceAccount' &&
              `${o.metadata.namespace}/${o.metadata.name}` === account,
          ),
          `ServiceAccount ${account} exists`,
        )
      }
    })
  }

  t.test(
    'deploy/base grants namerd its store and the namer, the proxy only its Service',
    async (t) => {
      const base = kustomizations().find((k) => k.name === 'deploy/base')
      if (base === undefined) throw new Error('no deploy/base')
      const summary = grants(render(base.dir))
        .grants.map((g) => `${g.subject} ${g.scope} ${g.role}`)
        .sort()
      t.same(summary, [
        'ServiceAccount switchyard/namerd * ClusterRole/-/switchyard-endpoints-reader',
        'ServiceAccount switchyard/namerd switchyard Role/switchyard/namerd-dtabs',
        'ServiceAccount switchyard/switchyard-proxy switchyard ClusterRole/-/switchyard-endpoints-reader',
      ])
    },
  )

  t.test('deploy/overlays/etcd takes the DTab rules away from namerd', async (t) => {
    const etcd = kustomizations().find((k) => k.name === 'deploy/overlays/etcd')
    if (etcd === undefined) throw new Error('no deploy/overlays/etcd')
    const roles = grants(render(etcd.dir)).grants.map((g) => g.role)
    t.notOk(roles.includes('Role/switchyard/namerd-dtabs'))
  })

  t.test('the rule check catches a wildcard and a secret', async (t) => {
    t.same(ruleProblems('r', { apiGroups: [''], resources: ['pods'], verbs: ['*'] }), [
      'r: a wildcard in {"apiGroups":[""],"resources":["pods"],"verbs":["*"]}',
    ])
    t.same(ruleProblems('r', { apiGroups: [''], resources: ['secrets'], verbs: ['get'] }), [
      'r: secrets or a subresource in {"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}',
    ])
  })
}
