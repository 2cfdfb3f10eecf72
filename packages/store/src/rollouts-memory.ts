// Rollouts and leases of the memory store: maps in this process, versions an 8-byte counter (as
// the memory store's dtabs), watches in-process. JavaScript runs one write at a time, so the
// "one active rollout per prefix" check and the write are atomic without a lock.
import { isTerminal, type Rollout } from '@switchyard/wire'
import {
  type LeaseRecord,
  type LeaseStore,
  type LeaseWrite,
  RolloutActiveError,
  RolloutExistsError,
  type RolloutListFilter,
  RolloutNotFoundError,
  type RolloutStore,
  type RolloutStoreEvent,
  type VersionedRollout,
} from './rollouts.js'
import {
  checkLease,
  checkRollout,
  listed,
  prunable,
  type RolloutChannel,
  rolloutChannel,
  rolloutSubject,
} from './rollouts-common.js'
import { StoreClosedError, VersionMismatchError, type WatchOptions } from './store.js'
import { counterVersion, versionCounter } from './version.js'

const key = (namespace: string, id: string) => `${namespace}\u0000${id}`

interface Held {
  readonly rollout: Rollout
  readonly seq: number
}

export class MemoryRollouts implements RolloutStore {
  private readonly rollouts = new Map<string, Held>()
  private readonly watchers = new Set<RolloutChannel>()
  private counter = 0

  constructor(private readonly isClosed: () => boolean) {}

  async get(namespace: string, id: string): Promise<VersionedRollout | null> {
    this.open()
    const held = this.rollouts.get(key(namespace, id))
    return held ? versioned(held) : null
  }

  async list(filter?: RolloutListFilter): Promise<VersionedRollout[]> {
    this.open()
    return listed([...this.rollouts.values()].map(versioned), filter)
  }

  async create(rollout: Rollout): Promise<Uint8Array> {
    this.open()
    const r = structuredClone(checkRollout(rollout))
    if (this.rollouts.has(key(r.namespace, r.id))) throw new RolloutExistsError(r.namespace, r.id)
    if (!isTerminal(r.phase)) {
      for (const held of this.rollouts.values()) {
        const o = held.rollout
        if (o.namespace === r.namespace && o.prefix === r.prefix && !isTerminal(o.phase)) {
          throw new RolloutActiveError(r.namespace, r.prefix, o.id)
        }
      }
    }
    return this.commit(r)
  }

  async update(rollout: Rollout, version: Uint8Array): Promise<Uint8Array> {
    this.open()
    const r = structuredClone(checkRollout(rollout))
    const held = this.rollouts.get(key(r.namespace, r.id))
    if (!held) throw new RolloutNotFoundError(r.namespace, r.id)
    if (versionCounter(version) !== held.seq) {
      throw new VersionMismatchError(
        r.namespace,
        version,
        counterVersion(held.seq),
        rolloutSubject(r),
      )
    }
    return this.commit({ ...r, prefix: held.rollout.prefix })
  }

  watch(options: WatchOptions = {}): AsyncIterableIterator<RolloutStoreEvent> {
    this.open()
    const channel = rolloutChannel(options, () => this.watchers.delete(channel))
    this.watchers.add(channel)
    for (const v of listed([...this.rollouts.values()].map(versioned))) {
      channel.push({ type: 'rollout', rollout: v.rollout, version: v.version })
    }
    channel.push({ type: 'synced' })
    return channel
  }

  async prune(before: Date, keep: number): Promise<number> {
    this.open()
    const gone = prunable(
      [...this.rollouts.values()].map((h) => h.rollout),
      before,
      keep,
    )
    for (const r of gone) {
      this.rollouts.delete(key(r.namespace, r.id))
      this.emit({ type: 'removed', namespace: r.namespace, id: r.id })
    }
    return gone.length
  }

  /** Ends every watch (the store is closing). */
  end(): void {
    for (const w of [...this.watchers]) w.end()
  }

  private commit(rollout: Rollout): Uint8Array {
    const held = { rollout, seq: ++this.counter }
    this.rollouts.set(key(rollout.namespace, rollout.id), held)
    const v = versioned(held)
    this.emit({ type: 'rollout', rollout: v.rollout, version: v.version })
    return v.version
  }

  private emit(event: RolloutStoreEvent): void {
    for (const w of this.watchers) w.push(event)
  }

  private open(): void {
    if (this.isClosed()) throw new StoreClosedError()
  }
}

function versioned(held: Held): VersionedRollout {
  return { rollout: structuredClone(held.rollout), version: counterVersion(held.seq) }
}

export class MemoryLeases implements LeaseStore {
  private readonly leases = new Map<string, { lease: LeaseWrite; seq: number }>()
  private counter = 0

  constructor(private readonly isClosed: () => boolean) {}

  async get(name: string): Promise<LeaseRecord | null> {
    this.open()
    const held = this.leases.get(name)
    return held ? record(name, held.lease, held.seq) : null
  }

  async list(prefix: string): Promise<LeaseRecord[]> {
    this.open()
    return [...this.leases.entries()]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, held]) => record(name, held.lease, held.seq))
  }

  async write(name: string, next: LeaseWrite, expected: Uint8Array | null): Promise<LeaseRecord> {
    this.open()
    checkLease(name, next)
    this.expect(name, expected)
    const seq = ++this.counter
    const lease = { ...next }
    this.leases.set(name, { lease, seq })
    return record(name, lease, seq)
  }

  async delete(name: string, expected: Uint8Array): Promise<void> {
    this.open()
    this.expect(name, expected)
    this.leases.delete(name)
  }

  private expect(name: string, expected: Uint8Array | null): void {
    const held = this.leases.get(name)
    const actual = held ? counterVersion(held.seq) : null
    if (expected === null ? held !== undefined : !held || versionCounter(expected) !== held.seq) {
      throw new VersionMismatchError('', expected ?? new Uint8Array(0), actual, `lease ${name}`)
    }
  }

  private open(): void {
    if (this.isClosed()) throw new StoreClosedError()
  }
}

function record(name: string, lease: LeaseWrite, seq: number): LeaseRecord {
  return { name, ...lease, version: counterVersion(seq) }
}
