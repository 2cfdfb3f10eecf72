// FakeKubeApi: the server and the test-facing controls. See index.ts for what is covered.
import { readdir, readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { extname, join } from 'node:path'
import { checkObject } from './bodies.js'
import { discovery } from './discovery.js'
import { type HandlerContext, handleResource } from './handlers.js'
import { DEFAULT_MAX_BODY_BYTES, sendJson, sendPlainNotFound, sendStatus } from './http-io.js'
import type { JsonObject } from './json.js'
import { type KubeconfigOptions, writeKubeconfigFile } from './kubeconfig.js'
import { queryFlag } from './list-options.js'
import { createObject, present, removeStored, replaceObject } from './objects.js'
import { type ForbidRule, Rbac } from './rbac.js'
import { Registry } from './registry.js'
import { requestInfo } from './request-info.js'
import { type ResourceType, resourceId } from './resource-type.js'
import { type ExpiredReason, StatusError } from './status.js'
import { objectKey, Store } from './store.js'
import type { WatchStream } from './watch.js'

export interface FakeKubeOptions {
  /** Events kept for watch replay and Exact lists (default 1000). Older RVs get 410. */
  readonly eventHistory?: number
  /** The reason of 410s: 'Expired' (1.18+, default) or 'Gone' (up to 1.17). */
  readonly expiredReason?: ExpiredReason
  /** The user named in 403 messages (default `system:serviceaccount:default:default`). */
  readonly user?: string
  /** After installCrd, its paths answer the plain 404 for this long (default 0; real ≈ 5 ms). */
  readonly crdNotFoundMs?: number
  /** After installCrd, creates are held until this long after the install (default 0; real 2000). */
  readonly crdCreateHoldMs?: number
  /** Entries kept in `requests` (default 1000, oldest dropped first). */
  readonly requestLog?: number
  /** Largest request body accepted (default 3 MiB, kube-apiserver's); larger gets 413. */
  readonly maxBodyBytes?: number
  /** Period of BOOKMARKs to watches that asked for them (default 60000; 0 = never periodic). */
  readonly bookmarkIntervalMs?: number
  /** Port to listen on (default 0: a free one). */
  readonly port?: number
}

export interface RequestRecord {
  readonly method: string
  /** The raw path, without the query. */
  readonly path: string
  /** The query, first value of each parameter. */
  readonly query: Readonly<Record<string, string>>
}

export interface ObjectRef {
  readonly apiVersion: string
  readonly kind: string
  /** Default `default` for namespaced kinds; ignored for cluster-scoped ones. */
  readonly namespace?: string
  readonly name: string
}

/** A direct-API call the fake cannot honour (unknown kind, invalid object). */
export class FakeKubeError extends Error {
  readonly code: 'unknown_kind' | 'rejected'
  /** The Status the HTTP API would have answered, when there is one. */
  readonly status?: JsonObject | undefined
  constructor(code: FakeKubeError['code'], message: string, status?: JsonObject) {
    super(message)
    this.name = 'FakeKubeError'
    this.code = code
    this.status = status
  }
}

export class FakeKubeApi {
  private readonly store: Store
  private readonly registry: Registry
  private readonly rbac = new Rbac()
  private readonly watches = new Set<WatchStream>()
  private readonly sockets = new Set<Socket>()
  private readonly lastRvByResource = new Map<string, number>()
  private readonly log: RequestRecord[] = []
  private readonly options: Required<FakeKubeOptions>
  private server: Server | undefined
  private portNumber = 0
  private bookmarkTimer: NodeJS.Timeout | undefined
  private readonly ctx: HandlerContext

  private constructor(options: FakeKubeOptions) {
    this.options = {
      eventHistory: options.eventHistory ?? 1000,
      expiredReason: options.expiredReason ?? 'Expired',
      user: options.user ?? 'system:serviceaccount:default:default',
      crdNotFoundMs: options.crdNotFoundMs ?? 0,
      crdCreateHoldMs: options.crdCreateHoldMs ?? 0,
      requestLog: options.requestLog ?? 1000,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      port: options.port ?? 0,
    }
    this.store = new Store(Math.max(1, this.options.eventHistory))
    this.registry = new Registry(this.options)
    this.store.onEvent((event) => {
      this.lastRvByResource.set(event.resource, event.rv)
      for (const w of this.watches) if (w.resource === event.resource) w.deliver(event)
    })
    this.ctx = {
      store: this.store,
      expiredReason: this.options.expiredReason,
      maxBodyBytes: this.options.maxBodyBytes,
      openWatch: (w) => this.watches.add(w),
      closeWatch: (w) => this.watches.delete(w),
      lastEventRv: (resource) => this.lastRvByResource.get(resource) ?? 0,
      createHoldMs: (rt) => this.registry.createHoldMs(rt),
    }
  }

  static async start(options: FakeKubeOptions = {}): Promise<FakeKubeApi> {
    const api = new FakeKubeApi(options)
    await api.listen(api.options.port)
    if (api.options.bookmarkIntervalMs > 0) {
      api.bookmarkTimer = setInterval(() => api.sendBookmarks(), api.options.bookmarkIntervalMs)
      api.bookmarkTimer.unref()
    }
    return api
  }

  /** `http://127.0.0.1:<port>`, the same across down()/up(). */
  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`
  }

  get port(): number {
    return this.portNumber
  }

  /** The global revision: the RV of the last write of any kind. */
  get revision(): number {
    return this.store.revision
  }

  /** How many watches are open now. */
  get openWatches(): number {
    return this.watches.size
  }

  /** Writes a kubeconfig file for this server into `dir`; returns its path. */
  writeKubeconfig(dir: string, options: KubeconfigOptions = {}): Promise<string> {
    return writeKubeconfigFile(this.url, dir, options)
  }

  /** Installs (or replaces, keeping its objects) an apiextensions.k8s.io/v1 CRD. */
  installCrd(crd: unknown): void {
    const installed = this.registry.install(crd)
    if (installed.replaced) {
      // A changed CRD gets new storage on a real server; watches on the old one end.
      const id = resourceId({
        group: installed.crd.spec.group,
        plural: installed.crd.spec.names.plural,
      })
      for (const w of [...this.watches]) if (w.resource === id) w.end()
    }
  }

  /** Installs every CRD found in the directory's *.yaml, *.yml and *.json files; returns their names. */
  async installCrdsFrom(dir: string): Promise<string[]> {
    // client-node's YAML loader: every consumer of the fake has client-node (kube-fake's dev dependency).
    const { loadAllYaml } = await import('@kubernetes/client-node')
    const names: string[] = []
    const files = (await readdir(dir))
      .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
      .sort()
    for (const file of files) {
      const docs: unknown[] = loadAllYaml(await readFile(join(dir, file), 'utf8'))
      for (const doc of docs) {
        if (typeof doc !== 'object' || doc === null || !('kind' in doc)) continue
        if (doc.kind !== 'CustomResourceDefinition') continue
        this.installCrd(doc)
        names.push(String((doc as { metadata?: { name?: unknown } }).metadata?.name))
      }
    }
    return names
  }

  /**
   * Removes a CRD: as in Kubernetes its objects are deleted (each a DELETED event), its watches
   * end, and its paths answer the plain-text 404 again.
   */
  uninstallCrd(name: string): void {
    const crd = this.registry.uninstall(name)
    if (crd === undefined) return
    const rt = { group: crd.spec.group, plural: crd.spec.names.plural }
    for (const { key, object } of this.store.list(resourceId(rt))) {
      removeStored(this.store, placeholderType(rt, crd.spec.names.kind), key, object)
    }
    for (const w of [...this.watches]) if (w.resource === resourceId(rt)) w.end()
  }

  /** Denies a verb on a resource (403 Status) until allowAll(). */
  forbid(rule: ForbidRule): void {
    this.rbac.forbid(rule)
  }

  allowAll(): void {
    this.rbac.allowAll()
  }

  private typeOf(apiVersion: string, kind: string): ResourceType {
    const rt = this.registry.byApiVersionKind(apiVersion, kind)
    if (rt === undefined) {
      throw new FakeKubeError(
        'unknown_kind',
        `the fake does not serve ${kind} in ${apiVersion}: install its CRD first (api.installCrd / installCrdsFrom)`,
      )
    }
    return rt
  }

  /**
   * Creates or replaces an object (no resourceVersion needed or compared), through the same write
   * path as HTTP: pruned, validated, a new global RV, watch events. Returns the stored object.
   */
  put(object: JsonObject): JsonObject {
    const { meta } = this.direct(() => checkObject(object, 'object'))
    const rt = this.typeOf(String(object.apiVersion), String(object.kind))
    const namespace = rt.namespaced ? (meta.namespace ?? 'default') : undefined
    const name = meta.name ?? ''
    const exists = this.store.get(resourceId(rt), objectKey(namespace ?? '', name)) !== undefined
    const body = structuredClone(object)
    const bodyMeta = body.metadata
    if (typeof bodyMeta === 'object' && bodyMeta !== null && !Array.isArray(bodyMeta)) {
      delete bodyMeta.resourceVersion
    }
    return this.direct(() =>
      exists
        ? replaceObject(this.store, rt, namespace, name, body, {
            validation: 'Ignore',
            unconditional: true,
          })
        : createObject(this.store, rt, namespace, body, 'Ignore'),
    ).object
  }

  /** Deletes an object (a DELETED event); returns its last state, or null if there was none. */
  remove(ref: ObjectRef): JsonObject | null {
    const rt = this.typeOf(ref.apiVersion, ref.kind)
    const key = objectKey(rt.namespaced ? (ref.namespace ?? 'default') : '', ref.name)
    const current = this.store.get(resourceId(rt), key)
    if (current === undefined) return null
    return present(rt, removeStored(this.store, rt, key, current))
  }

  /** The object as a client would read it, or null. */
  get(ref: ObjectRef): JsonObject | null {
    const rt = this.typeOf(ref.apiVersion, ref.kind)
    const key = objectKey(rt.namespaced ? (ref.namespace ?? 'default') : '', ref.name)
    const stored = this.store.get(resourceId(rt), key)
    return stored === undefined ? null : present(rt, stored)
  }

  /** Every object of a kind (optionally one namespace), as a client would read them, in key order. */
  list(ref: Omit<ObjectRef, 'name'>): JsonObject[] {
    const rt = this.typeOf(ref.apiVersion, ref.kind)
    return this.store
      .list(resourceId(rt), rt.namespaced ? ref.namespace : undefined)
      .map((e) => present(rt, e.object))
  }

  private direct<T>(f: () => T): T {
    try {
      return f()
    } catch (err) {
      if (err instanceof StatusError) throw new FakeKubeError('rejected', err.message, err.body)
      throw err
    }
  }

  /** Forgets the event history: a watch or Exact list from an older RV now gets 410. */
  compact(): void {
    this.store.compact()
  }

  /** Ends every open watch cleanly (a complete chunked body), as a server-side timeout does. */
  endWatches(): void {
    for (const w of [...this.watches]) w.end()
  }

  /** Destroys every open watch's connection (a dropped connection, no clean end). */
  severWatches(): void {
    for (const w of [...this.watches]) w.sever()
  }

  /** Sends a BOOKMARK now to every watch that asked for them and has an older RV. */
  sendBookmarks(): void {
    for (const w of [...this.watches]) w.bookmark(this.lastRvByResource.get(w.resource) ?? 0)
  }

  /** The log of requests received, oldest first (bounded by the requestLog option). */
  get requests(): readonly RequestRecord[] {
    return [...this.log]
  }

  clearRequests(): void {
    this.log.length = 0
  }

  /** Stops answering: closes the listener and every connection (watches are cut). State is kept. */
  async down(): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    for (const w of [...this.watches]) w.sever()
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    await closed
  }

  /** Listens again on the same port, with the same state. */
  async up(): Promise<void> {
    if (this.server !== undefined) return
    await this.listen(this.portNumber)
  }

  async close(): Promise<void> {
    if (this.bookmarkTimer !== undefined) clearInterval(this.bookmarkTimer)
    await this.down()
  }

  private listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err))
    })
    server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      else socket.destroy()
    })
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        const address = server.address()
        if (address !== null && typeof address === 'object') this.portNumber = address.port
        this.server = server
        resolve()
      })
    })
  }

  private record(method: string, path: string, query: URLSearchParams): void {
    const q: Record<string, string> = {}
    for (const [k, v] of query) if (!Object.hasOwn(q, k)) q[k] = v
    this.log.push({ method, path, query: q })
    if (this.log.length > this.options.requestLog)
      this.log.splice(0, this.log.length - this.options.requestLog)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/'
    const q = target.indexOf('?')
    const path = q < 0 ? target : target.slice(0, q)
    const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1))
    const method = req.method ?? 'GET'
    this.record(method, path, query)
    const info = requestInfo(method, path, queryFlag(query, 'watch'))
    if (info.type === 'other') {
      const doc = method === 'GET' ? discovery(path, this.registry.all()) : undefined
      if (doc === undefined) sendPlainNotFound(res)
      else if (typeof doc === 'string') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
        res.end(doc)
      } else sendJson(res, 200, doc)
      return
    }
    this.rbac.check(info, this.options.user)
    const rt = this.registry.lookup(info.group, info.version, info.resource)
    // The CR handler passes on (plain 404) a subresource it lacks, a namespaced resource's object
    // addressed without a namespace (only list and watch may span namespaces), and a
    // cluster-scoped resource addressed through one.
    const scopeMismatch =
      rt !== undefined &&
      (rt.namespaced
        ? info.namespace === undefined && info.verb !== 'list' && info.verb !== 'watch'
        : info.namespace !== undefined)
    if (rt === undefined || info.subresource !== undefined || scopeMismatch) {
      sendPlainNotFound(res)
      return
    }
    await handleResource(this.ctx, info, rt, query, req, res)
  }

  private fail(res: ServerResponse, err: unknown): void {
    const status =
      err instanceof StatusError
        ? err
        : new StatusError({
            code: 500,
            reason: 'InternalError',
            message: `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`,
          })
    if (res.headersSent) {
      res.destroy()
      return
    }
    if (status.code === 413) {
      // The rest of a too-large body is not read: close the connection after the answer.
      res.setHeader('Connection', 'close')
      res.on('finish', () => res.socket?.destroy())
    }
    sendStatus(res, status)
  }
}

/** Enough of a resource type to delete a CRD's objects after its CRD is gone. */
function placeholderType(rt: { group: string; plural: string }, kind: string): ResourceType {
  return {
    ...rt,
    version: '',
    kind,
    listKind: `${kind}List`,
    namespaced: true,
    custom: true,
    generation: true,
    nameRule: 'subdomain',
    deleteReturnsObject: false,
  }
}
