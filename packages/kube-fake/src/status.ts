// Status bodies, byte for byte as kube-apiserver writes them (reference §2.3): key order kind,
// apiVersion, metadata, status, message, reason, details, code; details name, group, kind, uid,
// causes, retryAfterSeconds; empty fields left out as Go's omitempty does.
import type { JsonObject } from './json.js'
import { qualifiedKind, qualifiedResource, type ResourceType } from './resource-type.js'

export interface StatusCause {
  readonly reason: string
  readonly message: string
  readonly field?: string
}

export interface StatusDetails {
  readonly name?: string | undefined
  readonly group?: string | undefined
  readonly kind?: string | undefined
  readonly uid?: string | undefined
  readonly causes?: readonly StatusCause[] | undefined
  readonly retryAfterSeconds?: number | undefined
}

export interface StatusInit {
  readonly code: number
  readonly message: string
  /** Absent on the 500 for a create carrying a resourceVersion (reference §2.3). */
  readonly reason?: string | undefined
  readonly details?: StatusDetails | undefined
  readonly metadata?: { readonly continue?: string } | undefined
  readonly status?: 'Failure' | 'Success'
}

export function statusBody(init: StatusInit): JsonObject {
  const body: JsonObject = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: init.metadata?.continue === undefined ? {} : { continue: init.metadata.continue },
    status: init.status ?? 'Failure',
  }
  if (init.message !== '') body.message = init.message
  if (init.reason !== undefined) body.reason = init.reason
  if (init.details !== undefined) body.details = detailsJson(init.details)
  body.code = init.code
  return body
}

function detailsJson(d: StatusDetails): JsonObject {
  const out: JsonObject = {}
  if (d.name) out.name = d.name
  if (d.group) out.group = d.group
  if (d.kind) out.kind = d.kind
  if (d.uid) out.uid = d.uid
  if (d.causes !== undefined && d.causes.length > 0) {
    out.causes = d.causes.map((c) => {
      const cause: JsonObject = { reason: c.reason, message: c.message }
      if (c.field !== undefined) cause.field = c.field
      return cause
    })
  }
  if (d.retryAfterSeconds !== undefined) out.retryAfterSeconds = d.retryAfterSeconds
  return out
}

/** A failure the handlers throw; the router writes it as a Status body with its code. */
export class StatusError extends Error {
  readonly status: StatusInit
  constructor(init: StatusInit) {
    super(init.message)
    this.name = 'StatusError'
    this.status = init
  }
  get code(): number {
    return this.status.code
  }
  get body(): JsonObject {
    return statusBody(this.status)
  }
}

type Rt = Pick<ResourceType, 'group' | 'plural' | 'kind'>

const resourceDetails = (rt: Rt, name?: string): StatusDetails => ({
  name,
  group: rt.group,
  kind: rt.plural,
})

export function notFound(rt: Rt, name: string): StatusError {
  return new StatusError({
    code: 404,
    reason: 'NotFound',
    message: `${qualifiedResource(rt)} "${name}" not found`,
    details: resourceDetails(rt, name),
  })
}

/** NamespaceLifecycle's answer to a create in a Kubernetes namespace that does not exist. */
export function namespaceNotFound(namespace: string): StatusError {
  return new StatusError({
    code: 404,
    reason: 'NotFound',
    message: `namespaces "${namespace}" not found`,
    details: { name: namespace, kind: 'namespaces' },
  })
}

export function alreadyExists(rt: Rt, name: string): StatusError {
  return new StatusError({
    code: 409,
    reason: 'AlreadyExists',
    message: `${qualifiedResource(rt)} "${name}" already exists`,
    details: resourceDetails(rt, name),
  })
}

export function updateConflict(rt: Rt, name: string): StatusError {
  return new StatusError({
    code: 409,
    reason: 'Conflict',
    message: `Operation cannot be fulfilled on ${qualifiedResource(rt)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details: resourceDetails(rt, name),
  })
}

/** The delete precondition 409 names the kind, not the resource (reference §2.3, checked). */
export function preconditionConflict(rt: Rt, name: string, detail: string): StatusError {
  return new StatusError({
    code: 409,
    reason: 'Conflict',
    message: `Operation cannot be fulfilled on ${qualifiedKind(rt)} "${name}": ${detail}`,
    details: { name, group: rt.group, kind: rt.kind },
  })
}

export interface FieldError {
  readonly field: string
  /** FieldValueInvalid, FieldValueRequired, FieldValueForbidden, FieldValueNotSupported. */
  readonly reason: string
  /** The cause message, e.g. `Invalid value: "X": must be …`. */
  readonly message: string
}

/** 422 Invalid: `<what> "<name>" is invalid: <field>: <message>` (several in brackets). */
export function invalid(
  what: string,
  name: string,
  errors: readonly FieldError[],
  details: { group?: string; kind: string; name?: string },
): StatusError {
  const parts = errors.map((e) => `${e.field}: ${e.message}`)
  const joined = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`
  return new StatusError({
    code: 422,
    reason: 'Invalid',
    message: `${what} "${name}" is invalid: ${joined}`,
    details: {
      name: details.name,
      group: details.group,
      kind: details.kind,
      causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
    },
  })
}

export function badRequest(message: string): StatusError {
  return new StatusError({ code: 400, reason: 'BadRequest', message })
}

export function methodNotAllowed(): StatusError {
  return new StatusError({
    code: 405,
    reason: 'MethodNotAllowed',
    message: 'the server does not allow this method on the requested resource',
    details: {},
  })
}

export type ExpiredReason = 'Expired' | 'Gone'

export function expired(message: string, reason: ExpiredReason, next?: string): StatusError {
  return new StatusError({
    code: 410,
    reason,
    message,
    metadata: next === undefined ? undefined : { continue: next },
  })
}

export function tooLargeResourceVersion(requested: number, current: number): StatusError {
  return new StatusError({
    code: 504,
    reason: 'Timeout',
    message: `Timeout: Too large resource version: ${requested}, current: ${current}`,
    details: {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    },
  })
}
