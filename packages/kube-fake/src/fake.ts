// FakeKubeApi: the server and the test-facing controls. See index.ts for what is covered.
import { readdir, readFile } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { checkObject } from './bodies.js'
import type { HandlerContext } from './handlers.js'
import { DEFAULT_MAX_BODY_BYTES } from './http-io.js'
import type { JsonObject } from './json.js'
import { type KubeconfigOptions, writeKubeconfigFile } from './kubeconfig.js'
import { Listener } from './listener.js'
import { createObject, present, removeStored, replaceObject } from './objects.js'
import { type ForbidRule, Rbac } from './rbac.js'
import { Registry } from './registry.js'
import { RequestLog, type RequestRecord } from './request-log.js'
import { type ResourceType, resourceId } from './resource-type.js'
import { createRouter } from './router.js'
import { type ExpiredReason, StatusError } from './status.js'
import { objectKey, Store } from './store.js'
import type { WatchStream } from './watch.js'

export type { RequestRecord } from './request-log.js'

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
  /**
   * The Kubernetes namespaces that exist. Unset (the default): every one does. Set: a create in
   * any other answers 404 `namespaces "<ns>" not found`, as kube-apiserver's NamespaceLifecycle
   * admission does (lists and watches there are empty; addNamespace adds one).
   */
  readonly namespaces?: readonly string[]
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
  private readonly lastRvByResource = new Map<string, number>()
  private readonly log: RequestLog
  private readonly options: Required<Omit<FakeKubeOptions, 'namespaces'>>
  /** null: every namespace exists. */
  private readonly namespaces: Set<string> | null
  private readonly listener: Listener
  private bookmarkTimer: NodeJS.Timeout | undefined

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
    this.namespaces = options.namespaces === undefined ? null : new Set(options.namespaces)
    this.store = new Store(Math.max(1, this.options.eventHistory))
    this.registry = new Registry(this.options)
    this.store.onEvent((event) => {
      this.lastRvByResource.set(event.resource, event.rv)
      for (const w of this.watches) if (w.resource === event.resource) w.deliver(event)
    })
    const ctx: HandlerContext = {
      store: this.store,
      expiredReason: this.options.expiredReason,
      maxBodyBytes: this.options.maxBodyBytes,
      openWatch: (w) => this.watches.add(w),
      closeWatch: (w) => this.watches.delete(w),
      lastEventRv: (resource) => this.lastRvByResource.get(resource) ?? 0,
      createHoldMs: (rt) => this.registry.createHoldMs(rt),
      namespaceExists: (namespace) => this.namespaces?.has(namespace) ?? true,
    }
    this.log = new RequestLog(this.options.requestLog)
    this.listener = new Listener(
      createRouter({
        ctx,
        registry: this.registry,
        rbac: this.rbac,
        log: this.log,
        user: this.options.user,
      }),
    )
  }

  static async start(options: FakeKubeOptions = {}): Promise<FakeKubeApi> {
    const api = new FakeKubeApi(options)
    await api.listener.listen(api.options.port)
    if (api.options.bookmarkIntervalMs > 0) {
      api.bookmarkTimer = setInterval(() => api.sendBookmarks(), api.options.bookmarkIntervalMs)
      api.bookmarkTimer.unref()
    }
    return api
  }

  /** `http://127.0.0.1:<port>`, the same across down()/up(). */
  get url(): string {
    return `http://127.0.0.1:${this.listener.port}`
  }

  get port(): number {
    return this.listener.port
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

  /**
   * Installs (or replaces, keeping its objects) an apiextensions.k8s.io/v1 CRD; returns its name.
   * Throws CrdError for anything else.
   */
  installCrd(crd: unknown): string {
    const installed = this.registry.install(crd)
    if (installed.replaced) {
      // A changed CRD gets new storage on a real server; watches on the old one end.
      const id = resourceId({
        group: installed.crd.spec.group,
        plural: installed.crd.spec.names.plural,
      })
      for (const w of [...this.watches]) if (w.resource === id) w.end()
    }
    return installed.crd.metadata.name
  }

  /** Installs every CRD found in the directory's *.yaml, *.yml and *.json files; returns their names. */
  async installCrdsFrom(dir: string): Promise<string[]> {
    // Plain YAML, not client-node's loadAllYaml: that one turns a CRD into client-node's model,
    // renaming x-kubernetes-preserve-unknown-fields to x_kubernetes_preserve_unknown_fields, so
    // the fake would prune what a real cluster keeps.
    const { parseAllDocuments } = await import('yaml')
    const loadAllYaml = (text: string): unknown[] => parseAllDocuments(text).map((d) => d.toJS())
    const names: string[] = []
    const files = (await readdir(dir))
      .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
      .sort()
    for (const file of files) {
      const docs: unknown[] = loadAllYaml(await readFile(join(dir, file), 'utf8'))
      for (const doc of docs) {
        if (typeof doc !== 'object' || doc === null || !('kind' in doc)) continue
        if (doc.kind !== 'CustomResourceDefinition') continue
        names.push(this.installCrd(doc))
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
      removeStored(this.store, resourceId(rt), key, object)
    }
    for (const w of [...this.watches]) if (w.resource === resourceId(rt)) w.end()
  }

  /** Makes a Kubernetes namespace exist (only meaningful with the `namespaces` option). */
  addNamespace(name: string): void {
    this.namespaces?.add(name)
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

  /**
   * Deletes an object at once (a DELETED event), finalizers or not, as after they have all been
   * cleared; returns its last state, or null if there was none. An HTTP DELETE honours them.
   */
  remove(ref: ObjectRef): JsonObject | null {
    const rt = this.typeOf(ref.apiVersion, ref.kind)
    const key = objectKey(rt.namespaced ? (ref.namespace ?? 'default') : '', ref.name)
    const current = this.store.get(resourceId(rt), key)
    if (current === undefined) return null
    return present(rt, removeStored(this.store, resourceId(rt), key, current))
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
    return this.log.all()
  }

  clearRequests(): void {
    this.log.clear()
  }

  /** Stops answering: closes the listener and every connection (watches are cut). State is kept. */
  async down(): Promise<void> {
    for (const w of [...this.watches]) w.sever()
    await this.listener.close()
  }

  /** Listens again on the same port, with the same state (rejects if the port was taken). */
  async up(): Promise<void> {
    if (this.listener.listening) return
    await this.listener.listen(this.listener.port)
  }

  /** Stops the server for good (the bookmark timer too). */
  async close(): Promise<void> {
    if (this.bookmarkTimer !== undefined) clearInterval(this.bookmarkTimer)
    await this.down()
  }
}
