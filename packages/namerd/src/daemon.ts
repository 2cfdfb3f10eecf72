// A running namerd: the store, the namers and the HTTP server, started and stopped together.
import type { AddressInfo } from 'node:net'
import { describeNamerConfig, mountNamers } from '@switchyard/namers'
import { openStore, type StoreSpec } from '@switchyard/store'
import type { Logger } from 'pino'
import type { Settings } from './config.js'
import { FD_HEADROOM, fitToFileLimit, openFileLimit } from './connections.js'
import { buildServer, type NamerdServer } from './server.js'

export interface RunningNamerd {
  /** Where it listens, `host:port` (`[v6]:port`), with the real port when 0 was asked. */
  readonly address: string
  readonly server: NamerdServer
  /** Drains the watchers, stops serving, then closes the namers and the store. */
  stop(graceMs?: number): Promise<void>
}

/** What namerd's "no Kubernetes configuration" error suggests: its own flag. */
export const K8S_MISSING_CONFIG_HINT = 'e.g. --store k8s:http://127.0.0.1:8001'

export function describeStore(spec: StoreSpec): string {
  switch (spec.kind) {
    case 'memory':
      return 'memory'
    case 'file':
      return `file:${spec.dir}`
    case 'etcd':
      return `etcd:${spec.hosts.join(',')}${spec.prefix}`
    case 'k8s': {
      const where = spec.connection.kind === 'url' ? `k8s:${spec.connection.url}` : 'k8s'
      return spec.namespace === undefined ? where : `${where} (namespace ${spec.namespace})`
    }
  }
}

export async function startNamerd(
  settings: Settings,
  logger: Logger,
  fileLimit: number | null = openFileLimit(),
): Promise<RunningNamerd> {
  // More connections than file descriptors would fail at accept(), the store and the namers
  // with them: lower the limit to fit, and say so (nginx warns, HAProxy adjusts maxconn).
  const fitted = fitToFileLimit(settings.connections, fileLimit)
  if (fitted.lowered) {
    logger.warn(
      {
        configured: settings.connections.maxConnections,
        maxConnections: fitted.limits.maxConnections,
        openFileLimit: fileLimit,
      },
      `limits.maxConnections lowered to fit the open-file limit (ulimit -n) less ${FD_HEADROOM} for the store and namers; raise the limit (LimitNOFILE=, ulimit -n) or lower limits.maxConnections`,
    )
  }
  const store = await openStore(settings.store, {
    historyLimit: settings.historyLimit,
    logger: logger.child({ component: 'store' }),
    kubeOptions: { missingConfigHint: K8S_MISSING_CONFIG_HINT },
  })
  let namers: Awaited<ReturnType<typeof mountNamers>>
  try {
    namers = await mountNamers(settings.namers)
  } catch (err) {
    await store.close()
    throw err
  }
  const server = await buildServer({
    store,
    namers: namers.namers,
    logger,
    auth: { tokens: settings.tokens, anonymousReads: settings.anonymousReads },
    limits: settings.limits,
    connections: fitted.limits,
  })
  const stopAll = async (graceMs?: number) => {
    await server.close(graceMs)
    await namers.close()
    await store.close()
  }
  try {
    await server.app.listen({ host: settings.listen.host, port: settings.listen.port })
  } catch (err) {
    await stopAll(0)
    throw err
  }
  const a = server.app.server.address() as AddressInfo
  const address = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`
  const { auth } = server.context
  logger.info(
    {
      address,
      store: describeStore(settings.store),
      namers: settings.namers.map(describeNamerConfig),
      auth: auth.enabled
        ? {
            writes: auth.writeGuarded ? 'token' : 'open',
            reads: auth.readGuarded ? 'token' : 'open',
          }
        : 'open',
      maxConnections: fitted.limits.maxConnections,
      config: settings.configFile,
    },
    'namerd listening',
  )
  return { address, server, stop: stopAll }
}
