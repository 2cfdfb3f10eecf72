// What the daemon and its admin server need of a router, whatever protocol it speaks: the
// HTTP/1.1 router (router.ts) and the h2 router (h2/h2-router.ts).
import type { Dtab, Path } from '@switchyard/dtab'
import type { Interpreter } from '../interpret/index.js'
import type { RouterStats } from '../metrics/index.js'
import type { Routes } from '../route/index.js'

export interface ProxyRouter {
  readonly label: string
  readonly protocol: 'http' | 'h2'
  readonly stats: RouterStats
  readonly dstPrefix: Path
  readonly routes: Routes
  readonly interpreter: Interpreter
  /** Starts every server; resolves with their addresses (`ip:port`) once all listen. */
  listen(): Promise<string[]>
  /** The servers' addresses, in the config's order. */
  addresses(): string[]
  /** The delegation of `path` for the admin's route debugger. */
  explain(path: Path, extra: Dtab): Promise<string>
  /** Stops accepting, lets requests in flight finish, closes clients and the interpreter. */
  close(): Promise<void>
}
