// The whole daemon: every router from the config, and the admin server over them.
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { Path } from '@switchyard/dtab'
import { hostPort } from '@switchyard/wire'
import type { Logger } from 'pino'
import { type AdminRouter, createAdminServer } from './admin/admin-server.js'
import { describeIgnored } from './config/linkerd-keys.js'
import { ignoredLinkerdKeys, type ProxyConfig, type RouterConfig } from './config/schema.js'
import { H2Router } from './h2/h2-router.js'
import { createInterpreter, TransformerError } from './interpret/index.js'
import { ListenError } from './listen-error.js'
import { AccessLog } from './router/access-log.js'
import type { ProxyRouter } from './router/proxy-router.js'
import { Router } from './router/router.js'
import { TlsConfigError } from './tls/tls-errors.js'

export interface RunningProxy {
  readonly id: string
  readonly routers: readonly ProxyRouter[]
  /** `ip:port` of the admin server. */
  readonly admin: string
  close(): Promise<void>
}

export interface ProxyOptions {
  readonly logger: Logger
  /** Relative paths in the config (dtabFile, rootDir, access logs) are relative to this. */
  readonly baseDir: string
}

function adminView(router: ProxyRouter): AdminRouter {
  return {
    label: router.label,
    stats: router.stats,
    dstPrefix: Path.show(router.dstPrefix),
    servers: () => router.addresses(),
    status: () => router.interpreter.status,
    dtab: () => router.interpreter.dtab,
    explain: (path, extra) => router.explain(path, extra),
  }
}

export async function startProxy(
  config: ProxyConfig,
  options: ProxyOptions,
): Promise<RunningProxy> {
  const { logger, baseDir } = options
  const id = config.id ?? `${hostname()}-${process.pid}`
  const routers: ProxyRouter[] = []
  const logs: AccessLog[] = []
  // A Linkerd config loads unchanged; what the proxy does not use is said once, not hidden.
  const ignored = ignoredLinkerdKeys(config)
  if (ignored.length > 0) {
    logger.warn(
      { ignored: ignored.map((k) => k.path) },
      `Linkerd config keys this proxy does not use, ignored: ${describeIgnored(ignored)}`,
    )
  }
  let admin: ReturnType<typeof createAdminServer> | undefined
  // namerd records a watcher's admin address when its watch starts, and the address is known
  // only once the admin server listens (port 0): the interpreters' watches wait for it.
  let advertise: (address: string | undefined) => void = () => {}
  const advertised = new Promise<string | undefined>((resolve) => {
    advertise = resolve
  })
  try {
    for (const [i, rc] of config.routers.entries()) {
      const label = rc.label ?? rc.protocol
      let interpreter: ReturnType<typeof createInterpreter>
      try {
        interpreter = createInterpreter(interpreterConfig(rc), {
          namers: config.namers,
          proxyId: id,
          adminAddress: advertised,
          baseDir,
          logger: logger.child({ router: label }),
        })
      } catch (err) {
        // A namerd interpreter's tls files (read here) are named under their router, as a
        // server's or a client's are: routers[0].interpreter.tls.trustCerts[0].
        if (err instanceof TlsConfigError) throw err.prefixed(`routers[${i}].`)
        throw err
      }
      // A namer that cannot mount (an io.l5d.fs rootDir that does not exist) would leave the
      // router unready for good: fail the start instead, as a bad config does.
      await interpreter.ready(0).catch(async (err: unknown) => {
        await interpreter.close()
        // A transformer's error names the transformer itself.
        if (err instanceof TransformerError) throw err
        throw new Error(`namers: ${err instanceof Error ? err.message : err}`)
      })
      const log =
        rc.httpAccessLog === undefined
          ? undefined
          : new AccessLog(rc.httpAccessLog === '-' ? '-' : resolve(baseDir, rc.httpAccessLog))
      if (log) logs.push(log)
      const routerLog = logger.child({ router: label })
      const router: ProxyRouter =
        rc.protocol === 'h2'
          ? new H2Router(rc, interpreter, routerLog, log, { baseDir })
          : new Router(rc, interpreter, routerLog, log, { baseDir })
      routers.push(router)
      const addresses = await router.listen().catch((err: unknown) => {
        if (err instanceof TlsConfigError) throw err.prefixed(`routers[${i}].`)
        throw err instanceof ListenError
          ? new ListenError(`routers[${i}].${err.key}`, err.cause)
          : err
      })
      for (const address of addresses) {
        logger.info({ router: label, address }, 'router listening')
      }
    }
    admin = createAdminServer(routers.map(adminView), logger, config.admin)
    await admin.listen({ host: config.admin.ip, port: config.admin.port }).catch((err: unknown) => {
      throw new ListenError('admin', err)
    })
    const a = admin.server.address()
    const adminAddress =
      typeof a === 'object' && a !== null ? hostPort(a.address, a.port) : String(a)
    logger.info({ address: adminAddress, id }, 'admin listening')
    advertise(config.namerd?.advertiseAdmin ?? adminAddress)
    const adminServer = admin
    return {
      id,
      routers,
      admin: adminAddress,
      async close() {
        await adminServer.close()
        await Promise.all(routers.map((r) => r.close()))
        await Promise.all(logs.map((l) => l.close()))
      },
    }
  } catch (err) {
    advertise(undefined)
    await admin?.close()
    await Promise.all(routers.map((r) => r.close().catch(() => {})))
    throw err
  }
}

/** A router with no interpreter is Linkerd's default: its own `dtab` and the local namers. */
function interpreterConfig(rc: RouterConfig) {
  if (rc.interpreter === undefined) return { kind: 'local' as const, dtab: rc.dtab ?? '' }
  if ('dst' in rc.interpreter) return rc.interpreter
  return { ...rc.interpreter, dtab: rc.interpreter.dtab ?? rc.dtab }
}
