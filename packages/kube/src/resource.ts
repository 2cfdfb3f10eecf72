// What a call is about: the resource (group, version, plural), and for messages the verb,
// namespace and name. Errors are phrased from this, so "403" becomes "cannot update
// dtabs.l5d.io "internal" in namespace default".

export interface Resource {
  /** API group; '' is the core group (`/api/v1`). */
  readonly group: string
  readonly version: string
  /** The plural resource name used in paths, e.g. `dtabs`. */
  readonly plural: string
  readonly kind: string
  /** Set for custom resources: what installs the CRD, said when it is missing. */
  readonly crd?: { readonly install: string }
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete'

export interface KubeRequest {
  readonly verb: Verb
  readonly resource: Resource
  /** Absent for a cluster-wide list or watch. */
  readonly namespace?: string
  readonly name?: string
}

/** `dtabs.l5d.io`, or `services` for the core group: the name RBAC rules and kubectl use. */
export function resourceName(resource: Resource): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`
}

/** `l5d.io/v1alpha1`, or `v1` for the core group. */
export function apiVersion(resource: Resource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`
}

/** The collection path (or an object's path with `name`), relative to the server URL. */
export function resourcePath(resource: Resource, namespace?: string, name?: string): string {
  const base =
    resource.group === ''
      ? `/api/${resource.version}`
      : `/apis/${resource.group}/${resource.version}`
  const ns = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`
  const one = name === undefined ? '' : `/${encodeURIComponent(name)}`
  return `${base}${ns}/${resource.plural}${one}`
}

/** `dtabs.l5d.io "internal" in namespace default`, for messages. */
export function describeRequest(request: KubeRequest): string {
  const name = request.name === undefined ? '' : ` ${JSON.stringify(request.name)}`
  const where =
    request.namespace === undefined ? ' in all namespaces' : ` in namespace ${request.namespace}`
  return `${resourceName(request.resource)}${name}${where}`
}
