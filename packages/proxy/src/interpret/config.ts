// createInterpreter: the router's `interpreter:` config (kinds as Linkerd names them) to a
// running Interpreter. The glue's config schema validates the shape; this takes its output.
import type { ResolverOptions } from '@switchyard/namers'
import type { Logger } from 'pino'
import { type ClientTlsConfig, tlsIfEnabled } from '../config/tls.js'
import { INTERPRETER_DISABLE_VALIDATION } from '../tls/check-files.js'
import { ClientTls } from '../tls/client-tls.js'
import type { RetryConfig } from './backoff.js'
import { LocalInterpreter } from './local-interpreter.js'
import { NamerdInterpreter } from './namerd-interpreter.js'
import {
  applyTransformers,
  makeTransformers,
  type TransformerConfig,
  type TransformerOptions,
} from './transformers/index.js'
import type { Interpreter } from './types.js'

export interface NamerdInterpreterSpec {
  readonly kind: 'namerd' | 'io.l5d.namerd.http'
  readonly dst: string
  readonly namespace?: string
  readonly retry?: Partial<RetryConfig>
  readonly token?: string
  readonly experimental?: boolean
  /** TLS to namerd: with it, namerd is reached over https whatever the dst's scheme. */
  readonly tls?: ClientTlsConfig
  readonly transformers?: readonly TransformerConfig[]
}

/**
 * The URL the interpreter reaches namerd at: with `tls`, https whatever the dst's scheme
 * (Linkerd's `/$/inet/<host>/<port>` with tls is namerd over TLS; the schema reads it as
 * http://). --check shows this URL.
 */
export function namerdUrl(spec: Pick<NamerdInterpreterSpec, 'dst' | 'tls'>): string {
  return tlsIfEnabled(spec.tls) === undefined ? spec.dst : spec.dst.replace(/^http:/, 'https:')
}

export interface LocalInterpreterSpec {
  readonly kind: 'local' | 'default' | 'io.l5d.fs'
  readonly dtab?: string
  readonly dtabFile?: string
  readonly transformers?: readonly TransformerConfig[]
}

export type InterpreterSpec = NamerdInterpreterSpec | LocalInterpreterSpec

export interface CreateInterpreterOptions {
  /** The proxy's `namers:` section (used by local interpreters; namerd resolves its own). */
  readonly namers?: unknown
  /** The proxy's id, sent to namerd as `l5d-watcher-id`. */
  readonly proxyId?: string
  /** The proxy's admin address, sent to namerd as `l5d-watcher-admin` (rollouts read metrics there). */
  readonly adminAddress?: string | Promise<string | undefined>
  /** Relative dtabFile and rootDir paths are relative to this. */
  readonly baseDir?: string
  readonly logger?: Logger
  readonly resolver?: ResolverOptions
  /** The environment (POD_IP, NODE_NAME) and daemonset source the transformers use. */
  readonly transformers?: TransformerOptions
}

/**
 * Builds and starts an interpreter, with its transformers applied. Throws at once on a bad local
 * config (namers, inline dtab) or a transformer's missing environment (POD_IP, NODE_NAME);
 * `await interpreter.ready()` to wait for the first dtab.
 */
export function createInterpreter(
  spec: InterpreterSpec,
  options: CreateInterpreterOptions = {},
): Interpreter {
  // Checked before anything starts, so a missing POD_IP leaves nothing running.
  const transformers = makeTransformers(spec.transformers ?? [], {
    logger: options.logger,
    ...options.transformers,
  })
  let interpreter: Interpreter
  try {
    interpreter = start(spec, options)
  } catch (err) {
    for (const t of transformers) void t.close()
    throw err
  }
  return applyTransformers(interpreter, transformers)
}

function start(spec: InterpreterSpec, options: CreateInterpreterOptions): Interpreter {
  if ('dst' in spec) {
    // Read now, so a missing CA file is a start error naming interpreter.tls and the file.
    const tlsConfig = tlsIfEnabled(spec.tls)
    const tls =
      tlsConfig === undefined
        ? undefined
        : ClientTls.load(tlsConfig, options.baseDir ?? process.cwd(), 'interpreter.tls')
    if (tlsConfig?.disableValidation === true) {
      options.logger?.warn({ namerd: spec.dst }, INTERPRETER_DISABLE_VALIDATION)
    }
    return new NamerdInterpreter({
      dst: namerdUrl(spec),
      tls,
      namespace: spec.namespace,
      retry: spec.retry,
      token: spec.token,
      watcherId: options.proxyId,
      watcherAdmin: options.adminAddress,
      resolver: options.resolver,
      logger: options.logger,
    })
  }
  return new LocalInterpreter({
    dtab: spec.dtab,
    dtabFile: spec.dtabFile,
    namers: options.namers,
    baseDir: options.baseDir,
    resolver: options.resolver,
    logger: options.logger,
  })
}
