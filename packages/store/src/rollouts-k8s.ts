// The k8s store's RolloutStore (docs/design/rollouts.md §2): one `rollouts.switchyard.io`
// object per rollout (deploy/crd/rollouts.switchyard.io.yaml) in the store's Kubernetes
// namespace, so `kubectl get rollouts.switchyard.io` lists them.
//
//   name      <dtab namespace>.<id> (an id has no dot, so the split is unambiguous)
//   spec      the RolloutSpec fields; status: every other field of the Rollout
//   labels    switchyard.io/dtab-namespace, switchyard.io/prefix-hash (hash16), switchyard.io/active
//
// No status subresource: one replace carrying the resourceVersion is the compare-and-swap of the
// whole rollout; version = the UTF-8 bytes of the resourceVersion, as for DTabs.
//
// One active rollout per (namespace, prefix): a `coordination.k8s.io/v1` Lease
// `sy-prefix.<dtab namespace>.<hash16>` whose holderIdentity is the rollout's id is created
// before the Rollout (AlreadyExists: the prefix is taken, RolloutActiveError naming the holder)
// and deleted after the rollout's terminal update. A marker whose rollout is terminal, or that
// names a rollout still missing 10 s after the marker was made (a create that died between the
// two calls), is stale and replaced by compare-and-swap.
import { randomUUID } from 'node:crypto'
import { isKubeError, type Kube, type ObjectClient, type Resource, reflect } from '@switchyard/kube'
import { isTerminal, Rollout, RolloutSpec } from '@switchyard/wire'
import { z } from 'zod'
import type { StoreLogger } from './k8s-health.js'
import {
  isObjectName,
  LEASES,
  type LeaseObject,
  leaseBody,
  parseLease,
  sha256Hex,
} from './k8s-leases.js'
import { K8S_NAMESPACE_RULE } from './k8s-names.js'
import { resourceVersionOf } from './k8s-objects.js'
import { checkNamespace } from './namespace.js'
import {
  RolloutActiveError,
  RolloutExistsError,
  type RolloutListFilter,
  RolloutNotFoundError,
  type RolloutStore,
  type RolloutStoreEvent,
  type VersionedRollout,
} from './rollouts.js'
import { listed, prunable, rolloutChannel, rolloutSubject } from './rollouts-common.js'
import {
  CorruptEntryError,
  StoreUnavailableError,
  VersionMismatchError,
  type WatchOptions,
} from './store.js'

export const ROLLOUTS: Resource = {
  group: 'switchyard.io',
  version: 'v1alpha1',
  plural: 'rollouts',
  kind: 'Rollout',
  crd: { install: 'kubectl apply -k deploy/crd' },
}

export const DTAB_NAMESPACE_LABEL = 'switchyard.io/dtab-namespace'
export const PREFIX_HASH_LABEL = 'switchyard.io/prefix-hash'
export const ACTIVE_LABEL = 'switchyard.io/active'
/** On the prefix markers (not LeaseStore leases, which carry switchyard.io/lease). */
export const MARKER_LABEL = 'switchyard.io/rollout-prefix'
const WRITE_ANNOTATION = 'switchyard.io/write'
const PREFIX_ANNOTATION = 'switchyard.io/prefix'
const NAMESPACE_ANNOTATION = 'switchyard.io/dtab-namespace'

/** How long a marker may name a rollout that does not exist before it is taken as stale. */
export const STALE_MARKER_MS = 10_000

/** The first 16 hex digits of sha256 of the prefix (in Path.show form, as the rollout holds it). */
export function hash16(prefix: string): string {
  return sha256Hex(prefix).slice(0, 16)
}

/** A label value for a dtab namespace: itself when it fits (63 characters), else a hash. */
export function namespaceLabel(namespace: string): string {
  return namespace.length <= 63 ? namespace : `h-${sha256Hex(namespace).slice(0, 16)}`
}

export function rolloutObjectName(namespace: string, id: string): string {
  return `${namespace}.${id}`
}

/** `sy-prefix.<ns>.<hash16>`, or with the namespace hashed when that is too long a name. */
export function markerName(namespace: string, prefix: string): string {
  const name = `sy-prefix.${namespace}.${hash16(prefix)}`
  return isObjectName(name)
    ? name
    : `sy-prefix-x.${sha256Hex(namespace).slice(0, 16)}.${hash16(prefix)}`
}

const SPEC_KEYS = new Set(Object.keys(RolloutSpec.shape))

/** The Rollout as a custom resource: spec = the RolloutSpec fields, status = the rest. */
export function rolloutBody(
  rollout: Rollout,
  k8sNamespace: string,
  resourceVersion?: string,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {}
  const status: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(rollout)) {
    if (SPEC_KEYS.has(key)) spec[key] = value
    else status[key] = value
  }
  const metadata: Record<string, unknown> = {
    name: rolloutObjectName(rollout.namespace, rollout.id),
    namespace: k8sNamespace,
    labels: {
      [DTAB_NAMESPACE_LABEL]: namespaceLabel(rollout.namespace),
      [PREFIX_HASH_LABEL]: hash16(rollout.prefix),
      [ACTIVE_LABEL]: String(!isTerminal(rollout.phase)),
    },
    // Every write must give a new resourceVersion; a replace with identical content would not.
    annotations: { [WRITE_ANNOTATION]: randomUUID() },
  }
  if (resourceVersion !== undefined) metadata.resourceVersion = resourceVersion
  return { apiVersion: 'switchyard.io/v1alpha1', kind: 'Rollout', metadata, spec, status }
}

const RolloutObject = z.looseObject({
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    resourceVersion: z.string().min(1),
  }),
  spec: z.unknown(),
  status: z.unknown(),
})
type RolloutObject = z.infer<typeof RolloutObject>

const ListPage = z.looseObject({
  metadata: z.looseObject({ continue: z.string().optional() }),
  items: z.array(z.unknown()).nullable(),
})

function versionOf(object: { metadata: { resourceVersion: string } }): Uint8Array {
  return new TextEncoder().encode(object.metadata.resourceVersion)
}

/** Where a rollout lives, for messages: `rollouts.switchyard.io default/internal.world-1`. */
function locationOf(k8sNamespace: string, name: string): string {
  return `rollouts.switchyard.io ${k8sNamespace}/${name}`
}

/** The (namespace, id) an object name says, or null if it cannot be one of ours. */
function splitName(name: string): { namespace: string; id: string } | null {
  const dot = name.lastIndexOf('.')
  if (dot <= 0) return null
  return { namespace: name.slice(0, dot), id: name.slice(dot + 1) }
}

/** The rollout an object holds; CorruptEntryError when it is none, or not under its own name. */
export function rolloutOf(object: RolloutObject, k8sNamespace: string): Rollout {
  const name = object.metadata.name
  const where = splitName(name)
  const fail = (detail: string, cause?: unknown) =>
    new CorruptEntryError(
      where?.namespace ?? name,
      locationOf(k8sNamespace, name),
      detail,
      versionOf(object),
      cause,
    )
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
  if (!isRecord(object.spec) || !isRecord(object.status))
    throw fail('the rollout object has no spec or no status')
  const parsed = Rollout.safeParse({ ...object.status, ...object.spec })
  if (!parsed.success)
    throw fail(`not a rollout: ${z.prettifyError(parsed.error).slice(0, 300)}`, parsed.error)
  const rollout = parsed.data
  if (rolloutObjectName(rollout.namespace, rollout.id) !== name)
    throw fail(`it holds rollout ${rollout.namespace}/${rollout.id}, not what its name says`)
  return rollout
}

export interface K8sRolloutStoreOptions {
  readonly kube: Kube
  readonly k8sNamespace: string
  /** Runs a call: turns Kubernetes failures into store errors, refuses after close. */
  readonly run: <T>(operation: () => Promise<T>) => Promise<T>
  /** Ends every watch when aborted (the store's close). */
  readonly closed: AbortSignal
  readonly logger?: StoreLogger
  /** Backoff of each watch's loop while the API server is away. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number }
  readonly watchTimeoutSeconds?: () => number
  /** Clock, for the age of prefix markers; tests move it. Default Date.now. */
  readonly now?: () => number
}

/** Marker writes that lose a race this many times in a row give up. */
const MAX_MARKER_ATTEMPTS = 20

export class K8sRolloutStore implements RolloutStore {
  private readonly rollouts: ObjectClient
  private readonly leases: ObjectClient
  private readonly k8sNamespace: string
  private readonly now: () => number

  constructor(private readonly o: K8sRolloutStoreOptions) {
    this.rollouts = o.kube.objects(ROLLOUTS)
    this.leases = o.kube.objects(LEASES)
    this.k8sNamespace = o.k8sNamespace
    this.now = o.now ?? Date.now
  }

  async get(namespace: string, id: string): Promise<VersionedRollout | null> {
    checkNamespace(namespace, K8S_NAMESPACE_RULE)
    return this.o.run(async () => {
      const object = await this.readObject(namespace, id)
      return object && { rollout: rolloutOf(object, this.k8sNamespace), version: versionOf(object) }
    })
  }

  async list(filter: RolloutListFilter = {}): Promise<VersionedRollout[]> {
    if (filter.namespace !== undefined) checkNamespace(filter.namespace, K8S_NAMESPACE_RULE)
    return this.o.run(async () => {
      const selector: string[] = []
      if (filter.namespace !== undefined)
        selector.push(`${DTAB_NAMESPACE_LABEL}=${namespaceLabel(filter.namespace)}`)
      if (filter.active !== undefined) selector.push(`${ACTIVE_LABEL}=${String(filter.active)}`)
      const out: VersionedRollout[] = []
      for (const object of await this.listObjects(selector.join(','))) {
        let rollout: Rollout
        try {
          rollout = rolloutOf(object, this.k8sNamespace)
        } catch (err) {
          this.o.logger?.warn(
            { k8sNamespace: this.k8sNamespace, name: object.metadata.name, err },
            'a Rollout object cannot be read; it is left out',
          )
          continue
        }
        out.push({ rollout, version: versionOf(object) })
      }
      // The selector narrows; this decides (a long namespace's label is a hash).
      return listed(out, filter)
    })
  }

  async create(input: Rollout): Promise<Uint8Array> {
    const rollout = this.check(input)
    return this.o.run(async () => {
      if (await this.readObject(rollout.namespace, rollout.id))
        throw new RolloutExistsError(rollout.namespace, rollout.id)
      const marker = isTerminal(rollout.phase) ? null : await this.takePrefix(rollout)
      try {
        const created = await this.rollouts.create(
          this.k8sNamespace,
          rolloutBody(rollout, this.k8sNamespace),
        )
        return versionOf(this.parse(created, rollout))
      } catch (err) {
        // The marker is ours: give the prefix back (a leftover would be stale in 10 s anyway).
        if (marker !== null) await this.dropMarker(rollout, marker.metadata.resourceVersion)
        if (isKubeError(err) && err.code === 'already_exists')
          throw new RolloutExistsError(rollout.namespace, rollout.id)
        throw err
      }
    })
  }

  async update(input: Rollout, version: Uint8Array): Promise<Uint8Array> {
    const rollout = this.check(input)
    return this.o.run(async () => {
      const name = rolloutObjectName(rollout.namespace, rollout.id)
      const rv = resourceVersionOf(version)
      if (rv === null) throw await this.mismatch(rollout, version)
      let written: RolloutObject
      try {
        const body = rolloutBody(rollout, this.k8sNamespace, rv)
        written = this.parse(await this.rollouts.replace(this.k8sNamespace, name, body), rollout)
      } catch (err) {
        if (isKubeError(err) && err.code === 'not_found')
          throw new RolloutNotFoundError(rollout.namespace, rollout.id)
        if (isKubeError(err) && err.code === 'conflict') throw await this.mismatch(rollout, version)
        throw err
      }
      if (isTerminal(rollout.phase)) await this.freePrefix(rollout)
      return versionOf(written)
    })
  }

  watch(options: WatchOptions = {}): AsyncIterableIterator<RolloutStoreEvent> {
    const stop = new AbortController()
    const channel = rolloutChannel(options, () => {
      stop.abort()
      void reflector.stop()
    })
    const ended = AbortSignal.any([stop.signal, this.o.closed])
    let synced = false
    const keyed = new Map<string, { namespace: string; id: string }>()
    const reflector = reflect({
      kube: this.o.kube,
      resource: ROLLOUTS,
      namespace: this.k8sNamespace,
      schema: RolloutObject,
      backoff: this.o.backoff,
      watchTimeoutSeconds: this.o.watchTimeoutSeconds,
      signal: ended,
      onChanges: (changes) => {
        const events: RolloutStoreEvent[] = []
        for (const change of changes) {
          if (change.type === 'delete') {
            const was = keyed.get(change.key)
            keyed.delete(change.key)
            if (was) events.push({ type: 'removed', ...was })
            continue
          }
          try {
            const rollout = rolloutOf(change.object, this.k8sNamespace)
            keyed.set(change.key, { namespace: rollout.namespace, id: rollout.id })
            events.push({ type: 'rollout', rollout, version: versionOf(change.object) })
          } catch (err) {
            // That rollout only: the others go on being watched.
            this.o.logger?.warn(
              { k8sNamespace: this.k8sNamespace, name: change.key, err },
              'a Rollout object cannot be read; it is left out',
            )
          }
        }
        if (!synced) {
          const current = listed(events.flatMap((e) => (e.type === 'rollout' ? [e] : [])))
          for (const { rollout, version } of current)
            channel.push({ type: 'rollout', rollout, version })
          channel.push({ type: 'synced' })
          synced = true
          return
        }
        for (const e of events) channel.push(e)
      },
      // Said once per new state or reason (a CRD not installed, RBAC, the API server away); the
      // loop retries with backoff and the watch resumes where it was.
      onHealth: (health) => {
        if ((health.state === 'starting' || health.state === 'stale') && health.error)
          this.o.logger?.warn(
            { k8sNamespace: this.k8sNamespace, problem: health.error.message },
            'the rollout watch cannot list or watch Rollout objects; retrying',
          )
      },
      onProblem: (problem) => {
        if (problem.kind === 'handler_failed')
          this.o.logger?.warn({ err: problem.error }, 'a rollout watch failed to apply a change')
      },
    })
    // An empty list emits no changes: `synced` still comes, once.
    void reflector.whenSynced().then((ok) => {
      if (ok && !synced) {
        synced = true
        channel.push({ type: 'synced' })
      }
    })
    if (ended.aborted) channel.end()
    else ended.addEventListener('abort', () => channel.end(), { once: true })
    return channel
  }

  async prune(before: Date, keep: number): Promise<number> {
    return this.o.run(async () => {
      const all = await this.list({ active: false })
      const versions = new Map(
        all.map((v) => [`${v.rollout.namespace}/${v.rollout.id}`, v.version]),
      )
      let removed = 0
      for (const rollout of prunable(
        all.map((v) => v.rollout),
        before,
        keep,
      )) {
        const rv = resourceVersionOf(
          versions.get(`${rollout.namespace}/${rollout.id}`) ?? new Uint8Array(),
        )
        if (rv === null) continue
        try {
          // Only at the version listed: one changed since is not ours to remove now.
          await this.rollouts.delete(
            this.k8sNamespace,
            rolloutObjectName(rollout.namespace, rollout.id),
            { resourceVersion: rv },
          )
          removed++
        } catch (err) {
          if (!isKubeError(err) || (err.code !== 'conflict' && err.code !== 'not_found')) throw err
        }
      }
      return removed
    })
  }

  // --- the prefix marker ------------------------------------------------------------------------

  /**
   * Takes the rollout's prefix: creates its marker, or replaces a stale one. RolloutActiveError
   * naming the holder when another rollout has it.
   */
  private async takePrefix(rollout: Rollout): Promise<LeaseObject> {
    const name = markerName(rollout.namespace, rollout.prefix)
    const body = (resourceVersion?: string) =>
      leaseBody(
        {
          holder: rollout.id,
          durationMs: STALE_MARKER_MS,
          acquiredAt: new Date(this.now()),
          renewedAt: new Date(this.now()),
          transitions: 0,
        },
        {
          k8sNamespace: this.k8sNamespace,
          objectName: name,
          labels: { [MARKER_LABEL]: 'true', [PREFIX_HASH_LABEL]: hash16(rollout.prefix) },
          annotations: {
            [PREFIX_ANNOTATION]: rollout.prefix,
            [NAMESPACE_ANNOTATION]: rollout.namespace,
          },
          resourceVersion,
        },
      )
    for (let attempt = 0; attempt < MAX_MARKER_ATTEMPTS; attempt++) {
      try {
        return parseLease(
          await this.leases.create(this.k8sNamespace, body()),
          `the create of the prefix marker ${name}`,
        )
      } catch (err) {
        if (!isKubeError(err) || err.code !== 'already_exists') throw err
      }
      const marker = await this.readMarker(name)
      if (marker === null) continue // Freed in between: try again.
      const holder = marker.spec?.holderIdentity ?? ''
      if (!(await this.isStale(rollout, marker, holder)))
        throw new RolloutActiveError(rollout.namespace, rollout.prefix, holder || '(unknown)')
      try {
        return parseLease(
          await this.leases.replace(this.k8sNamespace, name, body(marker.metadata.resourceVersion)),
          `the write of the prefix marker ${name}`,
        )
      } catch (err) {
        // Someone else took it over or freed it first: look again.
        if (!isKubeError(err) || (err.code !== 'conflict' && err.code !== 'not_found')) throw err
      }
    }
    throw new StoreUnavailableError(
      `the prefix ${rollout.prefix} of namespace ${JSON.stringify(rollout.namespace)} is being taken ` +
        `and freed by other writers faster than this create could take it (${MAX_MARKER_ATTEMPTS} tries); try again`,
    )
  }

  /** A marker is stale when its rollout is terminal, or missing and the marker over 10 s old. */
  private async isStale(rollout: Rollout, marker: LeaseObject, holder: string): Promise<boolean> {
    if (holder !== '') {
      const object = await this.readObject(rollout.namespace, holder)
      if (object !== null) {
        try {
          return isTerminal(rolloutOf(object, this.k8sNamespace).phase)
        } catch {
          // A corrupt holder cannot drive anything, but an operator should see it: it blocks
          // until it is deleted or repaired, as an active one would.
          return false
        }
      }
    }
    const made = Date.parse(
      marker.spec?.acquireTime ??
        marker.spec?.renewTime ??
        String(marker.metadata.creationTimestamp),
    )
    return Number.isNaN(made) || this.now() - made > STALE_MARKER_MS
  }

  /** After a terminal update: deletes the marker if this rollout still holds it. */
  private async freePrefix(rollout: Rollout): Promise<void> {
    try {
      const marker = await this.readMarker(markerName(rollout.namespace, rollout.prefix))
      if (marker === null || marker.spec?.holderIdentity !== rollout.id) return
      await this.dropMarker(rollout, marker.metadata.resourceVersion)
    } catch (err) {
      // The update is done; a marker left behind is stale (its rollout is terminal) and the
      // next create on the prefix replaces it.
      this.o.logger?.warn(
        { k8sNamespace: this.k8sNamespace, rollout: rollout.id, err },
        'could not delete the prefix marker of an ended rollout; the next rollout on the prefix replaces it',
      )
    }
  }

  private async dropMarker(rollout: Rollout, resourceVersion: string): Promise<void> {
    const name = markerName(rollout.namespace, rollout.prefix)
    try {
      await this.leases.delete(this.k8sNamespace, name, { resourceVersion })
    } catch (err) {
      if (isKubeError(err) && (err.code === 'conflict' || err.code === 'not_found')) return
      this.o.logger?.warn(
        { k8sNamespace: this.k8sNamespace, marker: name, err },
        'could not delete a prefix marker; it turns stale and is replaced by the next rollout',
      )
    }
  }

  private async readMarker(name: string): Promise<LeaseObject | null> {
    try {
      return parseLease(
        await this.leases.get(this.k8sNamespace, name),
        `a read of the prefix marker ${name}`,
      )
    } catch (err) {
      if (isKubeError(err) && err.code === 'not_found') return null
      throw err
    }
  }

  // --- calls ------------------------------------------------------------------------------------

  /** The rollout parsed at the boundary, its namespace and object name valid on Kubernetes. */
  private check(input: Rollout): Rollout {
    const rollout = Rollout.parse(input)
    checkNamespace(rollout.namespace, K8S_NAMESPACE_RULE)
    if (!isObjectName(rolloutObjectName(rollout.namespace, rollout.id))) {
      throw new StoreUnavailableError(
        `rollout ${rollout.id} in namespace ${JSON.stringify(rollout.namespace)} cannot be stored ` +
          'on Kubernetes: <namespace>.<id> is over 253 characters; use a shorter id',
      )
    }
    return rollout
  }

  private async readObject(namespace: string, id: string): Promise<RolloutObject | null> {
    const name = rolloutObjectName(namespace, id)
    try {
      const raw = await this.rollouts.get(this.k8sNamespace, name)
      const parsed = RolloutObject.safeParse(raw)
      if (!parsed.success) {
        throw new CorruptEntryError(
          namespace,
          locationOf(this.k8sNamespace, name),
          'the API server answered with an object without metadata.name or resourceVersion',
        )
      }
      return parsed.data
    } catch (err) {
      if (isKubeError(err) && err.code === 'not_found') return null
      throw err
    }
  }

  private async listObjects(labelSelector: string): Promise<RolloutObject[]> {
    const out: RolloutObject[] = []
    let cont: string | undefined
    do {
      const raw = await this.rollouts.list(this.k8sNamespace, {
        labelSelector: labelSelector || undefined,
        limit: 500,
        continue: cont,
      })
      const page = ListPage.safeParse(raw)
      if (!page.success) {
        throw new StoreUnavailableError(
          'the Kubernetes API answered a list of rollouts.switchyard.io with something that is ' +
            `not a list: ${z.prettifyError(page.error).slice(0, 300)}`,
        )
      }
      for (const item of page.data.items ?? []) {
        const object = RolloutObject.safeParse(item)
        if (object.success) out.push(object.data)
      }
      cont = page.data.metadata.continue || undefined
    } while (cont !== undefined)
    return out
  }

  private parse(raw: unknown, rollout: Rollout): RolloutObject {
    const parsed = RolloutObject.safeParse(raw)
    if (!parsed.success) {
      throw new StoreUnavailableError(
        `the Kubernetes API answered the write of rollout ${rollout.id} with an object without ` +
          'metadata.name or resourceVersion',
      )
    }
    return parsed.data
  }

  /** The refusal of a stale update: gone (RolloutNotFoundError), or at another version. */
  private async mismatch(rollout: Rollout, expected: Uint8Array): Promise<Error> {
    const now = await this.readObject(rollout.namespace, rollout.id).then(
      (object) => ({ object }),
      () => ({ object: undefined }),
    )
    if (now.object === null) return new RolloutNotFoundError(rollout.namespace, rollout.id)
    return new VersionMismatchError(
      rollout.namespace,
      expected,
      now.object ? versionOf(now.object) : null,
      rolloutSubject(rollout),
    )
  }
}
