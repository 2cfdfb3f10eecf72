// What the RBAC objects among rendered manifests grant, per ServiceAccount: each binding with
// its role's rules and where they hold. Read by the least-privilege checks, and turned into the
// fake API server's denials so that namerd runs against the fake with exactly these rights.

import type { ForbidRule } from '@switchyard/kube-fake'
import type { IPolicyRule, IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import { ClusterRole, Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import { idOf, type KubeObject } from './kustomize.js'
import { validateBuiltIn } from './models.js'

export interface Grant {
  /** `ServiceAccount namespace/name` */
  readonly subject: string
  /** The namespace the grant holds in, or `*` for a ClusterRoleBinding. */
  readonly scope: string
  readonly role: string
  readonly rules: readonly IPolicyRule[]
}

function strip(o: KubeObject) {
  const { apiVersion: _a, kind: _k, ...data } = o
  return data
}

/** Every (service account, scope, rules) the bindings among `objects` grant. */
export function grants(objects: readonly KubeObject[]): { grants: Grant[]; problems: string[] } {
  const problems: string[] = []
  const roles = new Map<string, readonly IPolicyRule[]>()
  for (const o of objects) {
    if (o.kind === 'Role') {
      const r = new Role(strip(o))
      r.validate()
      roles.set(`Role/${o.metadata.namespace}/${o.metadata.name}`, r.rules ?? [])
    } else if (o.kind === 'ClusterRole') {
      const r = new ClusterRole(strip(o))
      r.validate()
      roles.set(`ClusterRole/-/${o.metadata.name}`, r.rules ?? [])
    }
  }
  const accounts = new Set(
    objects
      .filter((o) => o.kind === 'ServiceAccount')
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
  )
  const out: Grant[] = []
  for (const o of objects) {
    if (o.kind !== 'RoleBinding' && o.kind !== 'ClusterRoleBinding') continue
    const invalid = validateBuiltIn(o)
    if (invalid.length > 0) throw new Error(`${idOf(o)}: ${invalid.join('; ')}`)
    // Valid against its kind's schema, so it has that kind's shape.
    const b = o as unknown as IRoleBinding
    const ref = b.roleRef
    const key =
      ref.kind === 'Role' ? `Role/${o.metadata.namespace}/${ref.name}` : `ClusterRole/-/${ref.name}`
    const rules = roles.get(key)
    if (rules === undefined) problems.push(`${idOf(o)} binds ${key}, which is not here`)
    for (const s of b.subjects ?? []) {
      const account = `${s.namespace ?? o.metadata.namespace}/${s.name}`
      if (s.kind !== 'ServiceAccount') problems.push(`${idOf(o)} binds a ${s.kind}, ${s.name}`)
      else if (!accounts.has(account)) {
        problems.push(`${idOf(o)} binds ServiceAccount ${account}, which is not here`)
      }
      out.push({
        subject: `ServiceAccount ${account}`,
        scope: o.kind === 'RoleBinding' ? (o.metadata.namespace ?? '') : '*',
        role: key,
        rules: rules ?? [],
      })
    }
  }
  return { grants: out, problems }
}

/** The verbs the API server knows for a resource. */
export const VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
] as const
export type Verb = (typeof VERBS)[number]

/** Whether `subject` may `verb` the resource `group`/`resource` in `namespace`. */
export function allowed(
  all: readonly Grant[],
  subject: string,
  group: string,
  resource: string,
  verb: Verb,
  namespace: string,
): boolean {
  return all.some(
    (g) =>
      g.subject === subject &&
      (g.scope === '*' || g.scope === namespace) &&
      g.rules.some(
        (r) =>
          (r.apiGroups ?? []).includes(group) &&
          (r.resources ?? []).includes(resource) &&
          r.verbs.includes(verb),
      ),
  )
}

/** One API request as RBAC sees it. */
export interface Ask {
  readonly verb: Verb
  readonly group: string
  readonly resource: string
  /** Undefined for a request across all namespaces. */
  readonly namespace: string | undefined
}

const PATH = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/

/**
 * The verb and resource of a request the fake API server logged, as the apiserver's RBAC
 * authorizer derives them (GET of one object is get, of a collection list, or watch with
 * `watch=true`); undefined for a path that is no resource (discovery, a subresource).
 */
export function askOf(r: {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
}): Ask | undefined {
  const m = PATH.exec(r.path)
  if (m === null) return undefined
  const [, group = '', namespace, resource = '', name] = m
  const watch = r.query.watch === 'true' || r.query.watch === '1'
  const verb: Verb | undefined =
    r.method === 'GET'
      ? watch
        ? 'watch'
        : name === undefined
          ? 'list'
          : 'get'
      : r.method === 'POST'
        ? 'create'
        : r.method === 'PUT'
          ? 'update'
          : r.method === 'PATCH'
            ? 'patch'
            : r.method === 'DELETE'
              ? name === undefined
                ? 'deletecollection'
                : 'delete'
              : undefined
  return verb === undefined ? undefined : { verb, group, resource, namespace }
}

/** `<group>/<resource>: <verbs>` lines, sorted: what a set of asks or grants amounts to. */
export function verbSets(pairs: readonly { group: string; resource: string; verb: string }[]) {
  const by = new Map<string, Set<string>>()
  for (const p of pairs) {
    const key = `${p.group || 'core'}/${p.resource}`
    by.set(key, (by.get(key) ?? new Set()).add(p.verb))
  }
  return [...by]
    .map(([key, verbs]) => `${key}: ${VERBS.filter((v) => verbs.has(v)).join(', ')}`)
    .sort()
}

/** Every (group, resource, verb) `subject`'s grants name, wherever they hold. */
export function grantedTo(all: readonly Grant[], subject: string) {
  return all
    .filter((g) => g.subject === subject)
    .flatMap((g) =>
      g.rules.flatMap((r) =>
        (r.apiGroups ?? []).flatMap((group) =>
          (r.resources ?? []).flatMap((resource) =>
            r.verbs.map((verb) => ({ group, resource, verb })),
          ),
        ),
      ),
    )
}

/** The resources Switchyard's programs use, and those beside them they must not touch. */
export const MESH_RESOURCES = [
  { group: 'l5d.io', resource: 'dtabs' },
  { group: 'switchyard.io', resource: 'dtabhistories' },
  { group: 'switchyard.io', resource: 'rollouts' },
  { group: 'discovery.k8s.io', resource: 'endpointslices' },
  { group: '', resource: 'services' },
  { group: 'coordination.k8s.io', resource: 'leases' },
] as const

/**
 * Gives the fake API server exactly `subject`'s rights on `resources`: every verb it is not
 * granted in one of `namespaces` is refused (403). Returns what is refused, as
 * `<verb> <resource> in <namespace>`.
 */
export function forbidUngranted(
  api: { forbid(rule: ForbidRule): void },
  all: readonly Grant[],
  subject: string,
  namespaces: readonly string[],
  resources: readonly { readonly group: string; readonly resource: string }[] = MESH_RESOURCES,
): string[] {
  const denied: string[] = []
  for (const { group, resource } of resources) {
    for (const verb of VERBS) {
      for (const namespace of namespaces) {
        if (allowed(all, subject, group, resource, verb, namespace)) continue
        api.forbid({ verb, resource, group, namespace })
        denied.push(`${verb} ${resource} in ${namespace}`)
      }
    }
  }
  return denied
}

/** The requests of the fake's log that RBAC sees (a resource and a verb), in order. */
export function asksIn(requests: readonly Parameters<typeof askOf>[0][]): Ask[] {
  return requests.flatMap((r) => {
    const a = askOf(r)
    return a === undefined ? [] : [a]
  })
}

/** The asks `subject` was not granted where it made them; least privilege wants none. */
export function ungrantedAsks(
  asked: readonly Ask[],
  all: readonly Grant[],
  subject: string,
): Ask[] {
  return asked.filter(
    (a) => !allowed(all, subject, a.group, a.resource, a.verb, a.namespace ?? '(all namespaces)'),
  )
}
