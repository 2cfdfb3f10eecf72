// The DtabStore port: one versioned dtab per namespace, compare-and-swap writes, watches and a
// bounded history. Every backend (memory, file, etcd, k8s) implements it and passes
// test/contract.ts.
import type { Dtab } from '@switchyard/dtab'
import { NAMESPACE_RULE, type NamespaceRule } from './namespace.js'
import type { LeaseStore, RolloutStore } from './rollouts.js'
import { versionToETag } from './version.js'

export type StoreKind = 'memory' | 'file' | 'etcd' | 'k8s'

/** A namespace's dtab and the opaque version it is at (namerd's `VersionedDtab`). */
export interface VersionedDtab {
  readonly namespace: string
  readonly dtab: Dtab
  /** Opaque; compare with `versionsEqual`, send as an ETag with `versionToETag`. */
  readonly version: Uint8Array
}

export interface WriteOptions {
  /** Who made the change, recorded in history (a user, a token name, a pipeline). */
  readonly who?: string
  /** Why (a rollout's step and verdict), recorded in history beside `who`. */
  readonly why?: string
}

export interface DeleteOptions extends WriteOptions {
  /** Delete only if the namespace is still at this version (compare-and-swap). */
  readonly version?: Uint8Array
}

export interface WatchOptions {
  /**
   * How many undelivered events a slow consumer may leave queued before the queue is collapsed
   * to the latest state. Default 64. Memory per watcher stays bounded whatever the consumer does.
   */
  readonly maxPending?: number
  /** Ends the watch (the iterator finishes) when aborted. */
  readonly signal?: AbortSignal
}

export interface HistoryOptions {
  /** At most this many entries, newest first. Default: all that the store keeps. */
  readonly limit?: number
}

/** One state of a watched namespace. Consecutive events never repeat a state. */
export type DtabEvent =
  | {
      readonly type: 'dtab'
      readonly namespace: string
      readonly dtab: Dtab
      readonly version: Uint8Array
    }
  /** The first event when the namespace does not exist (yet). */
  | { readonly type: 'absent'; readonly namespace: string }
  /** The namespace existed while watched and has been deleted. */
  | { readonly type: 'deleted'; readonly namespace: string }
  /** The stored entry cannot be read; the watch goes on and reports the next good state. */
  | { readonly type: 'corrupt'; readonly namespace: string; readonly error: CorruptEntryError }

/** The set of namespaces, sorted, with what changed since the previous event. */
export interface NamespacesEvent {
  readonly type: 'namespaces'
  readonly namespaces: readonly string[]
  readonly added: readonly string[]
  readonly removed: readonly string[]
}

interface HistoryCommon {
  /**
   * The version this write produced. For a delete it is the store's revision of the deletion,
   * a version no dtab ever has.
   */
  readonly version: Uint8Array
  /** The version this write replaced; null when it created the namespace. */
  readonly previous: Uint8Array | null
  readonly time: Date
  readonly who: string | null
  /** Why (WriteOptions.why); null for writes that gave none, and records from before it existed. */
  readonly why: string | null
}

/** One past change of a namespace. */
export type HistoryEntry =
  | (HistoryCommon & {
      readonly op: 'create' | 'put' | 'update'
      /** The dtab as stored: `Dtab.show` text. */
      readonly dtab: string
    })
  | (HistoryCommon & { readonly op: 'delete'; readonly dtab: null })

/**
 * Whether a store can serve now. A store backed by a remote server it mirrors (k8s) may serve
 * its last known state while that server is away: `stale`. One that never got a first state
 * cannot serve: `starting`.
 */
export type StoreHealth =
  | { readonly state: 'ok' }
  /** Serving and taking writes, but something else is wrong (the k8s store: history is not recorded). */
  | { readonly state: 'degraded'; readonly since: Date; readonly problem: string }
  | { readonly state: 'starting'; readonly since: Date; readonly problem: string | null }
  | { readonly state: 'stale'; readonly since: Date; readonly problem: string }

export interface DtabStore {
  readonly kind: StoreKind
  /**
   * The namespace names this store accepts, when narrower than the default rule (NAMESPACE_RULE);
   * see namespaceRuleOf.
   */
  readonly namespaceRule?: NamespaceRule
  /** For stores that mirror a remote server; absent means always `ok` when it answers. */
  health?(): StoreHealth
  /**
   * The error for a namespace that does not exist, saying where the store looked when a dtab
   * namespace could be taken for something else (on the k8s store, a Kubernetes namespace).
   * Absent: a plain NamespaceNotFoundError.
   */
  notFound?(namespace: string): NamespaceNotFoundError
  /** Every namespace that exists, sorted. */
  list(): Promise<string[]>
  /** The namespace's dtab and version, or null if it does not exist. */
  get(namespace: string): Promise<VersionedDtab | null>
  /** Creates the namespace; NamespaceExistsError if it exists. Returns the new version. */
  create(namespace: string, dtab: Dtab, options?: WriteOptions): Promise<Uint8Array>
  /** Creates or replaces, unconditionally. Returns the new version. */
  put(namespace: string, dtab: Dtab, options?: WriteOptions): Promise<Uint8Array>
  /**
   * Replaces the dtab if the namespace is still at `version`: VersionMismatchError if not,
   * NamespaceNotFoundError if it does not exist. Returns the new version.
   */
  update(
    namespace: string,
    dtab: Dtab,
    version: Uint8Array,
    options?: WriteOptions,
  ): Promise<Uint8Array>
  /** NamespaceNotFoundError if absent; VersionMismatchError if `options.version` is stale. */
  delete(namespace: string, options?: DeleteOptions): Promise<void>
  /**
   * The namespace's current state (a `dtab` or `absent` event), then every change in order.
   * Ends when the consumer breaks out, the signal aborts or the store closes.
   */
  watch(namespace: string, options?: WatchOptions): AsyncIterableIterator<DtabEvent>
  /** The current set of namespaces, then the set each time it changes. */
  watchList(options?: WatchOptions): AsyncIterableIterator<NamespacesEvent>
  /** Past changes, newest first, bounded by the store's history limit. [] if never written. */
  history(namespace: string, options?: HistoryOptions): Promise<HistoryEntry[]>
  /** Ends every watch and releases connections, handles and timers. Idempotent. */
  close(): Promise<void>
  /** Rollouts stored beside the dtabs (rollouts.ts). Every backend of ours has it. */
  readonly rollouts?: RolloutStore
  /** Leases for electing the rollout leader and publishing replicas (rollouts.ts). */
  readonly leases?: LeaseStore
}

/** Default number of history entries kept per namespace. */
export const DEFAULT_HISTORY_LIMIT = 100

export type StoreErrorCode =
  | 'invalid_namespace'
  | 'namespace_not_found'
  | 'namespace_exists'
  | 'version_mismatch'
  | 'corrupt_entry'
  | 'store_unavailable'
  | 'store_closed'
  | 'rollout_active'
  | 'rollout_exists'
  | 'rollout_not_found'
  | 'invalid_lease'

/** Every error a store raises; `status` is the HTTP status namerd's API answers with. */
export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode
  abstract readonly status: number
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError
}

/** Quotes a namespace for a message, shortened so a 10 kB name does not flood a log. */
function q(namespace: string): string {
  return JSON.stringify(namespace.length > 80 ? `${namespace.slice(0, 77)}...` : namespace)
}

export class InvalidNamespaceError extends StoreError {
  readonly code = 'invalid_namespace'
  readonly status = 400
  override readonly name = 'InvalidNamespaceError'
  constructor(
    readonly namespace: string,
    /** The rule that applies, as the message states it. */
    readonly rule: string = NAMESPACE_RULE,
  ) {
    super(`invalid namespace ${q(namespace)}: ${rule}`)
  }
}

export class NamespaceNotFoundError extends StoreError {
  readonly code = 'namespace_not_found'
  readonly status = 404
  override readonly name = 'NamespaceNotFoundError'
  constructor(
    readonly namespace: string,
    /**
     * Where the store looked, when that is not obvious, said after the message in parentheses
     * (the k8s store: `no DTab internal in Kubernetes namespace default`). The message starts
     * `namespace "<ns>" does not exist` either way, as namerd's does.
     */
    readonly where?: string,
  ) {
    super(`namespace ${q(namespace)} does not exist${where ? ` (${where})` : ''}`)
  }
}

export class NamespaceExistsError extends StoreError {
  readonly code = 'namespace_exists'
  readonly status = 409
  override readonly name = 'NamespaceExistsError'
  constructor(readonly namespace: string) {
    super(`namespace ${q(namespace)} already exists; update it, or put to replace it`)
  }
}

export class VersionMismatchError extends StoreError {
  readonly code = 'version_mismatch'
  readonly status = 412
  override readonly name = 'VersionMismatchError'
  constructor(
    readonly namespace: string,
    readonly expected: Uint8Array,
    /** The version it is at now, when the store knows it. */
    readonly actual: Uint8Array | null,
    /** What changed, when not the namespace's dtab: `rollout world-1 in namespace "web"`, `lease rollouts-leader`. */
    subject?: string,
  ) {
    const now = actual ? `, now at ${versionToETag(actual)}` : ''
    super(
      `${subject ?? `namespace ${q(namespace)}`} changed since version ${versionToETag(expected) || '(empty)'} was read${now}; read it again and retry`,
    )
  }
}

/** A stored entry that does not parse: a hand edit, a bad disk, another program's value. */
export class CorruptEntryError extends StoreError {
  readonly code = 'corrupt_entry'
  readonly status = 500
  override readonly name = 'CorruptEntryError'
  constructor(
    readonly namespace: string,
    /** Where it is stored: a file path or an etcd key. */
    readonly location: string,
    detail: string,
    /** The version of the bad entry, when known. */
    readonly version: Uint8Array | null = null,
    override readonly cause?: unknown,
  ) {
    super(`namespace ${q(namespace)}: the stored dtab at ${location} cannot be read: ${detail}`)
  }
}

export class StoreUnavailableError extends StoreError {
  readonly code = 'store_unavailable'
  readonly status = 503
  override readonly name = 'StoreUnavailableError'
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message)
  }
}

export class StoreClosedError extends StoreError {
  readonly code = 'store_closed'
  readonly status = 503
  override readonly name = 'StoreClosedError'
  constructor() {
    super('the dtab store is closed')
  }
}
