// DTabs being deleted. A DTab with finalizers (put there by a GitOps tool, a backup operator or
// a person) is not deleted by a DELETE: the API server sets metadata.deletionTimestamp and keeps
// the object until whatever holds it removes its finalizers. What the k8s store does with one:
//
// - reads and watches treat it as deleted: its deletion was asked for, and routing must not
//   depend on a state that is on its way out (get() is null, list() leaves it out, a watch
//   says `deleted`); so a delete through the store is done when the API server has marked it;
// - writes cannot bring it back: the name stays taken until the finalizers are gone, and a
//   replace would only change an object that is about to vanish. So create and put are refused
//   (store_unavailable, 503: try again once the finalizers are removed) saying what holds it,
//   and an update or delete at a version is NamespaceNotFoundError, as for any deleted one.
import { z } from 'zod'
import type { DTabObject } from './k8s-objects.js'
import { NamespaceNotFoundError, StoreUnavailableError } from './store.js'

const Deleting = z.looseObject({
  metadata: z.looseObject({
    deletionTimestamp: z.string().min(1),
    finalizers: z.array(z.string()).nullish(),
  }),
})

/** The finalizers holding a DTab that is being deleted, or null if it is not being deleted. */
export function deletionHeldBy(object: DTabObject): readonly string[] | null {
  const parsed = Deleting.safeParse(object)
  return parsed.success ? (parsed.data.metadata.finalizers ?? []) : null
}

/** The object, or null if there is none or it is being deleted. */
export function live(object: DTabObject | null | undefined): DTabObject | null {
  return object && deletionHeldBy(object) === null ? object : null
}

/** What holds a DTab being deleted, for messages. */
function beingDeleted(name: string, k8sNamespace: string, finalizers: readonly string[]): string {
  const held =
    finalizers.length === 0
      ? 'its deletion is under way'
      : `finalizers ${finalizers.map((f) => JSON.stringify(f)).join(', ')} hold it`
  return `DTab ${name} in Kubernetes namespace ${k8sNamespace} is being deleted: ${held}`
}

/** NamespaceNotFoundError saying where the store looked, and what holds a DTab being deleted. */
export function notFoundError(
  namespace: string,
  k8sNamespace: string,
  object: DTabObject | null,
): NamespaceNotFoundError {
  const name = namespace.length > 80 ? `${namespace.slice(0, 77)}...` : namespace
  const held = object ? deletionHeldBy(object) : null
  return new NamespaceNotFoundError(
    namespace,
    held
      ? beingDeleted(name, k8sNamespace, held)
      : `no DTab ${name} in Kubernetes namespace ${k8sNamespace}`,
  )
}

/** A create or put of a name whose DTab is being deleted: refused until it is gone. */
export function stillDeletingError(
  namespace: string,
  k8sNamespace: string,
  object: DTabObject,
): StoreUnavailableError {
  const held = deletionHeldBy(object) ?? []
  return new StoreUnavailableError(
    `cannot write namespace ${JSON.stringify(namespace)}: ${beingDeleted(namespace, k8sNamespace, held)}; ` +
      'it can be written once the deletion is done (whatever added the finalizers removes ' +
      `them, or: kubectl patch dtab ${namespace} -n ${k8sNamespace} --type merge ` +
      `-p '{"metadata":{"finalizers":null}}')`,
  )
}
