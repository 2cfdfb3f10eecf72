// What went wrong talking to the API server, as one typed error whose message says what to do.
// client-node throws ApiException with the raw response text as `body` (a Status JSON, or Go's
// plain `404 page not found` when a CRD is not installed), watch failures as an Error with
// `statusCode`, and network failures as undici's `TypeError: fetch failed` with a `cause`.
import { z } from 'zod'
import { describeRequest, type KubeRequest, resourceName } from './resource.js'

export type KubeErrorCode =
  /** The configuration cannot be loaded (no kubeconfig, bad file, unknown context, bad URL). */
  | 'config'
  /** 401: the credentials were refused. */
  | 'unauthorized'
  /** 403: RBAC does not allow the verb. */
  | 'forbidden'
  /** 404 with a Status: the object does not exist. */
  | 'not_found'
  /**
   * A write into a Kubernetes namespace that does not exist (404 `namespaces "x" not found`) or
   * is being deleted (403 with cause NamespaceTerminating): kube-apiserver's NamespaceLifecycle.
   */
  | 'namespace_missing'
  /** A plain 404 for a custom resource: its CRD is not installed (or the version not served). */
  | 'crd_missing'
  /** A plain 404 for a built-in resource: this API server does not serve that API version. */
  | 'not_served'
  /** 409 Conflict: the object changed since the resourceVersion sent (or a precondition failed). */
  | 'conflict'
  /** 409 AlreadyExists on create. */
  | 'already_exists'
  /** 400 / 422: the request or object was refused as invalid. */
  | 'invalid'
  /** 410: the resourceVersion is too old (Expired, or Gone before 1.18). */
  | 'expired'
  /** Unreachable, timed out, 429 or 5xx: try again later. */
  | 'unavailable'
  /** Anything else, including an answer that cannot be read. */
  | 'unexpected'

/** The Status object the API server sends with every failure (kubernetes-api.md §2.3). */
export const Status = z.looseObject({
  kind: z.literal('Status'),
  status: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().int().optional(),
  details: z
    .looseObject({
      name: z.string().optional(),
      group: z.string().optional(),
      kind: z.string().optional(),
      causes: z.array(z.looseObject({ reason: z.string().optional() })).optional(),
    })
    .optional(),
})
export type Status = z.infer<typeof Status>

export interface KubeErrorInfo {
  /** The API server URL, when known. */
  readonly server: string | null
  readonly request?: KubeRequest
  /** The HTTP status, when there was an answer. */
  readonly status?: number
  /** The Status `reason` (Conflict, AlreadyExists, NotFound, Expired, ...). */
  readonly reason?: string
  /** The Status `message` the API server gave. */
  readonly apiMessage?: string
}

export class KubeError extends Error {
  override readonly name = 'KubeError'
  readonly server: string | null
  readonly request: KubeRequest | null
  readonly status: number | null
  readonly reason: string | null
  readonly apiMessage: string | null

  constructor(
    readonly code: KubeErrorCode,
    message: string,
    info: KubeErrorInfo,
    override readonly cause?: unknown,
  ) {
    super(message)
    this.server = info.server
    this.request = info.request ?? null
    this.status = info.status ?? null
    this.reason = info.reason ?? null
    this.apiMessage = info.apiMessage ?? null
  }
}

export function isKubeError(err: unknown): err is KubeError {
  return err instanceof KubeError
}

/** What every message names: the API server. */
function at(server: string | null): string {
  return server ? `the Kubernetes API at ${server}` : 'the Kubernetes API'
}

const MAX_BODY_IN_MESSAGE = 300

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  return oneLine.length > MAX_BODY_IN_MESSAGE
    ? `${oneLine.slice(0, MAX_BODY_IN_MESSAGE)}...`
    : oneLine
}

/** Reads a response body as a Status, or null if it is not one (plain text, garbage). */
export function parseStatus(body: unknown): Status | null {
  let value = body
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body)
    } catch {
      return null
    }
  }
  const parsed = Status.safeParse(value)
  return parsed.success ? parsed.data : null
}

/**
 * The error for an HTTP answer: `status`, with the body as text (or already parsed) when there
 * is one. Used for API calls (ApiException) and for watches (status only).
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  server: string | null,
  request?: KubeRequest,
): KubeError {
  const s = parseStatus(body)
  const reason = s?.reason
  const apiMessage = s?.message
  const info: KubeErrorInfo = { server, request, status, reason, apiMessage }
  const what = request ? describeRequest(request) : 'the request'
  const verb = request?.verb ?? 'access'
  const said = apiMessage ? `: ${snippet(apiMessage)}` : ''
  switch (true) {
    case status === 401:
      return new KubeError(
        'unauthorized',
        `${at(server)} refused our credentials (401 Unauthorized) to ${verb} ${what}: ` +
          "check the kubeconfig's user, or the pod's service-account token",
        info,
      )
    case status === 403 && causedBy(s, 'NamespaceTerminating'):
      return new KubeError(
        'namespace_missing',
        `the Kubernetes namespace ${request?.namespace ?? ''} is being deleted: cannot ${verb} ${what}` +
          ` until it is gone and created again, or use another namespace${said}`,
        info,
      )
    // A request with no credentials (a plain URL such as k8s:https://..., which carries none)
    // is system:anonymous to the API server: granting RBAC is not the fix, credentials are.
    case status === 403 && /User "system:anonymous"/.test(apiMessage ?? ''):
      return new KubeError(
        'forbidden',
        `forbidden: ${at(server)} took the request for system:anonymous because no credentials ` +
          `were sent, and cannot let it ${verb} ${what}: use a kubeconfig or the in-cluster ` +
          'service account (a plain URL sends no credentials), or a URL of `kubectl proxy`, ' +
          `which adds yours${said}`,
        info,
      )
    case status === 403:
      return new KubeError(
        'forbidden',
        `forbidden: cannot ${verb} ${what} (RBAC): grant it in deploy/base/rbac.yaml${said}`,
        info,
      )
    case status === 404 && s === null: {
      const text = typeof body === 'string' ? ` (it answered ${JSON.stringify(snippet(body))})` : ''
      if (!request) {
        return new KubeError('not_served', `${at(server)} does not serve the path${text}`, info)
      }
      const name = resourceName(request.resource)
      if (request.resource.crd) {
        return new KubeError(
          'crd_missing',
          `the CRD ${name} is not installed (${at(server)} does not serve ` +
            `${request.resource.group}/${request.resource.version} ${request.resource.plural}): ` +
            request.resource.crd.install,
          info,
        )
      }
      return new KubeError(
        'not_served',
        `${at(server)} does not serve ${name} ${request.resource.version}${text}: ` +
          'is the cluster too old for this API version?',
        info,
      )
    }
    case status === 404 && s?.details?.kind === 'namespaces': {
      const ns = s.details.name ?? request?.namespace ?? ''
      return new KubeError(
        'namespace_missing',
        `the Kubernetes namespace ${ns} does not exist: cannot ${verb} ${what}; create it ` +
          `(kubectl create namespace ${ns}) or use another namespace${said}`,
        info,
      )
    }
    case status === 404:
      return new KubeError('not_found', `${what} does not exist${said}`, info)
    case status === 409 && reason === 'AlreadyExists':
      return new KubeError('already_exists', `${what} already exists${said}`, info)
    case status === 409:
      return new KubeError(
        'conflict',
        `${what} changed since it was read (409 ${reason ?? 'Conflict'})${said}`,
        info,
      )
    case status === 410:
      return new KubeError(
        'expired',
        `${at(server)}: the resourceVersion is too old to ${verb} ${what} (410 ${reason ?? 'Gone'})${said}`,
        info,
      )
    case status === 400 || status === 422:
      return new KubeError(
        'invalid',
        `${at(server)} refused to ${verb} ${what} as invalid (${status} ${reason ?? ''})${said}`,
        info,
      )
    // etcd refuses a write over its request limit (1.5 MiB by default) and kube-apiserver passes
    // that on as a 500 without a reason (kubernetes/kubernetes#112152); the apiserver's own
    // limit on a request body (3 MiB) is a 413. Trying again cannot help.
    case status === 413 || (status === 500 && /request is too large/.test(apiMessage ?? '')):
      return new KubeError(
        'invalid',
        `${at(server)} refused to ${verb} ${what}: the object is too large to store ` +
          `(etcd keeps at most 1.5 MiB per object unless configured otherwise)${said}`,
        info,
      )
    case status === 429 || status >= 500:
      return new KubeError(
        'unavailable',
        `${at(server)} is unavailable: it answered ${status}${reason ? ` ${reason}` : ''} to ${verb} ${what}${said}`,
        info,
      )
    default: {
      const text = apiMessage
        ? snippet(apiMessage)
        : typeof body === 'string' && body !== ''
          ? snippet(body)
          : 'no message'
      return new KubeError(
        'unexpected',
        `${at(server)} answered ${status} to ${verb} ${what}: ${text}`,
        info,
      )
    }
  }
}

function causedBy(status: Status | null, reason: string): boolean {
  return status?.details?.causes?.some((c) => c.reason === reason) ?? false
}

/** Turns anything a client-node call throws into a KubeError (a KubeError passes through). */
export function toKubeError(err: unknown, server: string | null, request?: KubeRequest): KubeError {
  if (err instanceof KubeError) return err
  const what = request ? `${request.verb} ${describeRequest(request)}` : 'call'
  if (isApiException(err)) return errorFromResponse(err.code, err.body, server, request)
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode
  if (typeof statusCode === 'number')
    return errorFromResponse(statusCode, undefined, server, request)
  const network = networkProblem(err)
  if (network !== null) {
    return new KubeError(
      'unavailable',
      `${at(server)} is unreachable (${what}): ${network}`,
      { server, request },
      err,
    )
  }
  return new KubeError(
    'unexpected',
    `${at(server)}: ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
    { server, request },
    err,
  )
}

/** ApiException, recognised by shape (its class may come from another copy of client-node). */
function isApiException(err: unknown): err is { code: number; body: unknown } {
  if (!(err instanceof Error)) return false
  const e = err as Error & { code?: unknown; body?: unknown; headers?: unknown }
  return typeof e.code === 'number' && 'headers' in e
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/**
 * A description of a network-level failure (refused, reset, timed out, TLS), or null if `err`
 * is not one. undici wraps the socket error as `cause` of `TypeError: fetch failed`; several
 * addresses give an AggregateError.
 */
export function networkProblem(err: unknown): string | null {
  if (!(err instanceof Error)) return null
  if (err.name === 'TimeoutError') return 'no answer in time (timed out)'
  if (err.name === 'AbortError') return 'the request was aborted'
  let cause: unknown = err
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as Error & { code?: unknown }).code
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return cause.message || code
    if (cause instanceof AggregateError && cause.errors[0] instanceof Error) {
      cause = cause.errors[0]
      continue
    }
    if (cause.name === 'TimeoutError') return 'no answer in time (timed out)'
    cause = cause.cause
  }
  if (err instanceof TypeError && err.message === 'fetch failed') {
    const c = err.cause
    return c instanceof Error ? c.message : 'fetch failed'
  }
  return null
}
