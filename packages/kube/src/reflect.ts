// The list-then-watch loop (kubernetes-api.md §3 "Client loop"), written on client-node's Watch
// and a list call rather than its informer: the informer stops for good on any error other than
// 410 and sends neither bookmarks nor a timeout, and Watch swallows exceptions thrown by our
// callback, so every event is handled inside a try.
//
//   1. list (paged, a consistent read: list-pages.ts); keep the list's resourceVersion;
//   2. watch from it with allowWatchBookmarks and a timeoutSeconds of five to ten minutes, as
//      client-go (watch-once.ts); advance the resourceVersion on every event, BOOKMARK included;
//   3. a clean end (the server's timeout) or a dropped connection: watch again from the
//      resourceVersion, no re-list;
//   4. ERROR 410 in the stream or an HTTP 410: re-list and replace the cache wholesale
//      (reflect-cache.ts);
//   5. while the API server is away (or refuses): jittered exponential backoff, health `stale`
//      with the error (reflect-health.ts), the cache kept as the last known state.

import { Backoff } from './backoff.js'
import type { Watch } from './client-node.js'
import { type KubeError, toKubeError } from './errors.js'
import type { ListQuery } from './kube.js'
import { listPages } from './list-pages.js'
import { ObjectCache } from './reflect-cache.js'
import { HealthState } from './reflect-health.js'
import type { KubeObject, ReflectHealth, ReflectOptions, ReflectProblem } from './reflect-types.js'
import { type KubeRequest, resourcePath } from './resource.js'
import { defaultWatchTimeoutSeconds, type WatchOutcome, watchOnce } from './watch-once.js'

export type {
  Change,
  ReflectHealth,
  ReflectOptions,
  ReflectProblem,
} from './reflect-types.js'
export { KubeObject } from './reflect-types.js'

/** A watch that ended this fast with nothing in it is not trusted to mean "all is well". */
const QUICK_END_MS = 1000

export class Reflector<T extends KubeObject> {
  private readonly cache: ObjectCache<T>
  private readonly healthState: HealthState
  private readonly abort = new AbortController()
  private readonly watcher: Watch
  private readonly done: Promise<void>
  private listing = false
  private readonly request: KubeRequest

  constructor(private readonly o: ReflectOptions<T>) {
    this.watcher = o.kube.newWatch()
    const keyOf =
      o.key ??
      (o.namespace === undefined
        ? (obj: KubeObject) => `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`
        : (obj: KubeObject) => obj.metadata.name)
    this.cache = new ObjectCache<T>({
      schema: o.schema,
      keyOf,
      emit: (changes, cause) => {
        try {
          this.o.onChanges(changes, cause)
        } catch (err) {
          this.problem({ kind: 'handler_failed', error: err })
        }
      },
      problem: (p) => this.problem(p),
    })
    this.healthState = new HealthState(o.onHealth)
    this.request = { verb: 'watch', resource: o.resource, namespace: o.namespace }
    if (o.signal) {
      if (o.signal.aborted) this.abort.abort()
      else o.signal.addEventListener('abort', () => void this.stop(), { once: true })
    }
    this.done = this.run()
  }

  get health(): ReflectHealth {
    return this.healthState.health
  }

  /** The resourceVersion the cache is at (the list's, then each event's); null before a list. */
  get resourceVersion(): string | null {
    return this.cache.resourceVersion
  }

  /** True once a list has succeeded (the cache is meaningful), even if stale now. */
  get hasSynced(): boolean {
    return this.healthState.hasSynced
  }

  get(key: string): T | undefined {
    return this.cache.get(key)
  }

  /** The cache: the last known state of every object. */
  objects(): ReadonlyMap<string, T> {
    return this.cache.objects()
  }

  /** Resolves true after the first successful list, false if the loop stops first. */
  whenSynced(): Promise<boolean> {
    if (!this.hasSynced && this.abort.signal.aborted) return Promise.resolve(false)
    return this.healthState.whenSynced()
  }

  /**
   * Stops the loop and closes its watch. The cache stays readable. A list in flight is not
   * waited for (an API server that does not answer would hold this up to the call deadline):
   * its answer is ignored when it comes.
   */
  async stop(): Promise<void> {
    this.abort.abort()
    if (!this.listing) await this.done
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal
    const backoff = new Backoff(this.o.backoff)
    let needList = true
    while (!signal.aborted) {
      if (needList) {
        this.listing = true
        const listed = await this.list().then(
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
        this.cache.replace(listed.value.items, listed.value.resourceVersion)
        this.healthState.synced()
        backoff.reset()
        needList = false
      }
      const outcome = await this.watch()
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
    this.healthState.stopped()
  }

  private list() {
    const list =
      this.o.list ??
      ((namespace: string | undefined, query: ListQuery) =>
        this.o.kube.objects(this.o.resource).list(namespace, query))
    return listPages({
      kube: this.o.kube,
      request: { ...this.request, verb: 'list' },
      list,
      labelSelector: this.o.labelSelector,
      fieldSelector: this.o.fieldSelector,
      pageSize: this.o.pageSize ?? 500,
      signal: this.abort.signal,
    })
  }

  private watch(): Promise<WatchOutcome> {
    const query: Record<string, string | number | boolean> = {
      resourceVersion: this.cache.resourceVersion ?? '',
      allowWatchBookmarks: true,
    }
    if (this.o.labelSelector) query.labelSelector = this.o.labelSelector
    if (this.o.fieldSelector) query.fieldSelector = this.o.fieldSelector
    return watchOnce({
      kube: this.o.kube,
      watcher: this.watcher,
      request: this.request,
      path: resourcePath(this.o.resource, this.o.namespace),
      query,
      timeoutSeconds: this.o.watchTimeoutSeconds?.() ?? defaultWatchTimeoutSeconds(),
      onEvent: (type, object) => this.cache.apply(type, object),
      onHandlerError: (error) => this.problem({ kind: 'handler_failed', error }),
      onStarted: () => this.healthState.synced(),
      signal: this.abort.signal,
    })
  }

  private problem(problem: ReflectProblem): void {
    try {
      this.o.onProblem?.(problem)
    } catch {
      // A reporting hook must not break the loop.
    }
  }

  private failed(error: KubeError): void {
    this.healthState.failed(error)
  }
}

/** Starts a list-then-watch loop; stop it with `stop()` or the signal. */
export function reflect<T extends KubeObject>(options: ReflectOptions<T>): Reflector<T> {
  return new Reflector(options)
}
