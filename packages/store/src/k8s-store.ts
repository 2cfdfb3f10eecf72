// The Kubernetes CRD store (`--store k8s`): namerd's `dtabs.l5d.io` objects, one per dtab
// namespace, in one Kubernetes namespace (k8s-objects.ts), so a cluster moves from namerd to
// Switchyard in place.
//
// - Version = the UTF-8 bytes of metadata.resourceVersion (namerd's ETag). Compare-and-swap is
//   the API server's: a replace carrying the resourceVersion (409 Conflict → version_mismatch),
//   a delete with preconditions.resourceVersion; 409 AlreadyExists on create → namespace_exists.
// - Reads are read-your-writes, unlike namerd's: get() and list() ask the API server (a
//   consistent read). While the API server is away they answer from the last state the watch
//   loop knows (k8s-dtabs.ts), and health() says `stale` since when and why (k8s-health.ts).
// - Watches are fed by one shared list-then-watch loop (@switchyard/kube reflect) over the
//   namespace's DTabs (k8s-watches.ts).
// - A DTab being deleted (held by finalizers) is deleted for reads and watches, and cannot be
//   written over until it is gone (k8s-deleting.ts).
// - History is kept in the cluster, in DTabHistory objects (k8s-history.ts), recorded after
//   each write (k8s-recorder.ts); while it cannot be, health() says `degraded`.
import { Dtab } from '@switchyard/dtab'
import {
  type BackoffOptions,
  isKubeError,
  type Kube,
  type KubeConnection,
  type KubeOptions,
  type ObjectClient,
  openKube,
  type Reflector,
  reflect,
} from '@switchyard/kube'
import { deletionHeldBy, live, notFoundError, stillDeletingError } from './k8s-deleting.js'
import { DTabReader, parseObject, readOrLastKnown } from './k8s-dtabs.js'
import { K8sHealth, type StoreLogger } from './k8s-health.js'

import { DEFAULT_HISTORY_MAX_BYTES, K8sHistory } from './k8s-history.js'
import { K8sLeaseStore } from './k8s-leases.js'
import { K8S_NAMESPACE_RULE } from './k8s-names.js'
import {
  DTAB_HISTORIES,
  DTABS,
  DTabObject,
  dtabOf,
  newDTab,
  resourceVersionOf,
  versionOf,
  withDentries,
} from './k8s-objects.js'
import { HistoryRecorder } from './k8s-recorder.js'
import { K8sWatches } from './k8s-watches.js'
import { checkNamespace } from './namespace.js'
import { K8sRolloutStore } from './rollouts-k8s.js'
import {
  DEFAULT_HISTORY_LIMIT,
  type DeleteOptions,
  type DtabEvent,
  type DtabStore,
  type HistoryEntry,
  type HistoryOptions,
  NamespaceExistsError,
  type NamespaceNotFoundError,
  type NamespacesEvent,
  StoreClosedError,
  StoreError,
  type StoreHealth,
  StoreUnavailableError,
  type VersionedDtab,
  VersionMismatchError,
  type WatchOptions,
  type WriteOptions,
} from './store.js'

export type { StoreLogger } from './k8s-health.js'

export interface K8sStoreOptions {
  /** Where the API server is. Default `{kind: 'default'}` (in-cluster, else kubeconfig). */
  readonly connection?: KubeConnection
  /** An open connection, instead of `connection`. */
  readonly kube?: Kube
  /** Options of the connection opened from `connection` (deadline, environment). */
  readonly kubeOptions?: KubeOptions
  /** The Kubernetes namespace of the objects. Default: the connection's (in-cluster, context, `default`). */
  readonly namespace?: string
  /** History entries kept per dtab namespace. Default 100. */
  readonly historyLimit?: number
  /** Byte budget of one namespace's history entries. Default 512 KiB. */
  readonly historyMaxBytes?: number
  /** Backoff of the watch loop while the API server is away. */
  readonly backoff?: BackoffOptions
  /** The watch loop's timeoutSeconds for each watch (tests shorten it). */
  readonly watchTimeoutSeconds?: () => number
  /** How long a new watch waits for the watch loop to reach a direct read's state. Default 2000 ms. */
  readonly catchUpMs?: number
  /** While stale, how long a read waits for the API server before the last known state. Default 1000 ms. */
  readonly staleReadMs?: number
  /** While history cannot be recorded (health `degraded`), how often to look again. Default 30 000 ms. */
  readonly historyRecheckMs?: number
  readonly logger?: StoreLogger
}

export interface K8sStore extends DtabStore {
  readonly kind: 'k8s'
  /** The API server's URL. */
  readonly server: string
  /** The Kubernetes namespace holding the DTab objects. */
  readonly k8sNamespace: string
  health(): StoreHealth
  notFound(namespace: string): NamespaceNotFoundError
}

/** Opens the store; it does not wait for the API server (its first call or watch does). */
export async function openK8sStore(options: K8sStoreOptions = {}): Promise<K8sStore> {
  const kube =
    options.kube ?? openKube(options.connection ?? { kind: 'default' }, options.kubeOptions)
  return new K8sDtabStore(kube, options)
}

/** Writes that lose a race this many times in a row give up (put and unconditional delete). */
const MAX_WRITE_ATTEMPTS = 50

class K8sDtabStore implements K8sStore {
  readonly kind = 'k8s'
  readonly namespaceRule = K8S_NAMESPACE_RULE
  readonly server: string
  readonly k8sNamespace: string
  private readonly dtabs: ObjectClient
  private readonly reader: DTabReader
  private readonly recorder: HistoryRecorder
  private readonly historyLimit: number
  private readonly reflector: Reflector<DTabObject>
  private readonly watches: K8sWatches
  private readonly staleReadMs: number
  private readonly logger: StoreLogger | undefined
  private readonly healthState: K8sHealth
  private closed = false
  /** Rollouts and leases (rollouts-k8s.ts, k8s-leases.ts); their watches end with the store. */
  private readonly closing = new AbortController()
  readonly rollouts: K8sRolloutStore
  readonly leases: K8sLeaseStore

  constructor(kube: Kube, options: K8sStoreOptions) {
    this.server = kube.server
    this.k8sNamespace = options.namespace ?? kube.namespace
    this.dtabs = kube.objects(DTABS)
    this.reader = new DTabReader(this.dtabs, this.k8sNamespace, this.server)
    this.historyLimit = Math.max(1, options.historyLimit ?? DEFAULT_HISTORY_LIMIT)
    this.staleReadMs = options.staleReadMs ?? 1000
    this.logger = options.logger
    const histories = kube.objects(DTAB_HISTORIES)
    this.healthState = new K8sHealth({
      logger: this.logger,
      where: { server: this.server, k8sNamespace: this.k8sNamespace },
      // Any history object will do: the CRD is served and RBAC lets us read (a 404 Status).
      probeHistory: () =>
        histories.get(this.k8sNamespace, 'switchyard-history-check').then(
          () => {},
          (err: unknown) => {
            if (!isKubeError(err) || err.code !== 'not_found') throw err
          },
        ),
      recheckMs: options.historyRecheckMs ?? 30_000,
    })
    this.recorder = new HistoryRecorder({
      history: new K8sHistory({
        client: histories,
        k8sNamespace: this.k8sNamespace,
        limit: this.historyLimit,
        maxBytes: options.historyMaxBytes ?? DEFAULT_HISTORY_MAX_BYTES,
      }),
      health: this.healthState,
      logger: this.logger,
      k8sNamespace: this.k8sNamespace,
    })
    this.reflector = reflect({
      kube,
      resource: DTABS,
      namespace: this.k8sNamespace,
      schema: DTabObject,
      backoff: options.backoff,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      onChanges: (changes) => this.watches.changed(changes.map((c) => c.key)),
      onHealth: (health) => this.healthState.loopChanged(health),
      onProblem: (problem) => {
        if (problem.kind === 'invalid_object') {
          this.logger?.warn(
            { k8sNamespace: this.k8sNamespace, name: problem.key, problem: problem.message },
            'a DTab object cannot be read; it is left out',
          )
        } else if (problem.kind === 'handler_failed') {
          this.logger?.warn({ err: problem.error }, 'the dtab store failed to apply a change')
        }
      },
    })
    this.watches = new K8sWatches({
      reflector: this.reflector,
      k8sNamespace: this.k8sNamespace,
      getObject: (namespace) => this.getObject(namespace),
      listNames: () => this.listNames(),
      catchUpMs: options.catchUpMs ?? 2000,
    })
    const run = <T>(operation: () => Promise<T>) => this.run(operation)
    this.rollouts = new K8sRolloutStore({
      kube,
      k8sNamespace: this.k8sNamespace,
      run,
      closed: this.closing.signal,
      logger: this.logger,
      backoff: options.backoff,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
    })
    this.leases = new K8sLeaseStore(kube, this.k8sNamespace, run)
  }

  /** Says which DTab was looked for: a dtab namespace is easily read as a Kubernetes one. */
  notFound(namespace: string): NamespaceNotFoundError {
    return this.missing(namespace, null)
  }

  health(): StoreHealth {
    return this.healthState.current(this.reflector.health)
  }

  // --- reads ---------------------------------------------------------------------------------

  async list(): Promise<string[]> {
    this.open()
    return this.read(
      async () => (await this.listNames()).sort(),
      () => this.watches.cachedNames().sort(),
    )
  }

  async get(namespace: string): Promise<VersionedDtab | null> {
    this.check(namespace)
    const versioned = (found: DTabObject | undefined | null): VersionedDtab | null => {
      const object = live(found)
      return object
        ? {
            namespace,
            dtab: dtabOf(namespace, this.k8sNamespace, object),
            version: versionOf(object),
          }
        : null
    }
    return this.read(
      async () => versioned(await this.getObject(namespace)),
      () => versioned(this.reflector.get(namespace)),
    )
  }

  async history(namespace: string, options: HistoryOptions = {}): Promise<HistoryEntry[]> {
    this.check(namespace)
    return this.run(() => this.recorder.list(namespace, options.limit ?? this.historyLimit))
  }

  // --- writes --------------------------------------------------------------------------------

  async create(namespace: string, dtab: Dtab, options: WriteOptions = {}): Promise<Uint8Array> {
    this.check(namespace)
    return this.run(async () => {
      let created: DTabObject
      try {
        created = parseObject(
          await this.dtabs.create(this.k8sNamespace, newDTab(this.k8sNamespace, namespace, dtab)),
        )
      } catch (err) {
        if (isKubeError(err) && err.code === 'already_exists') {
          const now = await this.getObject(namespace).catch(() => null)
          if (now && deletionHeldBy(now)) throw this.stillDeleting(namespace, now)
          throw new NamespaceExistsError(namespace)
        }
        throw err
      }
      return this.written(namespace, created, dtab, 'create', null, options)
    })
  }

  async put(namespace: string, dtab: Dtab, options: WriteOptions = {}): Promise<Uint8Array> {
    this.check(namespace)
    return this.run(async () => {
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
        const current = await this.getObject(namespace)
        if (current && deletionHeldBy(current)) throw this.stillDeleting(namespace, current)
        try {
          if (current) {
            const body = withDentries(current, dtab, current.metadata.resourceVersion)
            const written = parseObject(
              await this.dtabs.replace(this.k8sNamespace, namespace, body),
            )
            return await this.written(namespace, written, dtab, 'put', current, options)
          }
          const body = newDTab(this.k8sNamespace, namespace, dtab)
          const created = parseObject(await this.dtabs.create(this.k8sNamespace, body))
          return await this.written(namespace, created, dtab, 'put', null, options)
        } catch (err) {
          // Someone else wrote in between: read again and retry.
          if (!isKubeError(err) || !['conflict', 'not_found', 'already_exists'].includes(err.code))
            throw err
        }
      }
      throw this.gaveUp(namespace, 'put')
    })
  }

  async update(
    namespace: string,
    dtab: Dtab,
    version: Uint8Array,
    options: WriteOptions = {},
  ): Promise<Uint8Array> {
    this.check(namespace)
    const rv = resourceVersionOf(version)
    return this.run(async () => {
      const base = await this.objectAt(namespace, rv, version)
      let written: DTabObject
      try {
        const body = withDentries(base, dtab, base.metadata.resourceVersion)
        written = parseObject(await this.dtabs.replace(this.k8sNamespace, namespace, body))
      } catch (err) {
        throw await this.refusal(err, namespace, version)
      }
      return this.written(namespace, written, dtab, 'update', base, options)
    })
  }

  async delete(namespace: string, options: DeleteOptions = {}): Promise<void> {
    this.check(namespace)
    const { version } = options
    await this.run(async () => {
      let deleted: DTabObject | null = null
      if (version) {
        const base = await this.objectAt(namespace, resourceVersionOf(version), version)
        try {
          const rv = base.metadata.resourceVersion
          await this.dtabs.delete(this.k8sNamespace, namespace, { resourceVersion: rv })
        } catch (err) {
          throw await this.refusal(err, namespace, version)
        }
        deleted = base
      } else {
        for (let attempt = 0; deleted === null; attempt++) {
          if (attempt >= MAX_WRITE_ATTEMPTS) throw this.gaveUp(namespace, 'delete')
          const found = await this.getObject(namespace)
          const current = live(found)
          if (!current) throw this.missing(namespace, found)
          try {
            // With the version read as a precondition, so history says exactly what went.
            const rv = current.metadata.resourceVersion
            await this.dtabs.delete(this.k8sNamespace, namespace, { resourceVersion: rv })
            deleted = current
          } catch (err) {
            if (!isKubeError(err) || (err.code !== 'conflict' && err.code !== 'not_found'))
              throw err
          }
        }
      }
      await this.recorder.record(namespace, {
        op: 'delete',
        version: null,
        previous: deleted.metadata.resourceVersion,
        who: options.who ?? null,
        why: options.why ?? null,
        dtab: null,
        replaced: this.recorder.textOf(namespace, deleted),
      })
    })
  }

  // --- watches -------------------------------------------------------------------------------

  watch(namespace: string, options: WatchOptions = {}): AsyncIterableIterator<DtabEvent> {
    this.check(namespace)
    return this.watches.watch(namespace, options)
  }

  watchList(options: WatchOptions = {}): AsyncIterableIterator<NamespacesEvent> {
    this.open()
    return this.watches.watchList(options)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.closing.abort()
    this.watches.close()
    this.healthState.close()
    await this.reflector.stop()
  }

  // --- calls ---------------------------------------------------------------------------------

  private open(): void {
    if (this.closed) throw new StoreClosedError()
  }

  private check(namespace: string): void {
    this.open()
    checkNamespace(namespace, K8S_NAMESPACE_RULE)
  }

  /** Runs an operation; Kubernetes failures become StoreUnavailableError with their message. */
  private async run<T>(operation: () => Promise<T>): Promise<T> {
    this.open()
    try {
      return await operation()
    } catch (err) {
      throw this.storeError(err)
    }
  }

  /** A read from the API server, or from the last known state when it is away. */
  private async read<T>(direct: () => Promise<T>, cached: () => T): Promise<T> {
    try {
      return await readOrLastKnown({
        reflector: this.reflector,
        staleReadMs: this.staleReadMs,
        direct,
        cached,
      })
    } catch (err) {
      throw this.storeError(err)
    }
  }

  private storeError(err: unknown): Error {
    if (err instanceof StoreError) return err
    if (isKubeError(err)) return new StoreUnavailableError(err.message, err)
    const detail = err instanceof Error ? err.message : String(err)
    return new StoreUnavailableError(`the Kubernetes API at ${this.server}: ${detail}`, err)
  }

  private getObject(namespace: string): Promise<DTabObject | null> {
    return this.reader.get(namespace)
  }

  private listNames(): Promise<string[]> {
    return this.reader.names()
  }

  /**
   * The object to write over, if it is at `rv`: the watch loop's copy when it is at that
   * version, else a direct read. NamespaceNotFoundError or VersionMismatchError otherwise; a
   * version that is no resourceVersion at all is refused here, without a write.
   */
  private async objectAt(
    namespace: string,
    rv: string | null,
    version: Uint8Array,
  ): Promise<DTabObject> {
    const cached = this.reflector.get(namespace)
    const base =
      rv !== null && cached?.metadata.resourceVersion === rv
        ? cached
        : await this.getObject(namespace)
    if (!base || deletionHeldBy(base)) throw this.missing(namespace, base)
    if (base.metadata.resourceVersion !== rv)
      throw new VersionMismatchError(namespace, version, versionOf(base))
    return base
  }

  /** A refused conditional write: the namespace is gone, or at another version. */
  private async refusal(err: unknown, namespace: string, version: Uint8Array): Promise<unknown> {
    if (!isKubeError(err)) return err
    if (err.code === 'not_found') return this.notFound(namespace)
    if (err.code !== 'conflict') return err
    const now = await this.getObject(namespace)
    const alive = live(now)
    return alive
      ? new VersionMismatchError(namespace, version, versionOf(alive))
      : this.missing(namespace, now)
  }

  /** After a DTab write: checks the API server kept the dentries, records history. */
  private async written(
    namespace: string,
    object: DTabObject,
    dtab: Dtab,
    op: 'create' | 'put' | 'update',
    /** The object as it was before, if there was one. */
    replaced: DTabObject | null,
    options: WriteOptions,
  ): Promise<Uint8Array> {
    const rv = object.metadata.resourceVersion
    const kept = (object as { dentries?: unknown }).dentries
    if (!Array.isArray(kept) || kept.length !== dtab.length) {
      throw new StoreUnavailableError(
        `the Kubernetes API at ${this.server} did not keep the dentries of ${JSON.stringify(namespace)} ` +
          "(the installed CRD dtabs.l5d.io prunes them: its schema is too narrow, and namerd's " +
          'objects lose their routes too): kubectl apply -k deploy/crd',
      )
    }
    await this.recorder.record(namespace, {
      op,
      version: rv,
      previous: replaced?.metadata.resourceVersion ?? null,
      who: options.who ?? null,
      why: options.why ?? null,
      dtab: Dtab.show(dtab),
      replaced: replaced && this.recorder.textOf(namespace, replaced),
    })
    return versionOf(object)
  }

  private missing(namespace: string, object: DTabObject | null): NamespaceNotFoundError {
    return notFoundError(namespace, this.k8sNamespace, object)
  }

  private stillDeleting(namespace: string, object: DTabObject): StoreUnavailableError {
    return stillDeletingError(namespace, this.k8sNamespace, object)
  }

  private gaveUp(namespace: string, op: string): StoreUnavailableError {
    return new StoreUnavailableError(
      `${op} of namespace ${JSON.stringify(namespace)} lost ${MAX_WRITE_ATTEMPTS} races in a row to other writers; try again`,
    )
  }
}
