// The Kubernetes objects of the CRD store, exactly namerd's (namerd-wire.md §3.1):
//
//   {"apiVersion":"l5d.io/v1alpha1","kind":"DTab",
//    "metadata":{"name":"<dtab namespace>","namespace":"<k8s namespace>","resourceVersion":"…"},
//    "dentries":[{"prefix":"/svc","dst":"/#/io.l5d.k8s/default/http"}]}
//
// The dentries sit at the top level, not under `spec`. An object is read as the API server
// gives it and, on a replace, sent back with every other field as read (labels, annotations,
// fields we do not know), so a DTab namerd wrote, or someone labelled, keeps what it had.
import { randomUUID } from 'node:crypto'
import { type DentryJson, Dtab, DtabJsonError } from '@switchyard/dtab'
import { apiVersion, KubeObject, type Resource } from '@switchyard/kube'
import type { z } from 'zod'
import { CorruptEntryError, type DtabEvent } from './store.js'

const INSTALL = 'kubectl apply -k deploy/crd'

/** namerd's CRD, `dtabs.l5d.io`. */
export const DTABS: Resource = {
  group: 'l5d.io',
  version: 'v1alpha1',
  plural: 'dtabs',
  kind: 'DTab',
  crd: { install: INSTALL },
}

/** Our history beside it, `dtabhistories.switchyard.io` (deploy/crd). */
export const DTAB_HISTORIES: Resource = {
  group: 'switchyard.io',
  version: 'v1alpha1',
  plural: 'dtabhistories',
  kind: 'DTabHistory',
  crd: { install: INSTALL },
}

/**
 * A DTab as read: name and resourceVersion checked, the rest kept as it is. `dentries` is
 * interpreted only when the dtab is read (dtabOf), so an object with bad dentries is still
 * known to exist (a `corrupt` state), not skipped.
 */
export const DTabObject = KubeObject
export type DTabObject = z.infer<typeof DTabObject>

/** A new DTab, in namerd's exact shape. */
export function newDTab(k8sNamespace: string, name: string, dtab: Dtab): Record<string, unknown> {
  return {
    apiVersion: apiVersion(DTABS),
    kind: DTABS.kind,
    metadata: { name, namespace: k8sNamespace },
    dentries: Dtab.toJson(dtab),
  }
}

/** Set when a write would not change the object otherwise (see withDentries). */
export const REWRITTEN_ANNOTATION = 'switchyard.io/rewritten'

/**
 * The object as read with new dentries, to replace it at `resourceVersion`. Every write must
 * give a new version (compare-and-swap, history), but the API server treats a replace with
 * identical content as a no-op (same resourceVersion, no event); so a write of the dentries the
 * object already has also sets the annotation `switchyard.io/rewritten` to a fresh value.
 */
export function withDentries(
  object: DTabObject,
  dtab: Dtab,
  resourceVersion: string,
): Record<string, unknown> {
  const dentries = Dtab.toJson(dtab)
  let metadata: Record<string, unknown> = { ...object.metadata, resourceVersion }
  if (sameDentries(object.dentries, dentries)) {
    const annotations = isRecord(object.metadata.annotations) ? object.metadata.annotations : {}
    metadata = {
      ...metadata,
      annotations: {
        ...annotations,
        [REWRITTEN_ANNOTATION]: `${new Date().toISOString()} ${randomUUID().slice(0, 8)}`,
      },
    }
  }
  return { ...object, apiVersion: apiVersion(DTABS), kind: DTABS.kind, metadata, dentries }
}

function sameDentries(stored: unknown, dentries: readonly DentryJson[]): boolean {
  if (!Array.isArray(stored) || stored.length !== dentries.length) return false
  return dentries.every((d, i) => {
    const s: unknown = stored[i]
    return isRecord(s) && s.prefix === d.prefix && s.dst === d.dst
  })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Where an object lives, for messages: `dtabs.l5d.io default/internal`. */
export function locationOf(k8sNamespace: string, name: string): string {
  return `dtabs.l5d.io ${k8sNamespace}/${name}`
}

export function versionOf(object: DTabObject): Uint8Array {
  return new TextEncoder().encode(object.metadata.resourceVersion)
}

/** The dtab in an object; CorruptEntryError when `dentries` is missing or does not parse. */
export function dtabOf(namespace: string, k8sNamespace: string, object: DTabObject): Dtab {
  const location = locationOf(k8sNamespace, object.metadata.name)
  const version = versionOf(object)
  if (!('dentries' in object) || object.dentries === undefined || object.dentries === null) {
    throw new CorruptEntryError(
      namespace,
      location,
      'the object has no dentries: if it was written with dentries, the installed CRD ' +
        `dtabs.l5d.io prunes them (its schema is too narrow): ${INSTALL}`,
      version,
    )
  }
  try {
    return Dtab.fromJson(object.dentries)
  } catch (err) {
    if (err instanceof DtabJsonError) {
      throw new CorruptEntryError(namespace, location, `bad dentries: ${err.message}`, version, err)
    }
    throw err
  }
}

/** The watch event for an object's state: `dtab`, or `corrupt`. */
export function dtabEvent(namespace: string, k8sNamespace: string, object: DTabObject): DtabEvent {
  try {
    return {
      type: 'dtab',
      namespace,
      version: versionOf(object),
      dtab: dtabOf(namespace, k8sNamespace, object),
    }
  } catch (err) {
    if (err instanceof CorruptEntryError) return { type: 'corrupt', namespace, error: err }
    throw err
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * The resourceVersion a version carries, or null if it cannot be one: resourceVersions are
 * short printable ASCII (etcd revisions are decimal), so anything else is refused unsent.
 */
export function resourceVersionOf(version: Uint8Array): string | null {
  try {
    const text = decoder.decode(version)
    return /^[!-~]{1,128}$/.test(text) ? text : null
  } catch {
    return null
  }
}
