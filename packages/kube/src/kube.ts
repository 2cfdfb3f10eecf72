// An open connection to the Kubernetes API: client-node's KubeConfig and API clients, the
// default namespace, a deadline on every call, and calls that fail only with KubeError.
import { setTimeout as delay } from 'node:timers/promises'
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  type RequestContext,
  Watch,
} from './client-node.js'
import { type KubeConnection, type KubeEnvironment, resolveConnection } from './connection.js'
import { KubeError, toKubeError } from './errors.js'
import type { KubeRequest, Resource } from './resource.js'
import { MAX_RETRIES, retryAfterMs } from './retry-after.js'

export interface KubeOptions extends KubeEnvironment {
  /**
   * Deadline of each API call (not of watches), in ms. Default 10 000. client-node sets none,
   * so a black-holed API server would hang a call forever.
   */
  readonly requestTimeoutMs?: number
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000

/** Query of a list call (kubernetes-api.md §1). */
export interface ListQuery {
  readonly labelSelector?: string
  readonly fieldSelector?: string
  readonly limit?: number
  readonly continue?: string
  readonly resourceVersion?: string
  readonly resourceVersionMatch?: 'NotOlderThan' | 'Exact'
}

/** Calls on one custom (or any non-core) resource. Answers are raw JSON: zod-parse them. */
export interface ObjectClient {
  readonly resource: Resource
  list(namespace: string | undefined, query?: ListQuery): Promise<unknown>
  get(namespace: string, name: string): Promise<unknown>
  create(namespace: string, body: object): Promise<unknown>
  /** PUT; the body must carry metadata.resourceVersion (custom resources refuse it otherwise). */
  replace(namespace: string, name: string, body: object): Promise<unknown>
  /** DELETE, only if the object is still at `resourceVersion` when given. */
  delete(namespace: string, name: string, options?: { resourceVersion?: string }): Promise<unknown>
}

export interface Kube {
  readonly connection: KubeConnection
  /** The API server's URL, named in every error. */
  readonly server: string
  /** The namespace to use when none is configured (in-cluster, kubeconfig context, `default`). */
  readonly namespace: string
  /** How the configuration was found: `in-cluster`, `kubeconfig <path>`, `url`. */
  readonly source: string
  readonly config: KubeConfig
  readonly requestTimeoutMs: number
  readonly customObjects: CustomObjectsApi
  readonly core: CoreV1Api
  readonly discovery: DiscoveryV1Api
  /** A new client-node Watch on this configuration. */
  newWatch(): Watch
  /**
   * Runs one call, again after the wait the API server asks for when it answers 429 (or a 5xx
   * with Retry-After, retry-after.ts says which); whatever it throws becomes a KubeError
   * describing `request`.
   */
  call<T>(request: KubeRequest, run: () => Promise<T>): Promise<T>
  /** Typed-by-resource calls through CustomObjectsApi (any group but the core one). */
  objects(resource: Resource): ObjectClient
}

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>

/**
 * How long one connection pool serves every call before the next call takes a fresh one (the
 * old one closes once its requests, watches included, are done), so rotated client
 * certificates or CA files are picked up.
 */
const POOL_REFRESH_MS = 10 * 60_000

/**
 * How long a watch may take to answer with its headers. kube-apiserver sends them at once
 * (kubernetes-api.md §3); this is the bound client-node's 30 s timer used to give, before the
 * watch's own timer was lengthened to outlast its timeoutSeconds (watch-once.ts).
 */
export const WATCH_HEADERS_TIMEOUT_MS = 30_000

/**
 * A KubeConfig that client-node asks to authenticate each request (API calls and watches):
 * the one place every call passes through. There it
 * - puts a deadline on every API call (client-node sets none; Watch uses its own signal);
 * - shares one connection pool: client-node 2.0.1 builds a new undici Agent for every request
 *   whenever the cluster has TLS options (a CA, as in-cluster; client certificates; or
 *   insecure-skip-tls-verify, which plain http needs), so every call opened a new connection,
 *   in a cluster a new TLS handshake;
 * - lifts undici's body timeout (300 s between chunks) for watches, which may be quiet for
 *   longer than that before the server ends them (watch-once.ts), and bounds their headers.
 *   Without TLS options client-node passes no dispatcher, and undici's defaults stand.
 */
class DeadlineKubeConfig extends KubeConfig {
  private pool: {
    readonly dispatcher: Dispatcher
    readonly watches: Dispatcher
    readonly since: number
  } | null = null

  constructor(private readonly timeoutMs: number) {
    super()
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context)
    if (!context.getSignal()) context.setSignal(AbortSignal.timeout(this.timeoutMs))
    const made = context.getDispatcher()
    if (made === undefined) return
    const now = Date.now()
    if (this.pool === null || now - this.pool.since > POOL_REFRESH_MS) {
      const old = this.pool?.dispatcher
      this.pool = { dispatcher: made, watches: forWatches(made), since: now }
      void old?.close().catch(() => {})
    }
    // A fresh `made` has not connected anywhere yet: nothing to close.
    context.setDispatcher(isWatch(context) ? this.pool.watches : this.pool.dispatcher)
  }
}

function isWatch(context: RequestContext): boolean {
  try {
    return new URL(context.getUrl()).searchParams.get('watch') === 'true'
  } catch {
    return false
  }
}

/** The same pool, with each watch's undici timeouts set (client-node's timer is the bound). */
function forWatches(pool: Dispatcher): Dispatcher {
  return pool.compose(
    (dispatch) => (options, handler) =>
      dispatch({ ...options, bodyTimeout: 0, headersTimeout: WATCH_HEADERS_TIMEOUT_MS }, handler),
  )
}

/** Loads the configuration (throws KubeError code `config`) and makes the clients. No I/O. */
export function openKube(connection: KubeConnection, options: KubeOptions = {}): Kube {
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const resolved = resolveConnection(
    connection,
    options,
    () => new DeadlineKubeConfig(requestTimeoutMs),
  )
  const { config, server } = resolved
  let customObjects: CustomObjectsApi
  let core: CoreV1Api
  let discovery: DiscoveryV1Api
  try {
    customObjects = config.makeApiClient(CustomObjectsApi)
    core = config.makeApiClient(CoreV1Api)
    discovery = config.makeApiClient(DiscoveryV1Api)
  } catch (err) {
    throw new KubeError(
      'config',
      `cannot use ${resolved.source}: ${err instanceof Error ? err.message : String(err)}`,
      { server },
      err,
    )
  }
  const call = async <T>(request: KubeRequest, run: () => Promise<T>): Promise<T> => {
    for (let retries = 0; ; retries++) {
      try {
        return await run()
      } catch (err) {
        // 429, or a 5xx with Retry-After: the API server asked to be asked again (retry-after.ts).
        const wait = retries < MAX_RETRIES ? retryAfterMs(err, request.verb) : null
        if (wait === null) throw toKubeError(err, server, request)
        await delay(wait)
      }
    }
  }
  return {
    connection,
    server,
    namespace: resolved.namespace,
    source: resolved.source,
    config,
    requestTimeoutMs,
    customObjects,
    core,
    discovery,
    newWatch: () => new Watch(config),
    call,
    objects: (resource) => objectClient(resource, customObjects, call),
  }
}

function objectClient(resource: Resource, api: CustomObjectsApi, call: Kube['call']): ObjectClient {
  if (resource.group === '') {
    throw new Error(
      `objects(): ${resource.plural} is in the core group; use kube.core (CoreV1Api) for it`,
    )
  }
  const { group, version, plural } = resource
  return {
    resource,
    list: (namespace, query = {}) => {
      const q = {
        group,
        version,
        plural,
        labelSelector: query.labelSelector,
        fieldSelector: query.fieldSelector,
        limit: query.limit,
        _continue: query.continue,
        resourceVersion: query.resourceVersion,
        resourceVersionMatch: query.resourceVersionMatch,
      }
      return call({ verb: 'list', resource, namespace }, () =>
        namespace === undefined
          ? api.listClusterCustomObject(q)
          : api.listNamespacedCustomObject({ ...q, namespace }),
      )
    },
    get: (namespace, name) =>
      call({ verb: 'get', resource, namespace, name }, () =>
        api.getNamespacedCustomObject({ group, version, plural, namespace, name }),
      ),
    create: (namespace, body) =>
      call({ verb: 'create', resource, namespace, name: nameOf(body) }, () =>
        api.createNamespacedCustomObject({ group, version, plural, namespace, body }),
      ),
    replace: (namespace, name, body) =>
      call({ verb: 'update', resource, namespace, name }, () =>
        api.replaceNamespacedCustomObject({ group, version, plural, namespace, name, body }),
      ),
    delete: (namespace, name, options = {}) =>
      call({ verb: 'delete', resource, namespace, name }, () =>
        api.deleteNamespacedCustomObject({
          group,
          version,
          plural,
          namespace,
          name,
          body:
            options.resourceVersion === undefined
              ? undefined
              : { preconditions: { resourceVersion: options.resourceVersion } },
        }),
      ),
  }
}

function nameOf(body: object): string | undefined {
  const name = (body as { metadata?: { name?: unknown } }).metadata?.name
  return typeof name === 'string' ? name : undefined
}
