// The namer's collections over @switchyard/kube: one reflect() loop per selection. Objects are
// handed on raw (checked only for a name and resourceVersion here): the namer parses them
// itself, so a malformed slice is known by name and counts for nothing.
import {
  type BackoffOptions,
  type Change,
  type KubeConnection,
  type KubeEnvironment,
  KubeObject,
  type ListQuery,
  openKube,
  type Resource,
  reflect,
} from '@switchyard/kube'
import type { CollectionEvents, CollectionSpec, OpenCollection } from './collection.js'

export const SERVICES: Resource = { group: '', version: 'v1', plural: 'services', kind: 'Service' }
export const ENDPOINT_SLICES: Resource = {
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
  kind: 'EndpointSlice',
}

export interface KubeCollectionsOptions {
  readonly backoff?: BackoffOptions
  /** The deadline of each list call, ms (the kube package's default otherwise). */
  readonly requestTimeoutMs?: number
  /** Where the default connection looks; default the process's environment and home. */
  readonly environment?: KubeEnvironment
}

/**
 * Opens the connection (reads the kubeconfig or service account; throws KubeError code
 * `config` when there is none). Makes no call until a collection is opened.
 */
export function openKubeCollections(
  connection: KubeConnection,
  options: KubeCollectionsOptions = {},
): { readonly open: OpenCollection } {
  const kube = openKube(connection, {
    ...options.environment,
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: options.requestTimeoutMs }),
  })
  const listServices = (namespace: string | undefined, q: ListQuery): Promise<unknown> =>
    kube.call({ verb: 'list', resource: SERVICES, namespace }, () =>
      kube.core.listNamespacedService({
        namespace: namespace ?? '',
        labelSelector: q.labelSelector,
        fieldSelector: q.fieldSelector,
        limit: q.limit,
        _continue: q.continue,
      }),
    )

  const open: OpenCollection = (spec: CollectionSpec, events: CollectionEvents) => {
    let announced = false
    const reflector = reflect({
      kube,
      resource: spec.resource === 'services' ? SERVICES : ENDPOINT_SLICES,
      namespace: spec.namespace,
      ...(spec.labelSelector === undefined ? {} : { labelSelector: spec.labelSelector }),
      ...(spec.fieldSelector === undefined ? {} : { fieldSelector: spec.fieldSelector }),
      schema: KubeObject,
      ...(spec.resource === 'services' ? { list: listServices } : {}),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      // Before the first sync the whole list is announced at once (below), empty or not.
      onChanges: (changes: readonly Change<KubeObject>[]) => {
        if (!announced) return
        for (const c of changes) {
          events.change(
            c.type === 'delete'
              ? { type: 'delete', name: c.key }
              : { type: 'put', name: c.key, object: c.object },
          )
        }
      },
      onHealth: (health) => {
        switch (health.state) {
          case 'synced':
            if (!announced) {
              announced = true
              events.change({ type: 'reset', objects: reflector.objects() })
            }
            events.health({ synced: true })
            break
          case 'starting':
            if (health.error !== null) events.health({ synced: false, error: health.error.message })
            break
          case 'stale':
            events.health({ synced: false, error: health.error.message })
            break
          case 'stopped':
            break
        }
      },
    })
    return () => reflector.stop()
  }
  return { open }
}
