// The k8s store's LeaseStore (docs/design/rollouts.md §2): real `coordination.k8s.io/v1` Leases
// in the store's Kubernetes namespace, so `kubectl get leases` shows who leads the rollouts.
//
//   spec.holderIdentity        holder (absent when released)
//   spec.leaseDurationSeconds  durationMs rounded up to whole seconds (Kubernetes' unit); the
//                              exact ms in the annotation switchyard.io/duration-ms
//   spec.acquireTime/renewTime MicroTime (RFC 3339 with six fractional digits)
//   spec.leaseTransitions      transitions
//   switchyard.io/data         data (≤ MAX_LEASE_DATA)
//   switchyard.io/lease-name   the lease's own name, since object names are narrower (leaseObjectName)
//
// Version = the UTF-8 bytes of metadata.resourceVersion; compare-and-swap is the API server's (a
// replace carrying the resourceVersion, a delete with a precondition). Every write also sets a
// fresh switchyard.io/write nonce: the API server treats a replace with identical content as a
// no-op that keeps the resourceVersion, and a write must always give a new version.
import { createHash, randomUUID } from 'node:crypto'
import { isKubeError, type Kube, type ObjectClient, type Resource } from '@switchyard/kube'
import { z } from 'zod'
import { resourceVersionOf } from './k8s-objects.js'
import {
  InvalidLeaseError,
  LEASE_NAME,
  type LeaseRecord,
  type LeaseStore,
  type LeaseWrite,
} from './rollouts.js'
import { checkLease } from './rollouts-common.js'
import { StoreUnavailableError, VersionMismatchError } from './store.js'

export const LEASES: Resource = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
}

/** Marks the Leases of this LeaseStore among others in the namespace (leader elections of other software). */
export const LEASE_LABEL = 'switchyard.io/lease'
export const NAME_ANNOTATION = 'switchyard.io/lease-name'
export const DURATION_ANNOTATION = 'switchyard.io/duration-ms'
export const DATA_ANNOTATION = 'switchyard.io/data'
export const WRITE_ANNOTATION = 'switchyard.io/write'

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** Whether `name` is a Kubernetes object name (a lowercase RFC 1123 subdomain). */
export function isObjectName(name: string): boolean {
  return name.length <= 253 && SUBDOMAIN.test(name)
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/**
 * The Lease object's name for a lease name: `sy-lease.<name>` when that is a valid object name
 * (`rollouts-leader`, `replica.namerd-1`); otherwise (`_`, `..`, a part ending in `-`) the name
 * with every run of other characters made `-`, cut to 180 characters, and a hash of the exact
 * name, under `sy-lease-x.`, so two names never share an object and the two forms never meet.
 */
export function leaseObjectName(name: string): string {
  const direct = `sy-lease.${name}`
  if (isObjectName(direct)) return direct
  const readable = name
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 180)
    .replace(/^-+|-+$/g, '')
  const hash = sha256Hex(name).slice(0, 16)
  return `sy-lease-x.${readable === '' ? '' : `${readable}.`}${hash}`
}

/** Kubernetes' MicroTime: RFC 3339 with exactly six fractional digits (Go's RFC3339Micro). */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

function parseTime(text: string | null | undefined): Date | null {
  if (text === null || text === undefined) return null
  const date = new Date(text)
  return Number.isNaN(date.getTime()) ? null : date
}

/** A Lease as read: what this store needs of it, the rest ignored. */
export const LeaseObject = z.looseObject({
  metadata: z.looseObject({
    name: z.string().min(1),
    resourceVersion: z.string().min(1),
    annotations: z.record(z.string(), z.string()).nullish(),
    labels: z.record(z.string(), z.string()).nullish(),
  }),
  spec: z
    .looseObject({
      holderIdentity: z.string().nullish(),
      leaseDurationSeconds: z.int().nullish(),
      acquireTime: z.string().nullish(),
      renewTime: z.string().nullish(),
      leaseTransitions: z.int().nullish(),
    })
    .nullish(),
})
export type LeaseObject = z.infer<typeof LeaseObject>

const ListPage = z.looseObject({
  metadata: z.looseObject({ continue: z.string().optional() }),
  items: z.array(z.unknown()).nullable(),
})

export function leaseVersionOf(object: LeaseObject): Uint8Array {
  return new TextEncoder().encode(object.metadata.resourceVersion)
}

/** The record a Lease holds, named `name`. */
export function recordOf(name: string, object: LeaseObject): LeaseRecord {
  const spec = object.spec ?? {}
  const annotations = object.metadata.annotations ?? {}
  const exact = Number(annotations[DURATION_ANNOTATION])
  const durationMs =
    Number.isFinite(exact) && exact > 0 ? exact : (spec.leaseDurationSeconds ?? 0) * 1000
  return {
    name,
    holder: spec.holderIdentity || null,
    durationMs,
    acquiredAt: parseTime(spec.acquireTime),
    renewedAt: parseTime(spec.renewTime),
    transitions: spec.leaseTransitions ?? 0,
    data: annotations[DATA_ANNOTATION] ?? null,
    version: leaseVersionOf(object),
  }
}

export interface LeaseBodyOptions {
  readonly k8sNamespace: string
  readonly objectName: string
  readonly labels: Record<string, string>
  readonly annotations: Record<string, string>
  readonly resourceVersion?: string
}

/** A whole Lease object to create or replace. Absent fields are left out, never sent as null. */
export function leaseBody(
  next: Omit<LeaseWrite, 'data'>,
  o: LeaseBodyOptions,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    // Kubernetes requires a positive whole number of seconds; the exact ms is annotated.
    leaseDurationSeconds: Math.max(1, Math.ceil(next.durationMs / 1000)),
    leaseTransitions: next.transitions,
  }
  if (next.holder !== null) spec.holderIdentity = next.holder
  if (next.acquiredAt !== null) spec.acquireTime = microTime(next.acquiredAt)
  if (next.renewedAt !== null) spec.renewTime = microTime(next.renewedAt)
  const metadata: Record<string, unknown> = {
    name: o.objectName,
    namespace: o.k8sNamespace,
    labels: o.labels,
    annotations: {
      ...o.annotations,
      [DURATION_ANNOTATION]: String(next.durationMs),
      [WRITE_ANNOTATION]: randomUUID(),
    },
  }
  if (o.resourceVersion !== undefined) metadata.resourceVersion = o.resourceVersion
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec }
}

export function parseLease(raw: unknown, what: string): LeaseObject {
  const parsed = LeaseObject.safeParse(raw)
  if (!parsed.success) {
    throw new StoreUnavailableError(
      `the Kubernetes API answered ${what} with something that is not a Lease: ` +
        z.prettifyError(parsed.error).slice(0, 300),
    )
  }
  return parsed.data
}

/** Every Lease in `k8sNamespace` matching `labelSelector`, page by page. */
export async function listLeases(
  client: ObjectClient,
  k8sNamespace: string,
  labelSelector: string,
): Promise<LeaseObject[]> {
  const out: LeaseObject[] = []
  let cont: string | undefined
  do {
    const raw = await client.list(k8sNamespace, { labelSelector, limit: 500, continue: cont })
    const page = ListPage.safeParse(raw)
    if (!page.success) {
      throw new StoreUnavailableError(
        'the Kubernetes API answered a list of leases.coordination.k8s.io with something that ' +
          `is not a list: ${z.prettifyError(page.error).slice(0, 300)}`,
      )
    }
    for (const item of page.data.items ?? []) {
      const lease = LeaseObject.safeParse(item)
      if (lease.success) out.push(lease.data)
    }
    cont = page.data.metadata.continue || undefined
  } while (cont !== undefined)
  return out
}

export function checkLeaseName(name: string): void {
  if (!LEASE_NAME.test(name)) {
    throw new InvalidLeaseError(
      `invalid lease name ${JSON.stringify(name)}: lowercase letters, digits, '-', '.' and '_', ` +
        'starting and ending with a letter or digit, at most 202 characters',
    )
  }
}

export class K8sLeaseStore implements LeaseStore {
  private readonly client: ObjectClient

  constructor(
    kube: Kube,
    private readonly k8sNamespace: string,
    /** Runs a call: turns Kubernetes failures into store errors, refuses after close. */
    private readonly run: <T>(operation: () => Promise<T>) => Promise<T>,
  ) {
    this.client = kube.objects(LEASES)
  }

  async get(name: string): Promise<LeaseRecord | null> {
    checkLeaseName(name)
    return this.run(async () => {
      const object = await this.read(name)
      return object && recordOf(name, object)
    })
  }

  async list(prefix: string): Promise<LeaseRecord[]> {
    return this.run(async () => {
      const objects = await listLeases(this.client, this.k8sNamespace, LEASE_LABEL)
      const records: LeaseRecord[] = []
      for (const object of objects) {
        const name = object.metadata.annotations?.[NAME_ANNOTATION]
        if (name === undefined || !name.startsWith(prefix)) continue
        // Only the object this store would use for the name (not a hand-made look-alike).
        if (leaseObjectName(name) !== object.metadata.name) continue
        records.push(recordOf(name, object))
      }
      return records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    })
  }

  async write(name: string, next: LeaseWrite, expected: Uint8Array | null): Promise<LeaseRecord> {
    checkLease(name, next)
    if (!Number.isSafeInteger(next.transitions) || next.transitions < 0)
      throw new InvalidLeaseError(`lease ${name}: transitions must be a whole number ≥ 0`)
    return this.run(async () => {
      const objectName = leaseObjectName(name)
      const annotations: Record<string, string> = { [NAME_ANNOTATION]: name }
      if (next.data !== null) annotations[DATA_ANNOTATION] = next.data
      const options = {
        k8sNamespace: this.k8sNamespace,
        objectName,
        labels: { [LEASE_LABEL]: 'true' },
        annotations,
      }
      if (expected === null) {
        try {
          const created = await this.client.create(this.k8sNamespace, leaseBody(next, options))
          return recordOf(name, parseLease(created, `the create of lease ${name}`))
        } catch (err) {
          if (isKubeError(err) && err.code === 'already_exists')
            throw await this.mismatch(name, new Uint8Array())
          throw err
        }
      }
      const rv = resourceVersionOf(expected)
      if (rv === null) throw await this.mismatch(name, expected)
      try {
        const body = leaseBody(next, { ...options, resourceVersion: rv })
        const replaced = await this.client.replace(this.k8sNamespace, objectName, body)
        return recordOf(name, parseLease(replaced, `the write of lease ${name}`))
      } catch (err) {
        if (isKubeError(err) && (err.code === 'conflict' || err.code === 'not_found'))
          throw await this.mismatch(name, expected)
        throw err
      }
    })
  }

  async delete(name: string, expected: Uint8Array): Promise<void> {
    checkLeaseName(name)
    await this.run(async () => {
      const rv = resourceVersionOf(expected)
      if (rv === null) throw await this.mismatch(name, expected)
      try {
        await this.client.delete(this.k8sNamespace, leaseObjectName(name), { resourceVersion: rv })
      } catch (err) {
        if (isKubeError(err) && (err.code === 'conflict' || err.code === 'not_found'))
          throw await this.mismatch(name, expected)
        throw err
      }
    })
  }

  private async read(name: string): Promise<LeaseObject | null> {
    try {
      const object = parseLease(
        await this.client.get(this.k8sNamespace, leaseObjectName(name)),
        `a read of lease ${name}`,
      )
      // A hashed object name that some other name shares (never in practice): not this lease.
      const named = object.metadata.annotations?.[NAME_ANNOTATION]
      return named === undefined || named === name ? object : null
    } catch (err) {
      if (isKubeError(err) && err.code === 'not_found') return null
      throw err
    }
  }

  /** The refusal of a stale write, saying the version the lease is at now (if it exists). */
  private async mismatch(name: string, expected: Uint8Array): Promise<VersionMismatchError> {
    const now = await this.read(name).catch(() => null)
    return new VersionMismatchError(name, expected, now && leaseVersionOf(now), `lease ${name}`)
  }
}
