// A running namerd: the store, the namers and the HTTP server, started and stopped together.
import type { AddressInfo } from 'node:net'
import type { Server as TlsServer } from 'node:tls'
import { Path } from '@switchyard/dtab'
import { describeNamerConfig, mountNamers, type NamerConfig, namerPrefix } from '@switchyard/namers'
import { type KubeEnvironment, openStore, type StoreSpec } from '@switchyard/store'
import { hostPort } from '@switchyard/wire'
import type { Logger } from 'pino'
import type { Settings } from './config.js'
import { FD_HEADROOM, fitToFileLimit, openFileLimit } from './connections.js'
import { loadAssets } from './dashboard/assets.js'
import { describeDashboard } from './dashboard/describe.js'
import {
  type Found,
  findNamerConnection,
  findStoreConnection,
  K8S_MISSING_CONFIG_HINTS,
} from './k8s-check.js'
import { buildServer, type NamerdServer } from './server.js'
import { loadTls, serverOptions, watchTls } from './tls.js'

export interface RunningNamerd {
  /** Where it listens, `host:port` (`[v6]:port`), with the real port when 0 was asked. */
  readonly address: string
  readonly server: NamerdServer
  /** Drains the watchers, stops serving, then closes the namers and the store. */
  stop(graceMs?: number): Promise<void>
}

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

/** One namer, with where its Kubernetes connection comes from (found offline). */
async function describeNamer(config: NamerConfig, environment: KubeEnvironment): Promise<Found> {
  const at = Path.show(namerPrefix(config.prefix ?? config.kind))
  if (config.kind !== 'io.l5d.k8s')
    return { ok: true, text: `${at}: ${describeNamerConfig(config)}` }
  const found = await findNamerConnection(config, environment)
  return found.ok
    ? {
        ok: true,
        text: `${at}: ${config.kind}, ${found.text}${config.labelSelector ? `, labelSelector ${config.labelSelector}` : ''}`,
      }
    : { ok: false, problem: `the namer at ${at}: ${found.problem}` }
}

/**
 * What `--check` prints: the settings that matter to an operator, one per line, with where
 * each Kubernetes connection comes from; and the problems that would stop namerd (no
 * Kubernetes configuration to be found), each a line for stderr.
 */
export async function describeSettings(
  settings: Settings,
  environment: KubeEnvironment = {},
): Promise<{ readonly text: string; readonly problems: readonly string[] }> {
  const problems: string[] = []
  const listen = hostPort(settings.listen.host, settings.listen.port)
  const lines = [
    `  listen: ${settings.tls === null ? listen : `https://${listen}`}`,
    `  store: ${describeStore(settings.store)}`,
  ]
  if (settings.tls !== null) {
    const loaded = loadTls(settings.tls)
    const validity = loaded.validity === undefined ? '' : ` (${loaded.validity})`
    lines.push(`  tls: ${settings.tls.certPath} (${loaded.describe})${validity}`)
    if (settings.tls.caCertPath !== undefined)
      lines.push(
        `    client certificates: ${settings.tls.requireClientAuth ? 'required' : 'requested'}, signed by ${settings.tls.caCertPath}`,
      )
  }
  const store = await findStoreConnection(settings.store, environment)
  if (store?.ok) lines.push(`    connection: ${store.text}`)
  else if (store) {
    lines.push('    connection: none found (below)')
    problems.push(`the k8s store: ${store.problem}`)
  }
  lines.push(`  namers: ${settings.namers.length}`)
  for (const namer of settings.namers) {
    const found = await describeNamer(namer, environment)
    if (found.ok) lines.push(`    ${found.text}`)
    else {
      lines.push(
        `    ${Path.show(namerPrefix(namer.prefix ?? namer.kind))}: ${namer.kind}, no connection found (below)`,
      )
      problems.push(found.problem)
    }
  }
  // The dashboard's URL as the start log names it (the address to be listened on).
  const base = `${settings.tls === null ? 'http' : 'https'}://${listen}`
  lines.push(
    `  dashboard: ${describeDashboard(settings, (settings.dashboard ?? null) === null ? null : loadAssets(), base)}`,
  )
  // Who may read and write, as the start log's auth field says it (reads open with anonymousReads).
  const writes = settings.tokens.some((t) => t.scope === 'write') ? 'token' : 'open'
  const reads = settings.tokens.length > 0 && !settings.anonymousReads ? 'token' : 'open'
  lines.push(
    `  tokens: ${settings.tokens.length} (writes: ${writes}, reads: ${reads})`,
    `  config: ${settings.configFile ?? '(none)'}`,
  )
  const head =
    problems.length === 0 ? 'namerd: configuration OK' : 'namerd: configuration NOT usable'
  return { text: `${[head, ...lines].join('\n')}\n`, problems }
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
    kubeOptions: { missingConfigHint: K8S_MISSING_CONFIG_HINTS.store },
  })
  let namers: Awaited<ReturnType<typeof mountNamers>>
  try {
    namers = await mountNamers(settings.namers, { logger: logger.child({ component: 'namers' }) })
  } catch (err) {
    await store.close()
    throw err
  }
  // Checked when the settings were read; read again here, the files being the truth at start.
  const tls = settings.tls === null ? null : loadTls(settings.tls)
  for (const w of tls?.warnings ?? []) logger.warn(w)
  // Read here (not by buildServer) so the start log can say whether the page is served.
  const dashboard = settings.dashboard ?? null
  const assets = dashboard === null ? null : loadAssets()
  const server = await buildServer({
    store,
    namers: namers.namers,
    logger,
    auth: { tokens: settings.tokens, anonymousReads: settings.anonymousReads },
    limits: settings.limits,
    connections: fitted.limits,
    rollouts: settings.rollouts,
    dashboard: dashboard === null || assets === null ? false : { path: dashboard.path, assets },
    ...(settings.tls === null || tls === null ? {} : { tls: serverOptions(settings.tls, tls) }),
  })
  const unwatch =
    settings.tls === null
      ? () => {}
      : watchTls(
          server.app.server as unknown as TlsServer,
          settings.tls,
          logger,
          settings.tlsReloadPollMs,
        )
  const stopAll = async (graceMs?: number) => {
    unwatch()
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
  const address = hostPort(a.address, a.port)
  const { auth } = server.context
  const namerTexts = await Promise.all(
    settings.namers.map(async (n) => {
      const found = await describeNamer(n, {})
      return found.ok ? found.text : found.problem
    }),
  )
  logger.info(
    {
      address,
      store: describeStore(settings.store),
      // What was found, not where it would have been looked for.
      ...(await storeConnectionField(settings.store)),
      namers: namerTexts,
      auth: auth.enabled
        ? {
            writes: auth.writeGuarded ? 'token' : 'open',
            reads: auth.readGuarded ? 'token' : 'open',
          }
        : 'open',
      maxConnections: fitted.limits.maxConnections,
      config: settings.configFile,
      dashboard: describeDashboard(
        { dashboard, dashboardOffBy: settings.dashboardOffBy },
        assets,
        `${settings.tls === null ? 'http' : 'https'}://${address}`,
      ),
      ...(tls === null
        ? {}
        : {
            tls: {
              certificate: tls.describe,
              clientAuth: settings.tls?.requireClientAuth
                ? 'required'
                : settings.tls?.caCertPath !== undefined
                  ? 'requested'
                  : 'off',
            },
          }),
    },
    'namerd listening',
  )
  return { address, server, stop: stopAll }
}

async function storeConnectionField(spec: StoreSpec): Promise<{ storeConnection?: string }> {
  const found = await findStoreConnection(spec)
  if (found === null) return {}
  return { storeConnection: found.ok ? found.text : found.problem }
}
