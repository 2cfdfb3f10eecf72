// The loop's health, for /ready and logs: starting (never listed, with the last error), synced,
// stale (lost the API server after a sync: since when and why) and stopped. Listeners hear of a
// new state or a new reason only, not of every retry.
import type { KubeError } from './errors.js'
import type { ReflectHealth } from './reflect-types.js'

export class HealthState {
  private state: ReflectHealth = { state: 'starting', since: new Date(), error: null }
  private everSynced = false
  private syncWaiters: ((synced: boolean) => void)[] = []

  constructor(private readonly onHealth: ((health: ReflectHealth) => void) | undefined) {}

  get health(): ReflectHealth {
    return this.state
  }

  /** True once a list has succeeded (the cache is meaningful), even if stale now. */
  get hasSynced(): boolean {
    return this.everSynced
  }

  /** Resolves true after the first successful list, false if the loop stops first. */
  whenSynced(): Promise<boolean> {
    if (this.everSynced) return Promise.resolve(true)
    if (this.state.state === 'stopped') return Promise.resolve(false)
    return new Promise((resolve) => this.syncWaiters.push(resolve))
  }

  synced(): void {
    if (!this.everSynced) {
      this.everSynced = true
      for (const wake of this.syncWaiters.splice(0)) wake(true)
    }
    if (this.state.state !== 'synced') this.set({ state: 'synced', since: new Date() })
  }

  failed(error: KubeError): void {
    const prior = this.state
    if (this.everSynced) {
      const since = prior.state === 'stale' ? prior.since : new Date()
      this.set({ state: 'stale', since, error })
    } else {
      this.set({ state: 'starting', since: prior.since, error })
    }
  }

  stopped(): void {
    this.set({ state: 'stopped', since: new Date() })
    for (const wake of this.syncWaiters.splice(0)) wake(false)
  }

  private set(health: ReflectHealth): void {
    const prior = this.state
    this.state = health
    const reason = (h: ReflectHealth) => ('error' in h ? (h.error?.message ?? null) : null)
    if (prior.state === health.state && reason(prior) === reason(health)) return
    try {
      this.onHealth?.(health)
    } catch {
      // A reporting hook must not break the loop.
    }
  }
}
