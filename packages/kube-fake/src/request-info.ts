// Turns a request path and method into Kubernetes request attributes the way the apiserver's
// RequestInfoResolver does, before anything knows whether the resource exists (so RBAC can
// answer 403 for a CRD that is not installed). Paths outside the resource tree are `other`.
import type { Verb } from './rbac.js'

export interface ResourceRequest {
  readonly type: 'resource'
  readonly verb: Verb
  readonly group: string
  readonly version: string
  readonly namespace: string | undefined
  readonly resource: string
  readonly name: string | undefined
  readonly subresource: string | undefined
  /** The deprecated `/watch/` path form. */
  readonly oldWatchPath: boolean
}

export type RequestInfo = ResourceRequest | { readonly type: 'other' }

const OTHER = { type: 'other' } as const

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

export function requestInfo(method: string, pathname: string, watchFlag: boolean): RequestInfo {
  const raw = pathname.split('/').slice(1)
  if (raw[raw.length - 1] === '') raw.pop()
  const parts: string[] = []
  for (const segment of raw) {
    const decoded = decodeSegment(segment)
    if (decoded === undefined) return OTHER
    parts.push(decoded)
  }
  let rest: string[]
  let group: string
  let version: string
  if (parts[0] === 'api' && parts.length >= 2) {
    group = ''
    version = parts[1] ?? ''
    rest = parts.slice(2)
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? ''
    version = parts[2] ?? ''
    rest = parts.slice(3)
  } else {
    return OTHER
  }
  let oldWatchPath = false
  if (rest[0] === 'watch') {
    oldWatchPath = true
    rest = rest.slice(1)
  }
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const [resource, name, subresource, ...extra] = rest
  if (resource === undefined || resource === '' || extra.length > 0) return OTHER
  const collection = name === undefined
  let verb: Verb
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = oldWatchPath || (collection && watchFlag) ? 'watch' : collection ? 'list' : 'get'
      break
    case 'POST':
      verb = 'create'
      break
    case 'PUT':
      verb = 'update'
      break
    case 'PATCH':
      verb = 'patch'
      break
    case 'DELETE':
      verb = collection ? 'deletecollection' : 'delete'
      break
    default:
      return OTHER
  }
  return {
    type: 'resource',
    verb,
    group,
    version,
    namespace,
    resource,
    name,
    subresource,
    oldWatchPath,
  }
}
