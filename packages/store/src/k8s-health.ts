// The k8s store's health, for namerd's /ready and its log: the watch loop's health as the
// store's (ok, starting with why, stale since when and why), each change logged once.
import type { ReflectHealth } from '@switchyard/kube'
import type { StoreHealth } from './store.js'

/** The few logger methods the store uses (pino's). */
export interface StoreLogger {
  info(details: object, message: string): void
  warn(details: object, message: string): void
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
export function logHealth(
  logger: StoreLogger | undefined,
  where: { readonly server: string; readonly k8sNamespace: string },
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
