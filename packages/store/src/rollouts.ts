// Two more facets of a store, for rollouts (docs/design/rollouts.md §2): the rollouts themselves,
// versioned with compare-and-swap like dtabs, and leases, which elect the one namerd replica that
// drives them and let each replica publish its proxies. Every backend provides both and passes
// test/rollout-contract.ts; the semantics are the same on all of them (etcd's own leases are not
// used, so an expired lease means the same thing everywhere: see lease-elector.ts).
import type { Rollout } from '@switchyard/wire'
import { StoreError, type WatchOptions } from './store.js'

export interface VersionedRollout {
  readonly rollout: Rollout
  /** Opaque; compare with versionsEqual, send as an ETag with versionToETag. */
  readonly version: Uint8Array
}

export interface RolloutListFilter {
  readonly namespace?: string
  /** true: only non-terminal rollouts; false: only terminal ones. */
  readonly active?: boolean
}

export type RolloutStoreEvent =
  | { readonly type: 'rollout'; readonly rollout: Rollout; readonly version: Uint8Array }
  | { readonly type: 'removed'; readonly namespace: string; readonly id: string }
  /** Every rollout that existed when the watch began has been sent. */
  | { readonly type: 'synced' }

export interface RolloutStore {
  get(namespace: string, id: string): Promise<VersionedRollout | null>
  /** Sorted by namespace, then createdAt. A corrupt entry is skipped (and logged by the backend). */
  list(filter?: RolloutListFilter): Promise<VersionedRollout[]>
  /**
   * Stores a new rollout, atomically with the rule "one non-terminal rollout per (namespace,
   * prefix)": RolloutActiveError naming the active one otherwise, and nothing changes. Does not
   * check that the dtab namespace exists (namerd does). RolloutExistsError on a taken id.
   */
  create(rollout: Rollout): Promise<Uint8Array>
  /**
   * Compare-and-swap: VersionMismatchError when `version` is stale, RolloutNotFoundError when
   * gone. Moving to a terminal phase frees the prefix. namespace, id and prefix never change.
   */
  update(rollout: Rollout, version: Uint8Array): Promise<Uint8Array>
  /** Every rollout now (one `rollout` event each), then `synced`, then every change in order. */
  watch(options?: WatchOptions): AsyncIterableIterator<RolloutStoreEvent>
  /** Removes terminal rollouts that ended before `before`, keeping the newest `keep` per namespace. */
  prune(before: Date, keep: number): Promise<number>
}

export interface LeaseRecord {
  readonly name: string
  /** Who holds it; null when released. */
  readonly holder: string | null
  readonly durationMs: number
  readonly acquiredAt: Date | null
  /** For people only: expiry is judged on the observer's own clock (lease-elector.ts). */
  readonly renewedAt: Date | null
  /** How many times the holder changed. */
  readonly transitions: number
  /** At most MAX_LEASE_DATA bytes (a replica's proxies, as JSON). */
  readonly data: string | null
  readonly version: Uint8Array
}

export type LeaseWrite = Omit<LeaseRecord, 'name' | 'version'>

export const MAX_LEASE_DATA = 64 * 1024
/** Lease names: `rollouts-leader`, `replica.<replicaId>`. */
export const LEASE_NAME = /^[a-z0-9]([-.a-z0-9_]{0,200}[a-z0-9])?$/

export interface LeaseStore {
  get(name: string): Promise<LeaseRecord | null>
  /** Leases whose name starts with `prefix`, sorted by name. */
  list(prefix: string): Promise<LeaseRecord[]>
  /**
   * Creates (expected null: VersionMismatchError if it exists), or takes over, renews or releases
   * by compare-and-swap (VersionMismatchError when stale or gone). Data over MAX_LEASE_DATA is refused.
   */
  write(name: string, next: LeaseWrite, expected: Uint8Array | null): Promise<LeaseRecord>
  delete(name: string, expected: Uint8Array): Promise<void>
}

export class RolloutActiveError extends StoreError {
  readonly code = 'rollout_active'
  readonly status = 409
  override readonly name = 'RolloutActiveError'
  constructor(
    readonly namespace: string,
    readonly prefix: string,
    /** The id of the rollout already active on the prefix. */
    readonly activeId: string,
  ) {
    super(
      `rollout ${activeId} is already active on ${prefix} in namespace ${JSON.stringify(namespace)}; ` +
        'wait for it to end, or abort it (namerctl rollout abort)',
    )
  }
}

export class RolloutExistsError extends StoreError {
  readonly code = 'rollout_exists'
  readonly status = 409
  override readonly name = 'RolloutExistsError'
  constructor(
    readonly namespace: string,
    readonly id: string,
  ) {
    super(`rollout ${id} already exists in namespace ${JSON.stringify(namespace)}`)
  }
}

export class RolloutNotFoundError extends StoreError {
  readonly code = 'rollout_not_found'
  readonly status = 404
  override readonly name = 'RolloutNotFoundError'
  constructor(
    readonly namespace: string,
    readonly id: string,
  ) {
    super(
      `no rollout ${id} in namespace ${JSON.stringify(namespace)} (namerctl rollout list ${namespace})`,
    )
  }
}

export class InvalidLeaseError extends StoreError {
  readonly code = 'invalid_lease'
  readonly status = 400
  override readonly name = 'InvalidLeaseError'
}
