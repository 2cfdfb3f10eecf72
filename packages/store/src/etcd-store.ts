// The etcd (v3) store. Layout, as namerd's etcd store kept it (there over the v2 API):
//
//   <prefix><namespace>                  the dtab, as `Dtab.show` text
//   <history prefix><namespace>/<id>     one JSON record per change, written in the same
//                                        transaction as the change
//
// A version is the dtab key's mod revision as decimal UTF-8 (revision 42 is ETag `NDI=`), and
// every conditional write is one transaction comparing that revision, so compare-and-swap holds
// across any number of namerd replicas. Watches use etcd's watch API and resume from the last
// revision they applied after a disconnect or an etcd restart.
import { randomUUID } from 'node:crypto'
import type { Dtab } from '@switchyard/dtab'
import { Etcd3, type IEvent, type IKeyValue, type IOptions, type Watcher } from 'etcd3'
import { z } from 'zod'
import { dtabChannel, listChannel, namespacesState } from './events.js'
import { DEFAULT_ETCD_PREFIX } from './lazy-backends.js'
import { checkNamespace, isValidNamespace } from './namespace.js'
import { EtcdLeases, EtcdRollouts } from './rollouts-etcd.js'
import {
  DEFAULT_HISTORY_LIMIT,
  type DeleteOptions,
  type DtabEvent,
  type DtabStore,
  type HistoryEntry,
  type HistoryOptions,
  NamespaceExistsError,
  NamespaceNotFoundError,
  type NamespacesEvent,
  StoreClosedError,
  StoreError,
  StoreUnavailableError,
  type VersionedDtab,
  VersionMismatchError,
  type WatchOptions,
  type WriteOptions,
} from './store.js'
import { readStoredDtab, showDtab, storedEvent } from './stored-dtab.js'
import { revisionVersion, versionRevision } from './version.js'

export interface EtcdStoreOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379`. */
  readonly hosts: readonly string[]
  /** Key prefix of the dtabs. Default `/switchyard/dtabs/`; a `/` is added if missing. */
  readonly prefix?: string
  /** Key prefix of the history records. Default: the prefix without its `/`, plus `.history/`. */
  readonly historyPrefix?: string
  /** History records kept per namespace. Default 100. */
  readonly historyLimit?: number
  /** Deadline of each etcd call. Default 5000 ms. */
  readonly timeoutMs?: number
}

type FaultHandling = NonNullable<IOptions['faultHandling']>
type Policy = ReturnType<NonNullable<FaultHandling['host']>>
type PolicyContext = Parameters<Parameters<Policy['execute']>[0]>[0]
type Backoff = NonNullable<FaultHandling['watchBackoff']>

/**
 * Calls straight through. etcd3's defaults retry failed calls (which could apply a write twice
 * and then report our own write as a conflict) and open a 5 s circuit breaker after three
 * failures (which keeps a restarted etcd unused for 5 s). A store call that fails is reported
 * as unavailable, and callers retry.
 */
const passThrough: Policy = {
  get _altReturn(): never {
    throw new Error('type-only property')
  },
  onSuccess: () => ({ dispose() {} }),
  onFailure: () => ({ dispose() {} }),
  execute<T>(fn: (context: PolicyContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    return Promise.resolve().then(() => fn({ signal: signal ?? new AbortController().signal }))
  },
}

/** Watch stream reconnects: 50 ms doubling to at most 1 s, so a restarted etcd is found fast. */
function watchBackoff(ms: number): Backoff {
  return { duration: ms, next: () => watchBackoff(Math.min(ms * 2, 1000)) }
}

const Revision = z.string().regex(/^[1-9][0-9]*$/)
const HistoryRecord = z.strictObject({
  op: z.enum(['create', 'put', 'update', 'delete']),
  previous: Revision.nullable(),
  time: z.iso.datetime(),
  who: z.string().nullable(),
  /** Absent in records from before it existed. */
  why: z.string().nullable().optional(),
  dtab: z.string().nullable(),
})
type HistoryRecord = z.infer<typeof HistoryRecord>

export async function openEtcdStore(options: EtcdStoreOptions): Promise<DtabStore> {
  if (options.hosts.length === 0) throw new Error('etcd store: at least one host URL is needed')
  return new EtcdStore(options)
}

type Compare = { readonly type: 'absent' } | { readonly type: 'at'; readonly revision: string }

type TxnResult =
  | { readonly ok: true; readonly revision: string }
  | { readonly ok: false; readonly current: IKeyValue | undefined }

class EtcdStore implements DtabStore {
  readonly kind = 'etcd'
  private readonly client: Etcd3
  private readonly prefix: string
  private readonly historyPrefix: string
  private readonly historyLimit: number
  private readonly where: string
  /** Every running watch: its channel (to end) and its follower (to stop). */
  private readonly watches = new Map<Follower, { end(): void }>()
  private closed = false
  readonly rollouts: EtcdRollouts
  readonly leases: EtcdLeases

  constructor(options: EtcdStoreOptions) {
    const timeoutMs = options.timeoutMs ?? 5000
    this.prefix = withSlash(options.prefix ?? DEFAULT_ETCD_PREFIX)
    this.historyPrefix = withSlash(
      options.historyPrefix ?? `${this.prefix.replace(/\/+$/, '')}.history/`,
    )
    this.historyLimit = Math.max(1, options.historyLimit ?? DEFAULT_HISTORY_LIMIT)
    this.where = `etcd at ${options.hosts.join(',')}`
    this.client = new Etcd3({
      hosts: [...options.hosts],
      dialTimeout: timeoutMs,
      defaultCallOptions: (context) =>
        context.isStream ? {} : { deadline: Date.now() + timeoutMs },
      faultHandling: {
        host: () => passThrough,
        global: passThrough,
        watchBackoff: watchBackoff(50),
      },
    })
    const facets = {
      client: this.client,
      base: this.prefix.replace(/\/+$/, ''),
      call: <T>(run: () => Promise<T>) => this.call(run),
      follow: (follower: Follower, channel: { end(): void }) => {
        this.open()
        this.follow(follower, channel)
      },
      unfollow: (follower: Follower) => this.unfollow(follower),
    }
    this.rollouts = new EtcdRollouts(facets)
    this.leases = new EtcdLeases(facets)
  }

  async list(): Promise<string[]> {
    return this.call(async () => {
      const keys = await this.client.getAll().prefix(this.prefix).keys()
      return keys
        .map((k) => k.slice(this.prefix.length))
        .filter(isValidNamespace)
        .sort()
    })
  }

  async get(namespace: string): Promise<VersionedDtab | null> {
    const key = this.key(checkNamespace(namespace))
    return this.call(async () => {
      const kv = (await this.client.get(key).exec()).kvs[0]
      if (!kv) return null
      const version = revisionVersion(kv.mod_revision)
      const dtab = readStoredDtab(namespace, kv.value.toString('utf8'), key, version)
      return { namespace, dtab, version }
    })
  }

  async create(namespace: string, dtab: Dtab, options: WriteOptions = {}): Promise<Uint8Array> {
    const text = showDtab(dtab)
    checkNamespace(namespace)
    return this.call(async () => {
      const r = await this.txn(namespace, { type: 'absent' }, 'create', text, options)
      if (!r.ok) throw new NamespaceExistsError(namespace)
      return this.written(namespace, r.revision)
    })
  }

  async put(namespace: string, dtab: Dtab, options: WriteOptions = {}): Promise<Uint8Array> {
    const text = showDtab(dtab)
    checkNamespace(namespace)
    return this.call(async () => {
      // A compare-and-swap loop rather than a blind put, so history knows what it replaced.
      let current = await this.current(namespace)
      for (;;) {
        const at: Compare = current
          ? { type: 'at', revision: current.mod_revision }
          : { type: 'absent' }
        const r = await this.txn(namespace, at, 'put', text, options)
        if (r.ok) return this.written(namespace, r.revision)
        current = r.current
      }
    })
  }

  async update(
    namespace: string,
    dtab: Dtab,
    version: Uint8Array,
    options: WriteOptions = {},
  ): Promise<Uint8Array> {
    const text = showDtab(dtab)
    checkNamespace(namespace)
    return this.call(async () => {
      const r = await this.conditional(namespace, version, 'update', text, options)
      return this.written(namespace, r)
    })
  }

  async delete(namespace: string, options: DeleteOptions = {}): Promise<void> {
    checkNamespace(namespace)
    await this.call(async () => {
      if (options.version) {
        const r = await this.conditional(namespace, options.version, 'delete', null, options)
        await this.written(namespace, r)
        return
      }
      let current = await this.current(namespace)
      while (current) {
        const at: Compare = { type: 'at', revision: current.mod_revision }
        const r = await this.txn(namespace, at, 'delete', null, options)
        if (r.ok) {
          await this.written(namespace, r.revision)
          return
        }
        current = r.current
      }
      throw new NamespaceNotFoundError(namespace)
    })
  }

  watch(namespace: string, options: WatchOptions = {}): AsyncIterableIterator<DtabEvent> {
    this.open()
    const key = this.key(checkNamespace(namespace))
    const event = (kv: IKeyValue): DtabEvent =>
      storedEvent(namespace, kv.value.toString('utf8'), key, revisionVersion(kv.mod_revision))
    const channel = dtabChannel(options, () => this.unfollow(follower))
    const follower: Follower = new Follower(
      this.client,
      { key },
      {
        load: async () => {
          const res = await this.client.get(key).exec()
          const kv = res.kvs[0]
          channel.push(kv ? event(kv) : { type: 'deleted', namespace })
          return BigInt(res.header.revision)
        },
        apply: (e) => channel.push(e.type === 'Put' ? event(e.kv) : { type: 'deleted', namespace }),
      },
    )
    this.follow(follower, channel)
    return channel
  }

  watchList(options: WatchOptions = {}): AsyncIterableIterator<NamespacesEvent> {
    this.open()
    const names = new Set<string>()
    const channel = listChannel(options, () => this.unfollow(follower))
    const follower: Follower = new Follower(
      this.client,
      { prefix: this.prefix },
      {
        load: async () => {
          const res = await this.client.getAll().prefix(this.prefix).exec()
          names.clear()
          for (const kv of res.kvs) {
            const ns = kv.key.toString('utf8').slice(this.prefix.length)
            if (isValidNamespace(ns)) names.add(ns)
          }
          channel.push(namespacesState(names))
          return BigInt(res.header.revision)
        },
        apply: (e) => {
          const ns = e.kv.key.toString('utf8').slice(this.prefix.length)
          if (!isValidNamespace(ns)) return
          if (e.type === 'Put') names.add(ns)
          else names.delete(ns)
          channel.push(namespacesState(names))
        },
      },
    )
    this.follow(follower, channel)
    return channel
  }

  async history(namespace: string, options: HistoryOptions = {}): Promise<HistoryEntry[]> {
    const prefix = this.historyKeys(checkNamespace(namespace))
    return this.call(async () => {
      if (options.limit !== undefined && options.limit <= 0) return [] // etcd reads 0 as no limit
      const res = await this.client
        .getAll()
        .prefix(prefix)
        .sort('Mod', 'Descend')
        .limit(options.limit ?? this.historyLimit)
        .exec()
      const entries: HistoryEntry[] = []
      for (const kv of res.kvs) {
        const entry = toEntry(kv)
        // History is a record of what happened; an unreadable record is left out.
        if (entry) entries.push(entry)
      }
      return entries
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const followers = [...this.watches.keys()]
    for (const channel of [...this.watches.values()]) channel.end()
    await Promise.all(followers.map((f) => f.stop()))
    this.client.close()
  }

  private open(): void {
    if (this.closed) throw new StoreClosedError()
  }

  private key(namespace: string): string {
    return this.prefix + namespace
  }

  private historyKeys(namespace: string): string {
    return `${this.historyPrefix}${namespace}/`
  }

  private follow(follower: Follower, channel: { end(): void }): void {
    this.watches.set(follower, channel)
    follower.start()
  }

  private unfollow(follower: Follower): void {
    this.watches.delete(follower)
    void follower.stop()
  }

  /** Runs an operation; etcd failures become StoreUnavailableError. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    this.open()
    try {
      return await run()
    } catch (err) {
      if (err instanceof StoreError) throw err
      const detail = err instanceof Error ? err.message : String(err)
      throw new StoreUnavailableError(`${this.where}: ${detail}`, err)
    }
  }

  private async current(namespace: string): Promise<IKeyValue | undefined> {
    return (await this.client.get(this.key(namespace)).exec()).kvs[0]
  }

  /** An update or delete at `version`: returns the new revision or throws the refusal. */
  private async conditional(
    namespace: string,
    version: Uint8Array,
    op: 'update' | 'delete',
    text: string | null,
    options: WriteOptions,
  ): Promise<string> {
    const revision = versionRevision(version)
    const r = revision
      ? await this.txn(namespace, { type: 'at', revision: revision.toString() }, op, text, options)
      : ({ ok: false, current: await this.current(namespace) } as const)
    if (r.ok) return r.revision
    if (!r.current) throw new NamespaceNotFoundError(namespace)
    throw new VersionMismatchError(namespace, version, revisionVersion(r.current.mod_revision))
  }

  /**
   * One transaction: if the key is `at` as expected, write (or delete) it and its history
   * record; otherwise read it, so the caller can say why.
   */
  private async txn(
    namespace: string,
    at: Compare,
    op: HistoryRecord['op'],
    text: string | null,
    options: WriteOptions,
  ): Promise<TxnResult> {
    const key = this.key(namespace)
    const record: HistoryRecord = {
      op,
      previous: at.type === 'at' ? at.revision : null,
      time: new Date().toISOString(),
      who: options.who ?? null,
      why: options.why ?? null,
      dtab: text,
    }
    const historyKey = `${this.historyKeys(namespace)}${Date.now()}-${randomUUID()}`
    const compare =
      at.type === 'absent'
        ? this.client.if(key, 'Create', '==', 0)
        : this.client.if(key, 'Mod', '==', at.revision)
    const res = await compare
      .then(
        text === null ? this.client.delete().key(key) : this.client.put(key).value(text),
        this.client.put(historyKey).value(JSON.stringify(record)),
      )
      .else(this.client.get(key))
      .commit()
    if (res.succeeded) return { ok: true, revision: res.header.revision }
    return { ok: false, current: res.responses[0]?.response_range?.kvs[0] }
  }

  /** After a write: trims history (best effort) and returns the version. */
  private async written(namespace: string, revision: string): Promise<Uint8Array> {
    await this.trimHistory(namespace).catch(() => {})
    return revisionVersion(revision)
  }

  private async trimHistory(namespace: string): Promise<void> {
    const prefix = this.historyKeys(namespace)
    const count = await this.client.getAll().prefix(prefix).count()
    if (count <= this.historyLimit) return
    const old = await this.client
      .getAll()
      .prefix(prefix)
      .sort('Mod', 'Ascend')
      .limit(count - this.historyLimit)
      .keys()
    await Promise.all(old.map((k) => this.client.delete().key(k)))
  }
}

function withSlash(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`
}

function toEntry(kv: IKeyValue): HistoryEntry | null {
  let json: unknown
  try {
    json = JSON.parse(kv.value.toString('utf8'))
  } catch {
    return null
  }
  const parsed = HistoryRecord.safeParse(json)
  if (!parsed.success) return null
  const r = parsed.data
  const common = {
    version: revisionVersion(kv.mod_revision),
    previous: r.previous === null ? null : revisionVersion(r.previous),
    time: new Date(r.time),
    who: r.who,
    why: r.why ?? null,
  }
  if (r.op === 'delete') return { ...common, op: 'delete', dtab: null }
  return r.dtab === null ? null : { ...common, op: r.op, dtab: r.dtab }
}

interface FollowerHandlers {
  /** Reads the current state, pushes it, and returns the revision it was read at. */
  readonly load: () => Promise<bigint>
  /** Applies one change event. */
  readonly apply: (event: IEvent) => void
}

/**
 * Follows a key or a prefix: reads it, then watches from the next revision. etcd3 reconnects a
 * dropped watch by itself, but resumes from the revision of the last response header it saw,
 * which can skip events replayed after a reconnect; so on every disconnect we set the resume
 * point to one past the last revision actually applied, and skip anything at or below it. If
 * etcd cancels the watch (history compacted past our revision), or comes back with fewer
 * revisions than we applied (its data restored or recreated), we read afresh and watch again.
 */
export class Follower {
  private watcher: Watcher | null = null
  private applied = 0n
  private stopped = false
  private retry: { timer: NodeJS.Timeout; wake: () => void } | null = null
  private stopping: Promise<void> | null = null

  constructor(
    private readonly client: Etcd3,
    private readonly target: { readonly key: string } | { readonly prefix: string },
    private readonly handlers: FollowerHandlers,
  ) {}

  start(): void {
    void this.reload()
  }

  stop(): Promise<void> {
    this.stopping ??= this.halt()
    return this.stopping
  }

  private async halt(): Promise<void> {
    this.stopped = true
    if (this.retry) {
      clearTimeout(this.retry.timer)
      this.retry.wake()
      this.retry = null
    }
    const watcher = this.watcher
    this.watcher = null
    if (!watcher) return
    // Cancelling waits for etcd's answer, which never comes if etcd is down right now.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      watcher.cancel().catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000)
      }),
    ])
    clearTimeout(timer)
    watcher.removeAllListeners()
    watcher.on('error', () => {})
  }

  private async reload(): Promise<void> {
    let delay = 50
    while (!this.stopped) {
      try {
        const revision = await this.handlers.load()
        if (this.stopped) return
        this.applied = revision
        this.attach()
        return
      } catch {
        // etcd unreachable: try again, backing off to 1 s.
        await new Promise<void>((wake) => {
          this.retry = { timer: setTimeout(wake, delay), wake }
        })
        this.retry = null
        delay = Math.min(delay * 2, 1000)
      }
    }
  }

  private attach(): void {
    const builder = this.client.watch()
    if ('key' in this.target) builder.key(this.target.key)
    else builder.prefix(this.target.prefix)
    const watcher = builder.startRevision((this.applied + 1n).toString()).watcher()
    this.watcher = watcher
    watcher.on('data', (res) => {
      if (this.stopped || this.watcher !== watcher) return
      let newest = this.applied
      for (const event of res.events) {
        const revision = BigInt(event.kv.mod_revision)
        if (revision <= this.applied) continue // replayed after a reconnect: applied already
        if (revision > newest) newest = revision
        this.handlers.apply(event)
      }
      this.applied = newest
    })
    watcher.on('connected', (res) => {
      if (this.watcher !== watcher || BigInt(res.header.revision) >= this.applied) return
      // etcd went back in time: the revisions we hold mean nothing there any more.
      this.watcher = null
      void watcher.cancel().catch(() => {})
      void this.reload()
    })
    watcher.on('disconnected', () => {
      watcher.request.start_revision = (this.applied + 1n).toString()
    })
    watcher.on('error', () => {
      // etcd cancelled the watch (and etcd3 has already dropped it): start over from a read.
      if (this.watcher !== watcher) return
      this.watcher = null
      void this.reload()
    })
  }
}
