// Per-verb denials a test switches on (api.forbid) and their 403 Status (reference §2.3).
// Authorization runs before the resource is looked up, so a missing CRD can still answer 403.
import { StatusError } from './status.js'

export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'

export interface ForbidRule {
  /** A Kubernetes verb, or '*' for all of them. */
  readonly verb: Verb | '*'
  /** The plural resource name (`dtabs`, `endpointslices`), or '*'. */
  readonly resource: string
  /** The API group (`l5d.io`, '' for core); omitted = any group. */
  readonly group?: string
  /** Omitted = every namespace (and cluster-scoped requests). */
  readonly namespace?: string
}

export interface Attributes {
  readonly verb: Verb
  readonly group: string
  readonly resource: string
  readonly namespace?: string | undefined
  readonly name?: string | undefined
}

export class Rbac {
  private rules: ForbidRule[] = []

  forbid(rule: ForbidRule): void {
    this.rules.push({ ...rule })
  }

  allowAll(): void {
    this.rules = []
  }

  /** Throws the apiserver's 403 Status when a rule denies the request. */
  check(a: Attributes, user: string): void {
    const denied = this.rules.some(
      (r) =>
        (r.verb === '*' || r.verb === a.verb) &&
        (r.resource === '*' || r.resource === a.resource) &&
        (r.group === undefined || r.group === a.group) &&
        (r.namespace === undefined || r.namespace === a.namespace),
    )
    if (denied) throw forbidden(a, user)
  }
}

export function forbidden(a: Attributes, user: string): StatusError {
  const qualified = a.group === '' ? a.resource : `${a.resource}.${a.group}`
  const named = a.name === undefined || a.name === '' ? '' : `"${a.name}" `
  const scope =
    a.namespace === undefined ? 'at the cluster scope' : `in the namespace "${a.namespace}"`
  return new StatusError({
    code: 403,
    reason: 'Forbidden',
    message: `${qualified} ${named}is forbidden: User "${user}" cannot ${a.verb} resource "${a.resource}" in API group "${a.group}" ${scope}`,
    details: { name: a.name, group: a.group, kind: a.resource },
  })
}
