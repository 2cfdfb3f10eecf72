// What the routes share: the store, the namers, auth, metrics, the watchers and the limits.
import type { DtabStore } from '@switchyard/store'
import type { Auth, Principal, Scope } from './auth.js'
import type { Metrics } from './metrics.js'
import type { Naming } from './naming.js'
import type { RenderedDtabs } from './rendered-dtabs.js'
import type { RolloutsStatus } from './rollouts/leader.js'
import type { SharedDtabWatches } from './shared-watches.js'
import type { WatcherRegistry } from './watchers.js'

export interface Limits {
  /** Largest request body accepted (413 beyond). Default 1 MiB; a dtab is rarely 10 kB. */
  readonly maxBodyBytes: number
  /** Most watch streams open at once (503 beyond). Default 10000. */
  readonly maxWatchers: number
  /** namerd's delegate timeout: 503 `Request timed out.` past it. Default 2000 ms. */
  readonly delegateTimeoutMs: number
  /** How long a one-shot bind, addr or resolve waits for pending addresses. Default 10000 ms. */
  readonly resolveTimeoutMs: number
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1024 * 1024,
  maxWatchers: 10_000,
  delegateTimeoutMs: 2000,
  resolveTimeoutMs: 10_000,
}

export interface Context {
  /** The store, instrumented, with concurrent reads of a namespace coalesced. */
  readonly store: DtabStore
  /** One store watch per watched namespace, shared by its watch streams and bind watches. */
  readonly dtabWatches: SharedDtabWatches
  /** GET bodies per namespace and version. */
  readonly rendered: RenderedDtabs
  readonly naming: Naming
  readonly auth: Auth
  readonly metrics: Metrics
  readonly watchers: WatcherRegistry
  readonly limits: Limits
  readonly state: { draining: boolean }
  /** Rollouts on this replica: null when switched off (or the store has no rollouts facet). */
  readonly rollouts: RolloutsStatus | null
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs; absent for open routes (ping, ready, metrics). */
    scope?: Scope
  }
  interface FastifyRequest {
    /** Who called, when a token was sent; null for anonymous calls. */
    principal: Principal | null
  }
}
