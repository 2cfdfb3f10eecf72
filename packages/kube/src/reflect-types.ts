// What the list-then-watch loop (reflect.ts) takes and gives: its options, the changes it
// delivers, its health and the problems it recovers from.
import { z } from 'zod'
import type { BackoffOptions } from './backoff.js'
import type { KubeError } from './errors.js'
import type { Kube, ListQuery } from './kube.js'
import type { Resource } from './resource.js'

/** What the loop needs of every object: a name and a resourceVersion. */
export const KubeObject = z.looseObject({
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    resourceVersion: z.string().min(1),
  }),
})
export type KubeObject = z.infer<typeof KubeObject>

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
   * The timeoutSeconds asked for each watch, after which the API server ends it cleanly and
   * the loop watches again from where it was. Default a random 300–599 s, as client-go's
   * reflector asks (watch-once.ts says how the client side is kept from cutting it first).
   */
  readonly watchTimeoutSeconds?: () => number
  readonly backoff?: BackoffOptions
  /** Items per list page. Default 500. */
  readonly pageSize?: number
  /** Stops the loop when aborted (as stop() does). */
  readonly signal?: AbortSignal
}
