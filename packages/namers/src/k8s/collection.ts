// What the namer needs of a list-then-watch loop: the objects of one selection, as a whole on
// each (re)list and one by one after, and whether that view is current. Implemented over
// @switchyard/kube's reflect(); the namer's own logic sees only this.

/** One selection of a namespaced built-in resource. */
export interface CollectionSpec {
  readonly resource: 'services' | 'endpointslices'
  readonly namespace: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
}

export type CollectionChange =
  /** A (re)list: these are all the objects now, by name. */
  | { readonly type: 'reset'; readonly objects: ReadonlyMap<string, unknown> }
  | { readonly type: 'put'; readonly name: string; readonly object: unknown }
  | { readonly type: 'delete'; readonly name: string }

export interface CollectionHealth {
  /** The view is current (listed, and watching). */
  readonly synced: boolean
  /** Why it is not (the API server away, 403): the view is the last good one, stale. */
  readonly error?: string
}

export interface CollectionEvents {
  change(change: CollectionChange): void
  health(health: CollectionHealth): void
}

/** Starts a loop; returns the function that stops it (resolving once its connection is closed). */
export type OpenCollection = (spec: CollectionSpec, events: CollectionEvents) => () => Promise<void>
