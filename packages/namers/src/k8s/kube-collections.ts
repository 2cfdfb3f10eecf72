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
import type { NamerLogger } from '../logger.js'
import type { CollectionEvents, CollectionSpec, OpenCollection } from './collection.js'
import { FailureLog } from './failure-log.js'

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
  /** Where a loop that cannot read (403, the API server away) and its recovery are logged. */
  readonly logger?: NamerLogger
  /** The namer's mount point, for those lines; default `/#/io.l5d.k8s`. */
  readonly namer?: string
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

  const failures =
    options.logger === undefined
      ? undefined
      : new FailureLog(options.logger, options.namer ?? '/#/io.l5d.k8s')
  let loops = 0

  const open: OpenCollection = (spec: CollectionSpec, events: CollectionEvents) => {
    let announced = false
    const loop = loops++
    const info = {
      resource: spec.resource,
      namespace: spec.namespace,
      selector: [spec.fieldSelector, spec.labelSelector].filter((s) => s !== undefined).join(','),
    }
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
            failures?.recovered(loop, info)
            events.health({ synced: true })
            break
          case 'starting':
            if (health.error === null) break
            failures?.failed(loop, info, health.error)
            events.health({ synced: false, error: health.error.message })
            break
          case 'stale':
            failures?.failed(loop, info, health.error)
            events.health({ synced: false, error: health.error.message })
            break
          case 'stopped':
            failures?.forget(loop)
            break
        }
      },
    })
    return () => {
      // A loop closed while failing has not recovered: its line must not say so.
      failures?.forget(loop)
      return reflector.stop()
    }
  }
  return { open }
}
