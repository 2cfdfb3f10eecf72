// An h2 router: HTTP/2 servers (h2c by prior knowledge, or h2 over TLS with ALPN), routing each
// stream as router.ts routes an HTTP/1.1 request (route-decider.ts), and forwarding it on an
// h2 session to the endpoint picked, streams passed through under flow control. gRPC-aware:
// outcomes from grpc-status, grpc-timeout as a deadline, the proxy's own errors as gRPC ones.
//
// NOT BUILT YET: this is the agreed shape; listen() refuses until it is.
import type { Dtab, Path } from '@switchyard/dtab'
import type { Logger } from 'pino'
import type { RouterConfig } from '../config/schema.js'
import type { Interpreter } from '../interpret/index.js'
import { RouterStats } from '../metrics/index.js'
import type { Routes } from '../route/index.js'
import type { AccessLog } from '../router/access-log.js'
import type { ProxyRouter } from '../router/proxy-router.js'
import { RouteDecider } from '../router/route-decider.js'

export interface H2RouterOptions {
  /** Relative TLS paths are relative to this (the config file's folder). */
  readonly baseDir: string
}

export class H2Router implements ProxyRouter {
  readonly protocol = 'h2' as const
  readonly label: string
  readonly stats: RouterStats
  readonly dstPrefix: Path
  readonly routes: Routes
  readonly decider: RouteDecider

  constructor(
    readonly config: RouterConfig,
    readonly interpreter: Interpreter,
    readonly logger: Logger,
    readonly accessLog: AccessLog | undefined,
    readonly options: H2RouterOptions,
  ) {
    this.label = config.label ?? config.protocol
    this.stats = new RouterStats(this.label)
    this.decider = new RouteDecider(config, interpreter, this.label)
    this.dstPrefix = this.decider.dstPrefix
    this.routes = this.decider.routes
    this.stats.routeCache = this.routes
  }

  listen(): Promise<string[]> {
    return Promise.reject(new Error('h2 routers are not built yet'))
  }

  addresses(): string[] {
    return []
  }

  explain(path: Path, extra: Dtab): Promise<string> {
    return this.decider.explain(path, extra)
  }

  async close(): Promise<void> {
    await this.interpreter.close()
  }
}
