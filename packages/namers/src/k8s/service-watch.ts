// One Service and its EndpointSlices, watched together: the shared state behind every name of
// one (namespace, service[, label value]), whatever the port. Two list-then-watch loops (the
// Service by name, its slices by the service-name label) feed it; the Addr of each port is
// computed from both. After the first answer, an API server that goes away leaves the last good
// state in place, marked stale.
import { Addr } from '../addr.js'
import type { CollectionChange, CollectionHealth, OpenCollection } from './collection.js'
import { endpointsAddr } from './endpoints.js'
import type { PortRef } from './names.js'
import { EndpointSlice, Service } from './objects.js'

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

export interface ServiceKey {
  readonly namespace: string
  readonly service: string
  /** `<labelSelector key>=<value>` when the namer has a labelSelector. */
  readonly label?: string
}

export function keyOf(k: ServiceKey): string {
  return `${k.namespace}/${k.service}${k.label === undefined ? '' : `:${k.label}`}`
}

/** What namer_state shows of one watch. */
export interface ServiceWatchState {
  readonly namespace: string
  readonly service: string
  readonly label?: string
  /** The Service: present, absent, malformed, or not yet known. */
  readonly serviceObject: 'present' | 'absent' | 'malformed' | 'unknown'
  readonly slices: number
  /** Slices that did not parse (they count for nothing). */
  readonly malformedSlices: readonly string[]
  readonly synced: boolean
  /** The last error while the state is not current (the API server away, RBAC): stale. */
  readonly stale?: string
}

type ServiceObject =
  | { type: 'present'; service: Service }
  | { type: 'absent' }
  | { type: 'malformed'; problem: string }

export class ServiceWatch {
  readonly key: ServiceKey
  #service: ServiceObject | undefined
  readonly #slices = new Map<string, EndpointSlice>()
  readonly #malformed = new Set<string>()
  #serviceHealth: CollectionHealth = { synced: false }
  #slicesHealth: CollectionHealth = { synced: false }
  #slicesSeen = false
  readonly #listeners = new Set<() => void>()
  readonly #stops: (() => Promise<void>)[] = []

  constructor(key: ServiceKey, open: OpenCollection) {
    this.key = key
    const label = key.label === undefined ? '' : `,${key.label}`
    this.#stops.push(
      open(
        {
          resource: 'services',
          namespace: key.namespace,
          fieldSelector: `metadata.name=${key.service}`,
          ...(key.label === undefined ? {} : { labelSelector: key.label }),
        },
        {
          change: (c) => this.#onService(c),
          health: (h) => {
            this.#serviceHealth = h
            this.#fire()
          },
        },
      ),
      open(
        {
          resource: 'endpointslices',
          namespace: key.namespace,
          labelSelector: `${SERVICE_NAME_LABEL}=${key.service}${label}`,
        },
        {
          change: (c) => this.#onSlices(c),
          health: (h) => {
            this.#slicesHealth = h
            this.#fire()
          },
        },
      ),
    )
  }

  /** Calls `listener` after every change of state; returns the function that stops it. */
  listen(listener: () => void): () => void {
    const entry = () => listener()
    this.#listeners.add(entry)
    return () => this.#listeners.delete(entry)
  }

  /** Both lists have answered at least once. */
  get synced(): boolean {
    return this.#service !== undefined && this.#slicesSeen
  }

  /** Whether the name exists now: undefined while not known. */
  exists(port: PortRef): boolean | undefined {
    const addr = this.addr(port)
    if (addr.type === 'pending') return undefined
    return addr.type !== 'neg'
  }

  /**
   * The port's Addr: pending until both lists answer (failed if they cannot, with the reason),
   * Neg for a Service that does not exist or lacks the port, else its ready endpoints.
   */
  addr(port: PortRef): Addr {
    if (!this.synced) {
      const error = this.#serviceHealth.error ?? this.#slicesHealth.error
      return error === undefined ? Addr.pending : Addr.failed(error)
    }
    const s = this.#service!
    switch (s.type) {
      case 'absent':
        return Addr.neg
      case 'malformed':
        return Addr.failed(s.problem)
      case 'present':
        return endpointsAddr(s.service, this.#slices.values(), port)
    }
  }

  state(): ServiceWatchState {
    const stale = this.#serviceHealth.error ?? this.#slicesHealth.error
    return {
      namespace: this.key.namespace,
      service: this.key.service,
      ...(this.key.label === undefined ? {} : { label: this.key.label }),
      serviceObject: this.#service?.type ?? 'unknown',
      slices: this.#slices.size,
      malformedSlices: [...this.#malformed].sort(),
      synced: this.synced && this.#serviceHealth.synced && this.#slicesHealth.synced,
      ...(stale === undefined ? {} : { stale }),
    }
  }

  /** Stops both loops; resolves once their connections are closed. */
  async close(): Promise<void> {
    this.#listeners.clear()
    await Promise.all(this.#stops.splice(0).map((stop) => stop()))
  }

  #onService(change: CollectionChange): void {
    // The watch selects one name; any other object it reports is not this Service.
    if (change.type === 'reset') {
      const raw = change.objects.get(this.key.service)
      this.#service = raw === undefined ? { type: 'absent' } : this.#parseService(raw)
    } else if (change.name === this.key.service) {
      this.#service =
        change.type === 'delete' ? { type: 'absent' } : this.#parseService(change.object)
    } else return
    this.#fire()
  }

  #parseService(raw: unknown): ServiceObject {
    const r = Service.safeParse(raw)
    if (r.success) return { type: 'present', service: r.data }
    const issue = r.error.issues[0]
    return {
      type: 'malformed',
      problem: `the API server's Service ${this.key.namespace}/${this.key.service} is malformed at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    }
  }

  #onSlices(change: CollectionChange): void {
    if (change.type === 'reset') {
      this.#slicesSeen = true
      this.#slices.clear()
      this.#malformed.clear()
      for (const [name, raw] of change.objects) this.#putSlice(name, raw)
    } else if (change.type === 'delete') {
      // Only that slice's contribution goes: the others may hold the same endpoints.
      this.#slices.delete(change.name)
      this.#malformed.delete(change.name)
    } else this.#putSlice(change.name, change.object)
    this.#fire()
  }

  #putSlice(name: string, raw: unknown): void {
    const r = EndpointSlice.safeParse(raw)
    if (r.success) {
      this.#slices.set(name, r.data)
      this.#malformed.delete(name)
    } else {
      this.#slices.delete(name)
      this.#malformed.add(name)
    }
  }

  #fire(): void {
    for (const l of [...this.#listeners]) l()
  }
}
