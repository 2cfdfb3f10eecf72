// What the fake knows about one served resource (one group/version/plural), built in or from a CRD.
import type { SchemaNode } from './schema.js'

export interface ResourceType {
  /** '' for the core group (Service). */
  readonly group: string
  readonly version: string
  readonly plural: string
  readonly kind: string
  readonly listKind: string
  readonly namespaced: boolean
  /** True for custom resources: PUT needs a resourceVersion, keys are served sorted, schema pruning. */
  readonly custom: boolean
  /** The version's openAPIV3Schema (custom resources only); undefined = stored as written. */
  readonly schema?: SchemaNode
  /** Whether metadata.generation is kept (custom resources and EndpointSlices; not Service/Lease). */
  readonly generation: boolean
  /** Object names: DNS subdomains, except Services (DNS-1035 labels). */
  readonly nameRule: 'subdomain' | 'dns1035'
  /**
   * A DELETE answers with the deleted object instead of a success Status (Service's registry
   * sets ReturnDeletedObject; DERIVED, not checked against a server).
   */
  readonly deleteReturnsObject: boolean
}

/** Objects live per group + plural, whatever version they are read through. */
export function resourceId(rt: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${rt.group}/${rt.plural}`
}

export function apiVersionOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`
}

/** `dtabs.l5d.io`, or `services` in the core group: how Status messages name a resource. */
export function qualifiedResource(rt: Pick<ResourceType, 'group' | 'plural'>): string {
  return rt.group === '' ? rt.plural : `${rt.plural}.${rt.group}`
}

/** `DTab.l5d.io`, or `Service`: how validation 422s and delete-precondition 409s name it. */
export function qualifiedKind(rt: Pick<ResourceType, 'group' | 'kind'>): string {
  return rt.group === '' ? rt.kind : `${rt.kind}.${rt.group}`
}

const builtin = (
  group: string,
  plural: string,
  kind: string,
  extra: Partial<ResourceType> = {},
): ResourceType => ({
  group,
  version: 'v1',
  plural,
  kind,
  listKind: `${kind}List`,
  namespaced: true,
  custom: false,
  generation: false,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
  ...extra,
})

/** The built-in kinds the fake serves, stored as written (no schema, no defaulting). */
export const BUILTINS: readonly ResourceType[] = [
  builtin('discovery.k8s.io', 'endpointslices', 'EndpointSlice', { generation: true }),
  builtin('', 'services', 'Service', { nameRule: 'dns1035', deleteReturnsObject: true }),
  builtin('coordination.k8s.io', 'leases', 'Lease'),
]
