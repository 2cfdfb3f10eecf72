// The discovery documents kubectl and client libraries read (/version, /api, /apis, /api/v1,
// /apis/<group>/<version>) and the health endpoints, built from what the registry serves now.
import type { JsonObject } from './json.js'
import { apiVersionOf, type ResourceType } from './resource-type.js'

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

export function discovery(
  path: string,
  types: readonly ResourceType[],
): JsonObject | string | undefined {
  const parts = path.split('/').filter((p) => p !== '')
  if (path === '/version') {
    return {
      major: '1',
      minor: '26',
      gitVersion: 'v1.26.5-switchyard-fake',
      platform: 'linux/amd64',
    }
  }
  if (path === '/healthz' || path === '/readyz' || path === '/livez') return 'ok'
  if (path === '/api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }
  }
  if (path === '/apis') {
    const groups = new Map<string, string[]>()
    for (const t of types) {
      if (t.group === '') continue
      const versions = groups.get(t.group) ?? []
      if (!versions.includes(t.version)) versions.push(t.version)
      groups.set(t.group, versions)
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
        preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] ?? '' },
      })),
    }
  }
  const [root, a, b] = parts
  const gv =
    root === 'api' && parts.length === 2
      ? { group: '', version: a ?? '' }
      : root === 'apis' && parts.length === 3
        ? { group: a ?? '', version: b ?? '' }
        : undefined
  if (gv === undefined) return undefined
  const served = types.filter((t) => t.group === gv.group && t.version === gv.version)
  if (served.length === 0) return undefined
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(gv),
    resources: served.map((t) => ({
      name: t.plural,
      singularName: t.kind.toLowerCase(),
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: VERBS,
    })),
  }
}
