// Rollouts and leases of the etcd store, beside the dtabs under the same prefix `<p>` (the dtab
// prefix without its trailing `/`):
//
//   <p>.rollouts/<ns>/<id>              the rollout's JSON; its version is the key's mod revision
//   <p>.rollouts-active/<ns>/<hash16>   the id of the rollout that took the (namespace, prefix)
//   <p>.leases/<name>                   a lease's JSON; its version is the key's mod revision
//
// Every write is one transaction comparing mod revisions, so compare-and-swap holds across
// replicas. create writes the rollout and the active key together, on condition that the id is
// free and the active key is as read (absent, or naming a rollout that is terminal or gone); a
// terminal update frees the prefix without touching the active key. etcd's own leases are not
// used: expiry is judged by the observer (lease-elector.ts), the same on every backend.
import type { Rollout } from '@switchyard/wire'
import { isTerminal } from '@switchyard/wire'
import type { Etcd3, IKeyValue } from 'etcd3'
import { Follower } from './etcd-store.js'
import type { StoreLogger } from './k8s-health.js'
import { checkNamespace } from './namespace.js'
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
  leaseJson,
  listed,
  prefixHash,
  prunable,
  type RolloutChannel,
  readLease,
  readStoredRollout,
  rolloutChannel,
  rolloutJson,
  rolloutSubject,
} from './rollouts-common.js'
import { CorruptEntryError, VersionMismatchError, type WatchOptions } from './store.js'
import { revisionVersion, versionRevision } from './version.js'

export interface EtcdFacetContext {
  readonly client: Etcd3
  /** The dtab prefix without its trailing `/`. */
  readonly base: string
  /** Runs a call: refuses when closed, turns etcd failures into StoreUnavailableError. */
  call<T>(run: () => Promise<T>): Promise<T>
  /** Registers a running watch, so that closing the store ends it. */
  follow(follower: Follower, channel: { end(): void }): void
  unfollow(follower: Follower): void
  readonly log?: StoreLogger
}

const MAX_ATTEMPTS = 100

export class EtcdRollouts implements RolloutStore {
  private readonly prefix: string
  private readonly activePrefix: string

  constructor(private readonly ctx: EtcdFacetContext) {
    this.prefix = `${ctx.base}.rollouts/`
    this.activePrefix = `${ctx.base}.rollouts-active/`
  }

  private key(namespace: string, id: string): string {
    return `${this.prefix}${namespace}/${id}`
  }

  async get(namespace: string, id: string): Promise<VersionedRollout | null> {
    return this.ctx.call(async () => {
      const kv = (await this.ctx.client.get(this.key(namespace, id)).exec()).kvs[0]
      return kv ? this.read(kv) : null
    })
  }

  async list(filter: RolloutListFilter = {}): Promise<VersionedRollout[]> {
    return this.ctx.call(async () => {
      const prefix =
        filter.namespace === undefined ? this.prefix : `${this.prefix}${filter.namespace}/`
      const res = await this.ctx.client.getAll().prefix(prefix).exec()
      const all: VersionedRollout[] = []
      for (const kv of res.kvs) {
        const v = this.readOrSkip(kv)
        if (v) all.push(v)
      }
      return listed(all, filter)
    })
  }

  async create(rollout: Rollout): Promise<Uint8Array> {
    const r = checkRollout(rollout)
    checkNamespace(r.namespace)
    return this.ctx.call(async () => {
      const { client } = this.ctx
      const key = this.key(r.namespace, r.id)
      const activeKey = `${this.activePrefix}${r.namespace}/${prefixHash(r.namespace, r.prefix)}`
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        let active: IKeyValue | undefined
        if (!isTerminal(r.phase)) {
          active = (await client.get(activeKey).exec()).kvs[0]
          if (active) {
            const holder = active.value.toString('utf8')
            const held = (await client.get(this.key(r.namespace, holder)).exec()).kvs[0]
            if (held && holder !== r.id) {
              let holds = true // unreadable: it may well be active; refuse rather than risk two
              try {
                const o = this.read(held).rollout
                holds = !isTerminal(o.phase) && o.prefix === r.prefix
              } catch {}
              if (holds) throw new RolloutActiveError(r.namespace, r.prefix, holder)
            }
          }
        }
        let txn = client.if(key, 'Create', '==', 0)
        if (!isTerminal(r.phase)) {
          txn = active
            ? txn.and(activeKey, 'Mod', '==', active.mod_revision)
            : txn.and(activeKey, 'Create', '==', 0)
        }
        const writes = [client.put(key).value(rolloutJson(r))]
        if (!isTerminal(r.phase)) writes.push(client.put(activeKey).value(r.id))
        const res = await txn
          .then(...writes)
          .else(client.get(key))
          .commit()
        if (res.succeeded) return revisionVersion(res.header.revision)
        if (res.responses[0]?.response_range?.kvs[0])
          throw new RolloutExistsError(r.namespace, r.id)
        // The active key moved under us: look again.
      }
      throw new RolloutActiveError(r.namespace, r.prefix, '(another, changing as we look)')
    })
  }

  async update(rollout: Rollout, version: Uint8Array): Promise<Uint8Array> {
    const r = checkRollout(rollout)
    return this.ctx.call(async () => {
      const { client } = this.ctx
      const key = this.key(r.namespace, r.id)
      const revision = versionRevision(version)
      const current = (await client.get(key).exec()).kvs[0]
      if (!current) throw new RolloutNotFoundError(r.namespace, r.id)
      // namespace, id and prefix never change.
      let prefix = r.prefix
      try {
        prefix = this.read(current).rollout.prefix
      } catch {}
      if (revision !== null) {
        const res = await client
          .if(key, 'Mod', '==', revision.toString())
          .then(client.put(key).value(rolloutJson({ ...r, prefix })))
          .else(client.get(key))
          .commit()
        if (res.succeeded) return revisionVersion(res.header.revision)
        const now = res.responses[0]?.response_range?.kvs[0]
        if (!now) throw new RolloutNotFoundError(r.namespace, r.id)
        throw new VersionMismatchError(
          r.namespace,
          version,
          revisionVersion(now.mod_revision),
          rolloutSubject(r),
        )
      }
      throw new VersionMismatchError(
        r.namespace,
        version,
        revisionVersion(current.mod_revision),
        rolloutSubject(r),
      )
    })
  }

  watch(options: WatchOptions = {}): AsyncIterableIterator<RolloutStoreEvent> {
    const { client } = this.ctx
    let synced = false
    const channel: RolloutChannel = rolloutChannel(options, () => this.ctx.unfollow(follower))
    const follower: Follower = new Follower(
      client,
      { prefix: this.prefix },
      {
        load: async () => {
          const res = await client.getAll().prefix(this.prefix).exec()
          const all: VersionedRollout[] = []
          for (const kv of res.kvs) {
            const v = this.readOrSkip(kv)
            if (v) all.push(v)
          }
          for (const v of listed(all)) {
            channel.push({ type: 'rollout', rollout: v.rollout, version: v.version })
          }
          // After a reload (etcd compacted past us, or came back empty), the state is sent again
          // but synced only once: the consumer treats the repeats as changes.
          if (!synced) channel.push({ type: 'synced' })
          synced = true
          return BigInt(res.header.revision)
        },
        apply: (e) => {
          if (e.type === 'Put') {
            const v = this.readOrSkip(e.kv)
            if (v) channel.push({ type: 'rollout', rollout: v.rollout, version: v.version })
            return
          }
          const [namespace, id] = e.kv.key.toString('utf8').slice(this.prefix.length).split('/')
          if (namespace !== undefined && id !== undefined) {
            channel.push({ type: 'removed', namespace, id })
          }
        },
      },
    )
    this.ctx.follow(follower, channel)
    return channel
  }

  async prune(before: Date, keep: number): Promise<number> {
    return this.ctx.call(async () => {
      const { client } = this.ctx
      const res = await client.getAll().prefix(this.prefix).exec()
      const present = res.kvs.flatMap((kv) => {
        const v = this.readOrSkip(kv)
        return v ? [{ rollout: v.rollout, kv }] : []
      })
      let removed = 0
      for (const r of prunable(
        present.map((p) => p.rollout),
        before,
        keep,
      )) {
        const at = present.find(
          (p) => p.rollout.namespace === r.namespace && p.rollout.id === r.id,
        )!
        const key = this.key(r.namespace, r.id)
        const txn = await client
          .if(key, 'Mod', '==', at.kv.mod_revision)
          .then(client.delete().key(key))
          .commit()
        if (txn.succeeded) removed++
      }
      return removed
    })
  }

  private read(kv: IKeyValue): VersionedRollout {
    const key = kv.key.toString('utf8')
    const [namespace = '', id = ''] = key.slice(this.prefix.length).split('/')
    const version = revisionVersion(kv.mod_revision)
    const rollout = readStoredRollout(namespace, id, kv.value.toString('utf8'), key, version)
    return { rollout, version }
  }

  private readOrSkip(kv: IKeyValue): VersionedRollout | null {
    try {
      return this.read(kv)
    } catch (err) {
      if (!(err instanceof CorruptEntryError)) throw err
      this.ctx.log?.warn(
        { key: kv.key.toString('utf8'), err: err.message },
        'skipping a corrupt rollout',
      )
      return null
    }
  }
}

export class EtcdLeases implements LeaseStore {
  private readonly prefix: string

  constructor(private readonly ctx: EtcdFacetContext) {
    this.prefix = `${ctx.base}.leases/`
  }

  async get(name: string): Promise<LeaseRecord | null> {
    return this.ctx.call(async () => {
      const kv = (await this.ctx.client.get(this.prefix + name).exec()).kvs[0]
      return kv ? this.read(kv) : null
    })
  }

  async list(prefix: string): Promise<LeaseRecord[]> {
    return this.ctx.call(async () => {
      const res = await this.ctx.client
        .getAll()
        .prefix(this.prefix + prefix)
        .exec()
      return res.kvs
        .flatMap((kv) => {
          const l = this.read(kv)
          return l ? [l] : []
        })
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    })
  }

  async write(name: string, next: LeaseWrite, expected: Uint8Array | null): Promise<LeaseRecord> {
    checkLease(name, next)
    return this.ctx.call(async () => {
      const { client } = this.ctx
      const key = this.prefix + name
      let revision = expected === null ? null : versionRevision(expected)
      if (expected !== null && revision === null) throw await this.mismatch(name, expected)
      if (expected === null) {
        // An unreadable lease reads as absent; a create replaces it, by its revision.
        const kv = (await client.get(key).exec()).kvs[0]
        if (kv && !this.read(kv)) revision = BigInt(kv.mod_revision)
      }
      const res = await (revision === null
        ? client.if(key, 'Create', '==', 0)
        : client.if(key, 'Mod', '==', revision.toString())
      )
        .then(client.put(key).value(leaseJson(next)))
        .commit()
      if (!res.succeeded) throw await this.mismatch(name, expected)
      return { name, ...next, version: revisionVersion(res.header.revision) }
    })
  }

  async delete(name: string, expected: Uint8Array): Promise<void> {
    await this.ctx.call(async () => {
      const { client } = this.ctx
      const key = this.prefix + name
      const revision = versionRevision(expected)
      if (revision === null) throw await this.mismatch(name, expected)
      const res = await client
        .if(key, 'Mod', '==', revision.toString())
        .then(client.delete().key(key))
        .commit()
      if (!res.succeeded) throw await this.mismatch(name, expected)
    })
  }

  private async mismatch(name: string, expected: Uint8Array | null): Promise<VersionMismatchError> {
    const kv = (await this.ctx.client.get(this.prefix + name).exec()).kvs[0]
    return new VersionMismatchError(
      '',
      expected ?? new Uint8Array(0),
      kv ? revisionVersion(kv.mod_revision) : null,
      `lease ${name}`,
    )
  }

  /** A lease that cannot be read counts as absent for list and get (a write by CAS replaces it). */
  private read(kv: IKeyValue): LeaseRecord | null {
    const lease = readLease(kv.value.toString('utf8'))
    if (!lease) return null
    const name = kv.key.toString('utf8').slice(this.prefix.length)
    return { name, ...lease, version: revisionVersion(kv.mod_revision) }
  }
}
