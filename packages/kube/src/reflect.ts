// The list-then-watch loop (kubernetes-api.md §3 "Client loop"), written on client-node's Watch
// and a list call rather than its informer: the informer stops for good on any error other than
// 410 and sends neither bookmarks nor a timeout, and Watch swallows exceptions thrown by our
// callback, so every event is handled inside a try here.
//
//   1. list (paged, a consistent read); keep the list's resourceVersion;
//   2. watch from it with allowWatchBookmarks and a timeoutSeconds under client-node's 30 s
//      inactivity timer; advance the resourceVersion on every event, BOOKMARK included;
//   3. a clean end (the server's timeout, client-node's timer) or a dropped connection: watch
//      again from the resourceVersion, no re-list;
//   4. ERROR 410 in the stream or an HTTP 410: re-list and replace the cache wholesale, emitting
//      deletes for objects gone, upserts for objects whose resourceVersion changed, and nothing
//      for the rest;
//   5. while the API server is away (or refuses): jittered exponential backoff, health `stale`
//      with the error, the cache kept as the last known state.
//
// Every object is zod-parsed; one that does not parse is reported and skipped, never fatal.
import type { Watch } from '@kubernetes/client-node'
import { z } from 'zod'
import { Backoff, type BackoffOptions } from './backoff.js'
import { errorFromResponse, KubeError, parseStatus, toKubeError } from './errors.js'
import type { Kube, ListQuery } from './kube.js'
import { type KubeRequest, type Resource, resourcePath } from './resource.js'

/** What the loop needs of every object: a name and a resourceVersion. */
export const KubeObject = z.looseObject({
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    resourceVersion: z.string().min(1),
  }),
})
export type KubeObject = z.infer<typeof KubeObject>

const WithVersion = z.looseObject({
  metadata: z.looseObject({ resourceVersion: z.string().min(1) }),
})

const ListPage = z.looseObject({
  metadata: z.looseObject({
    resourceVersion: z.string().min(1),
    continue: z.string().optional(),
  }),
  items: z.array(z.unknown()).nullable(),
})

export type Change<T> =
  | {
      readonly type: 'upsert'
      readonly key: string
      readonly object: T
      /** The state it replaces; null when the object is new to the cache. */
      readonly previous: T | null
    }
  | {
      readonly type: 'delete'
      readonly key: string
      /** The last state the cache had. */
      readonly previous: T
      /** The deletion's resourceVersion (from a DELETED event); null when a re-list found it gone. */
      readonly resourceVersion: string | null
    }

export type ReflectHealth =
  /** No list has succeeded yet; `error` says why, if one failed. */
  | { readonly state: 'starting'; readonly since: Date; readonly error: KubeError | null }
  /** Listed and watching. */
  | { readonly state: 'synced'; readonly since: Date }
  /** Lost the API server (or was refused) after a sync; the cache is the last known state. */
  | { readonly state: 'stale'; readonly since: Date; readonly error: KubeError }
  | { readonly state: 'stopped'; readonly since: Date }

/** Something the loop recovered from, for logs. */
export type ReflectProblem =
  | {
      readonly kind: 'invalid_object'
      readonly key: string | null
      readonly resourceVersion: string | null
      readonly message: string
    }
  | { readonly kind: 'handler_failed'; readonly error: unknown }
  | { readonly kind: 'watch_dropped'; readonly error: KubeError }

export interface ReflectOptions<T extends KubeObject> {
  readonly kube: Kube
  readonly resource: Resource
  /** The namespace to list and watch; absent for all namespaces. */
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
  /** Parses each object; one that fails is reported (onProblem) and treated as absent. */
  readonly schema: z.ZodType<T>
  /** The cache key. Default: the name in one namespace, `<namespace>/<name>` across all. */
  readonly key?: (object: KubeObject) => string
  /**
   * Each batch of changes, in order: one per watch event, one per (re-)list. Called after the
   * cache has changed. An exception is reported (onProblem) and does not stop the loop.
   */
  readonly onChanges: (changes: readonly Change<T>[], cause: 'list' | 'watch') => void
  readonly onHealth?: (health: ReflectHealth) => void
  readonly onProblem?: (problem: ReflectProblem) => void
  /** The list call; default kube.objects(resource).list (any group but the core one). */
  readonly list?: (namespace: string | undefined, query: ListQuery) => Promise<unknown>
  /**
   * The watch's timeoutSeconds, asked for each watch. Default a random 20–28 s: under
   * client-node's 30 s timer, so the server ends the watch cleanly first.
   */
  readonly watchTimeoutSeconds?: () => number
  readonly backoff?: BackoffOptions
  /** Items per list page. Default 500. */
  readonly pageSize?: number
  /** Stops the loop when aborted (as stop() does). */
  readonly signal?: AbortSignal
}

type WatchOutcome =
  | { readonly kind: 'stopped' }
  /** The stream ended cleanly (server timeout) or client-node's timer cut an open stream. */
  | { readonly kind: 'ended'; readonly events: number; readonly ms: number }
  /** ERROR 410 in the stream, or HTTP 410. */
  | { readonly kind: 'expired'; readonly events: number }
  /** The connection broke after the watch had started. */
  | {
      readonly kind: 'dropped'
      readonly error: KubeError
      readonly events: number
      readonly ms: number
    }
  /** The watch could not start (unreachable, 403, CRD missing), or an ERROR event other than 410. */
  | { readonly kind: 'failed'; readonly error: KubeError; readonly relist: boolean }

/** A watch that ended this fast with nothing in it is not trusted to mean "all is well". */
const QUICK_END_MS = 1000

export class Reflector<T extends KubeObject> {
  private cache = new Map<string, T>()
  private rv: string | null = null
  private state: ReflectHealth = { state: 'starting', since: new Date(), error: null }
  private readonly abort = new AbortController()
  private readonly watcher: Watch
  private readonly done: Promise<void>
  private everSynced = false
  private syncWaiters: ((synced: boolean) => void)[] = []
  private stopWatch: (() => void) | null = null
  private listing = false
  private readonly keyOf: (object: KubeObject) => string
  private readonly request: KubeRequest

  constructor(private readonly o: ReflectOptions<T>) {
    this.watcher = o.kube.newWatch()
    this.keyOf =
      o.key ??
      (o.namespace === undefined
        ? (obj) => `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`
        : (obj) => obj.metadata.name)
    this.request = { verb: 'watch', resource: o.resource, namespace: o.namespace }
    if (o.signal) {
      if (o.signal.aborted) this.abort.abort()
      else o.signal.addEventListener('abort', () => void this.stop(), { once: true })
    }
    this.done = this.run()
  }

  get health(): ReflectHealth {
    return this.state
  }

  /** The resourceVersion the cache is at (the list's, then each event's); null before a list. */
  get resourceVersion(): string | null {
    return this.rv
  }

  /** True once a list has succeeded (the cache is meaningful), even if stale now. */
  get hasSynced(): boolean {
    return this.everSynced
  }

  get(key: string): T | undefined {
    return this.cache.get(key)
  }

  /** The cache: the last known state of every object. */
  objects(): ReadonlyMap<string, T> {
    return this.cache
  }

  /** Resolves true after the first successful list, false if the loop stops first. */
  whenSynced(): Promise<boolean> {
    if (this.everSynced) return Promise.resolve(true)
    if (this.abort.signal.aborted) return Promise.resolve(false)
    return new Promise((resolve) => this.syncWaiters.push(resolve))
  }

  /**
   * Stops the loop and closes its watch. The cache stays readable. A list in flight is not
   * waited for (an API server that does not answer would hold this up to the call deadline):
   * its answer is ignored when it comes.
   */
  async stop(): Promise<void> {
    this.abort.abort()
    this.stopWatch?.()
    if (!this.listing) await this.done
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal
    const backoff = new Backoff(this.o.backoff)
    let needList = true
    while (!signal.aborted) {
      if (needList) {
        this.listing = true
        const listed = await this.listAll().then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        )
        this.listing = false
        if (signal.aborted) break
        if ('error' in listed) {
          this.failed(
            toKubeError(listed.error, this.o.kube.server, { ...this.request, verb: 'list' }),
          )
          await backoff.wait(signal)
          continue
        }
        this.replace(listed.value.items, listed.value.resourceVersion)
        this.synced()
        backoff.reset()
        needList = false
      }
      const outcome = await this.watchOnce()
      if (signal.aborted) break
      switch (outcome.kind) {
        case 'stopped':
          break
        case 'ended':
          // A server that ends every watch at once must not be hammered.
          if (outcome.events === 0 && outcome.ms < QUICK_END_MS) await backoff.wait(signal)
          else backoff.reset()
          break
        case 'expired':
          needList = true
          // Expired again straight after a list: the server is compacting faster than we
          // can watch; slow down.
          if (outcome.events === 0) await backoff.wait(signal)
          break
        case 'dropped':
          this.problem({ kind: 'watch_dropped', error: outcome.error })
          // Nor one (or a proxy in front of it) that cuts every watch as soon as it starts.
          if (outcome.events === 0 && outcome.ms < QUICK_END_MS) await backoff.wait(signal)
          else backoff.reset()
          break
        case 'failed':
          this.failed(outcome.error)
          if (outcome.relist) needList = true
          await backoff.wait(signal)
          break
      }
    }
    this.setHealth({ state: 'stopped', since: new Date() })
    for (const wake of this.syncWaiters.splice(0)) wake(false)
  }

  /** Lists every page; the first page's resourceVersion is the snapshot's. */
  private async listAll(): Promise<{ items: unknown[]; resourceVersion: string }> {
    const list =
      this.o.list ??
      ((namespace: string | undefined, query: ListQuery) =>
        this.o.kube.objects(this.o.resource).list(namespace, query))
    const limit = this.o.pageSize ?? 500
    for (let attempt = 0; ; attempt++) {
      const items: unknown[] = []
      let resourceVersion: string | null = null
      let cont: string | undefined
      try {
        do {
          const raw = await list(this.o.namespace, {
            labelSelector: this.o.labelSelector,
            fieldSelector: this.o.fieldSelector,
            limit,
            continue: cont,
          })
          const page = ListPage.safeParse(raw)
          if (!page.success) {
            throw new KubeError(
              'unexpected',
              `the Kubernetes API at ${this.o.kube.server} answered a list of ` +
                `${this.o.resource.plural} with something that is not a list: ${z.prettifyError(page.error)}`,
              { server: this.o.kube.server, request: { ...this.request, verb: 'list' } },
            )
          }
          resourceVersion ??= page.data.metadata.resourceVersion
          if (page.data.items) items.push(...page.data.items)
          cont = page.data.metadata.continue || undefined
        } while (cont !== undefined && !this.abort.signal.aborted)
        return { items, resourceVersion }
      } catch (err) {
        // A continue token that expired between pages: start the list again, once.
        if (
          attempt === 0 &&
          cont !== undefined &&
          err instanceof KubeError &&
          err.code === 'expired'
        )
          continue
        throw err
      }
    }
  }

  /** Replaces the cache with a list's items; emits what changed, as one batch. */
  private replace(items: readonly unknown[], resourceVersion: string): void {
    const next = new Map<string, T>()
    for (const raw of items) {
      const object = this.parse(raw)
      if (object) next.set(this.keyOf(object), object)
    }
    const changes: Change<T>[] = []
    const keys = [...new Set([...this.cache.keys(), ...next.keys()])].sort()
    for (const key of keys) {
      const before = this.cache.get(key)
      const after = next.get(key)
      if (after === undefined) {
        if (before !== undefined)
          changes.push({ type: 'delete', key, previous: before, resourceVersion: null })
      } else if (
        before === undefined ||
        before.metadata.resourceVersion !== after.metadata.resourceVersion
      ) {
        changes.push({ type: 'upsert', key, object: after, previous: before ?? null })
      }
    }
    this.cache = next
    this.rv = resourceVersion
    if (changes.length > 0) this.emit(changes, 'list')
  }

  /** Opens one watch from the current resourceVersion and resolves when it is over. */
  private watchOnce(): Promise<WatchOutcome> {
    const { kube, resource, namespace } = this.o
    const request = this.request
    return new Promise<WatchOutcome>((resolve) => {
      const started = Date.now()
      let events = 0
      let settled = false
      let connected = false
      let verdict: WatchOutcome | null = null
      let controller: AbortController | null = null
      const finish = (outcome: WatchOutcome) => {
        if (settled) return
        settled = true
        this.stopWatch = null
        controller?.abort()
        resolve(outcome)
      }
      this.stopWatch = () => finish({ kind: 'stopped' })

      const onEvent = (type: unknown, object: unknown) => {
        if (settled || verdict) return
        events++
        try {
          const v = this.apply(type, object, events)
          if (v) {
            verdict = v
            controller?.abort() // the server closes the stream anyway; stop reading now
          }
        } catch (err) {
          this.problem({ kind: 'handler_failed', error: err })
        }
      }
      const onDone = (err: unknown) => {
        if (verdict) return finish(verdict)
        if (this.abort.signal.aborted) return finish({ kind: 'stopped' })
        const ms = Date.now() - started
        const timedOut = err instanceof Error && err.name === 'TimeoutError'
        if (err === null || err === undefined || (timedOut && connected)) {
          return finish({ kind: 'ended', events, ms })
        }
        const e = toKubeError(err, kube.server, request)
        if (e.code === 'expired') return finish({ kind: 'expired', events })
        if (connected) return finish({ kind: 'dropped', error: e, events, ms })
        // A missing CRD (or a vanished namespace) may come back empty: list afresh then.
        return finish({ kind: 'failed', error: e, relist: e.status === 404 })
      }

      const query: Record<string, string | number | boolean> = {
        resourceVersion: this.rv ?? '',
        allowWatchBookmarks: true,
        timeoutSeconds: this.o.watchTimeoutSeconds?.() ?? 20 + Math.floor(Math.random() * 9),
      }
      if (this.o.labelSelector) query.labelSelector = this.o.labelSelector
      if (this.o.fieldSelector) query.fieldSelector = this.o.fieldSelector
      let started$: Promise<AbortController>
      try {
        started$ = this.watcher.watch(resourcePath(resource, namespace), query, onEvent, onDone)
      } catch (err) {
        onDone(err)
        return
      }
      started$.then(
        (c) => {
          controller = c
          if (settled) {
            c.abort()
            return
          }
          connected = true
          this.synced()
        },
        (err: unknown) => onDone(err),
      )
    })
  }

  /** Applies one watch event; returns the watch's verdict for an ERROR event. */
  private apply(type: unknown, object: unknown, events: number): WatchOutcome | null {
    switch (type) {
      case 'ADDED':
      case 'MODIFIED': {
        const version = WithVersion.safeParse(object)
        if (version.success) this.rv = version.data.metadata.resourceVersion
        const meta = KubeObject.safeParse(object)
        const parsed = this.parse(object)
        if (!parsed) {
          // Unreadable now: whatever we knew of it is no longer its state.
          const key = meta.success ? this.keyOf(meta.data) : null
          const before = key === null ? undefined : this.cache.get(key)
          if (key !== null && before !== undefined) {
            this.cache.delete(key)
            this.emit(
              [{ type: 'delete', key, previous: before, resourceVersion: this.rv }],
              'watch',
            )
          }
          return null
        }
        const key = this.keyOf(parsed)
        const before = this.cache.get(key)
        if (before && before.metadata.resourceVersion === parsed.metadata.resourceVersion)
          return null
        this.cache.set(key, parsed)
        this.emit([{ type: 'upsert', key, object: parsed, previous: before ?? null }], 'watch')
        return null
      }
      case 'DELETED': {
        const meta = KubeObject.safeParse(object)
        if (!meta.success) {
          this.invalid(object, meta.error)
          return null
        }
        this.rv = meta.data.metadata.resourceVersion
        const key = this.keyOf(meta.data)
        const before = this.cache.get(key)
        if (before === undefined) return null
        this.cache.delete(key)
        this.emit(
          [
            {
              type: 'delete',
              key,
              previous: before,
              resourceVersion: meta.data.metadata.resourceVersion,
            },
          ],
          'watch',
        )
        return null
      }
      case 'BOOKMARK': {
        const version = WithVersion.safeParse(object)
        if (version.success) this.rv = version.data.metadata.resourceVersion
        else this.invalid(object, version.error)
        return null
      }
      case 'ERROR': {
        const status = parseStatus(object)
        const code = status?.code ?? 500
        if (code === 410) return { kind: 'expired', events: events - 1 }
        const error = errorFromResponse(code, object, this.o.kube.server, this.request)
        return { kind: 'failed', error, relist: true }
      }
      default:
        this.problem({
          kind: 'invalid_object',
          key: null,
          resourceVersion: null,
          message: `a watch event of unknown type ${JSON.stringify(type)?.slice(0, 40)}`,
        })
        return null
    }
  }

  /** The object as T, or null (reported) when it does not parse. */
  private parse(raw: unknown): T | null {
    const meta = KubeObject.safeParse(raw)
    if (!meta.success) {
      this.invalid(raw, meta.error)
      return null
    }
    const parsed = this.o.schema.safeParse(raw)
    if (!parsed.success) {
      this.invalid(raw, parsed.error)
      return null
    }
    return parsed.data
  }

  private invalid(raw: unknown, error: z.ZodError): void {
    const meta = KubeObject.safeParse(raw)
    this.problem({
      kind: 'invalid_object',
      key: meta.success ? meta.data.metadata.name : null,
      resourceVersion: meta.success ? meta.data.metadata.resourceVersion : null,
      message: z.prettifyError(error).slice(0, 500),
    })
  }

  private emit(changes: readonly Change<T>[], cause: 'list' | 'watch'): void {
    try {
      this.o.onChanges(changes, cause)
    } catch (err) {
      this.problem({ kind: 'handler_failed', error: err })
    }
  }

  private problem(problem: ReflectProblem): void {
    try {
      this.o.onProblem?.(problem)
    } catch {
      // A reporting hook must not break the loop.
    }
  }

  private synced(): void {
    if (!this.everSynced) {
      this.everSynced = true
      for (const wake of this.syncWaiters.splice(0)) wake(true)
    }
    if (this.state.state !== 'synced') this.setHealth({ state: 'synced', since: new Date() })
  }

  private failed(error: KubeError): void {
    const prior = this.state
    if (this.everSynced) {
      const since = prior.state === 'stale' ? prior.since : new Date()
      this.setHealth({ state: 'stale', since, error })
    } else {
      this.setHealth({ state: 'starting', since: prior.since, error })
    }
  }

  /** Records the health; tells onHealth only of a new state or a new reason (not each retry). */
  private setHealth(health: ReflectHealth): void {
    const prior = this.state
    this.state = health
    const reason = (h: ReflectHealth) => ('error' in h ? (h.error?.message ?? null) : null)
    if (prior.state === health.state && reason(prior) === reason(health)) return
    try {
      this.o.onHealth?.(health)
    } catch {
      // as above
    }
  }
}

/** Starts a list-then-watch loop; stop it with `stop()` or the signal. */
export function reflect<T extends KubeObject>(options: ReflectOptions<T>): Reflector<T> {
  return new Reflector(options)
}
