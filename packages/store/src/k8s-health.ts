// The k8s store's health, for namerd's /ready and its log:
// - the watch loop's health as the store's: ok, starting (with why), stale (since when, why);
// - and, when routing works but history does not, `degraded`: writes succeed but are not
//   recorded, because the history CRD (dtabhistories.switchyard.io) is not installed or RBAC
//   refuses it. Found by a read of the history objects once the loop has synced and by every
//   history call; while degraded it is looked at again every recheckMs, so installing the CRD
//   clears it without a write.
// Each change is logged once.
import { isKubeError, type ReflectHealth } from '@switchyard/kube'
import type { StoreHealth } from './store.js'

/** The few logger methods the store uses (pino's). */
export interface StoreLogger {
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

export interface K8sHealthOptions {
  readonly logger: StoreLogger | undefined
  readonly where: { readonly server: string; readonly k8sNamespace: string }
  /** A read of the history objects: resolves when they can be read, throws KubeError if not. */
  readonly probeHistory: () => Promise<void>
  /** While degraded, how often to look again. */
  readonly recheckMs: number
}

export class K8sHealth {
  private history: { readonly since: Date; readonly problem: string } | null = null
  private timer: NodeJS.Timeout | null = null
  private probing = false
  private closed = false

  constructor(private readonly o: K8sHealthOptions) {}

  /** The store's health, given the watch loop's. */
  current(loop: ReflectHealth): StoreHealth {
    const health = storeHealth(loop)
    if (health.state !== 'ok' || this.history === null) return health
    return { state: 'degraded', since: this.history.since, problem: this.history.problem }
  }

  /** The watch loop's health changed (it says so only on a change): log it; check history. */
  loopChanged(health: ReflectHealth): void {
    logHealth(this.o.logger, this.o.where, health)
    if (health.state === 'synced') void this.checkHistory()
  }

  /** A history call succeeded: history is recorded. */
  historyWorked(): void {
    if (this.history === null) return
    this.history = null
    this.stopTimer()
    this.o.logger?.info(this.o.where, 'dtab store: history is recorded again')
  }

  /** A history call failed: if for want of the CRD or of RBAC, history is not recorded. */
  historyFailed(err: unknown): void {
    if (!isKubeError(err) || (err.code !== 'crd_missing' && err.code !== 'forbidden')) return
    const problem = `history is not recorded: ${err.message}`
    if (this.history?.problem === problem) return
    this.history = { since: this.history?.since ?? new Date(), problem }
    this.o.logger?.warn(
      { ...this.o.where, problem },
      'dtab store: degraded: dtab writes work, but history is not recorded',
    )
    if (this.timer === null && !this.closed) {
      this.timer = setInterval(() => void this.checkHistory(), this.o.recheckMs)
      this.timer.unref()
    }
  }

  close(): void {
    this.closed = true
    this.stopTimer()
  }

  private async checkHistory(): Promise<void> {
    if (this.probing || this.closed) return
    this.probing = true
    try {
      await this.o.probeHistory()
      this.historyWorked()
    } catch (err) {
      this.historyFailed(err)
    } finally {
      this.probing = false
    }
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }
}

export function storeHealth(health: ReflectHealth): StoreHealth {
  switch (health.state) {
    case 'synced':
      return { state: 'ok' }
    case 'stale':
      return { state: 'stale', since: health.since, problem: health.error.message }
    case 'starting':
      return { state: 'starting', since: health.since, problem: health.error?.message ?? null }
    case 'stopped':
      return { state: 'starting', since: health.since, problem: 'the dtab store is closed' }
  }
}

/** Logs a change of the watch loop's health (the loop reports only changes). */
function logHealth(
  logger: StoreLogger | undefined,
  where: K8sHealthOptions['where'],
  health: ReflectHealth,
): void {
  if (health.state === 'synced') logger?.info(where, 'dtab store: watching the DTab objects')
  else if (health.state === 'stale')
    logger?.warn(
      { ...where, since: health.since, problem: health.error.message },
      'dtab store: the Kubernetes API is away; serving the last known dtabs',
    )
  else if (health.state === 'starting' && health.error)
    logger?.warn(
      { ...where, problem: health.error.message },
      'dtab store: cannot list the DTab objects yet',
    )
}
