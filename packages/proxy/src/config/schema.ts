// The proxy's YAML configuration, in Linkerd 1's shape where Linkerd defined one (routers,
// servers, identifier, interpreter, dstPrefix, failureAccrual, retries), so a Linkerd config
// ports with few edits. Every default is the one Linkerd documents unless a comment says why.
import { Dtab, DtabParseError, Path, renderParseError } from '@switchyard/dtab'
import { NamerConfig } from '@switchyard/namers'
import { z } from 'zod'
import { IdentifierConfig } from '../identify/index.js'
import { TransformersConfig } from '../interpret/transformers/config.js'
import { parsePrefixPattern } from './client-configs.js'
import { type IgnoredKey, ignoredIn, ignoredShape } from './linkerd-keys.js'
import { NamerdDst } from './namerd-dst.js'
import { ClientTlsConfig, ServerTlsConfig } from './tls.js'

/**
 * Linkerd's `tls` key where the proxy has none (the admin server): refused, since ignoring it
 * would serve plain HTTP where clients expect TLS.
 */
const refusedTls = (message: string) => z.never({ error: message }).optional()

const PathText = z.string().superRefine((value, ctx) => {
  try {
    Path.read(value)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a path: ${(err as Error).message}` })
  }
})

/** A dtab written in the config: checked here, so `--check` finds the offset, not startup. */
const DtabText = z.string().superRefine((value, ctx) => {
  try {
    Dtab.read(value)
  } catch (err) {
    if (!(err instanceof DtabParseError)) throw err
    ctx.addIssue({ code: 'custom', message: renderParseError(err) })
  }
})

const Port = z.int('must be a whole number').min(0).max(65535, 'at most 65535')

const Ip = z
  .string()
  .regex(/^[0-9A-Fa-f.:]+$|^localhost$/, 'an IP address such as 127.0.0.1, 0.0.0.0 or ::1')

export const ServerConfig = z.strictObject({
  ip: Ip.default('127.0.0.1'),
  port: Port,
  /**
   * Strip every `l5d-*` header from requests and responses: for servers facing untrusted
   * clients, who could otherwise reroute traffic with `l5d-dtab`.
   */
  clearContext: z.boolean().default(false),
  /**
   * Serve TLS (docs/proxy.md, TLS): HTTP/1.1 over TLS on an http router; h2 (ALPN) on an h2
   * router, which serves h2c (cleartext, prior knowledge) without it.
   */
  tls: ServerTlsConfig.optional(),
  // HTTP/2 settings of an h2 router's server, Linkerd's names (protocol-h2.md); refused on an
  // http router.
  /** Streams one connection may have open at once; default 1000. */
  maxConcurrentStreamsPerConnection: z
    .int()
    .min(1)
    .max(2 ** 31 - 1)
    .optional(),
  /** Each stream's initial flow-control window; default 65535 (the protocol's). */
  initialStreamWindowBytes: z
    .int()
    .min(1)
    .max(2 ** 31 - 1)
    .optional(),
  /** Largest frame the server accepts; default 16384. */
  maxFrameBytes: z.int().min(16_384).max(16_777_215).optional(),
  /** Largest header list (decoded) the server accepts; default 16 KiB, as an http head. */
  maxHeaderListBytes: z
    .int()
    .min(1024)
    .max(1024 * 1024)
    .optional(),
  ...ignoredShape('server'),
})
export type ServerConfig = z.infer<typeof ServerConfig>

const Seconds = z.number().positive()

export const NamerdInterpreterConfig = z.strictObject({
  kind: z.enum(['namerd', 'io.l5d.namerd.http']),
  /**
   * namerd's HTTP API: a URL (`http://namerd.default.svc.cluster.local:4180`) or Linkerd's
   * `/$/inet/<host>/<port>`; parsed to the URL.
   */
  dst: NamerdDst,
  namespace: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '-', '_' and '.'")
    .default('default'),
  /** Reconnect backoff, jittered exponential (Linkerd: 5 s to 600 s). */
  retry: z
    .strictObject({ baseSeconds: Seconds.default(5), maxSeconds: Seconds.default(600) })
    .refine((r) => r.baseSeconds <= r.maxSeconds, {
      message: 'baseSeconds must not be more than maxSeconds',
      path: ['baseSeconds'],
    })
    .default({ baseSeconds: 5, maxSeconds: 600 }),
  /** A read token for a namerd that requires one. */
  token: z.string().min(1).optional(),
  /** Accepted for Linkerd configs (`io.l5d.namerd.http` needs it there); changes nothing. */
  experimental: z.boolean().optional(),
  /**
   * TLS to namerd (Linkerd's keys: commonName, trustCerts, clientAuth, disableValidation); a
   * dst URL of https:// alone uses the system's CAs.
   */
  tls: ClientTlsConfig.optional(),
  /** Applied in order to every bound name (docs/proxy.md, Transformers). */
  transformers: TransformersConfig.optional(),
  // Not an interpreter key (the proxy's, not one router's): refused here with where it goes,
  // as the docs once showed it here and a bare "unknown key" left the reader guessing.
  advertiseAdmin: z
    .never({
      error:
        "advertiseAdmin is not an interpreter key: it is the proxy's own, at the top level of the config beside admin: and routers:, as namerd: {advertiseAdmin: <ip:port>}",
    })
    .optional(),
})
export type NamerdInterpreterConfig = z.infer<typeof NamerdInterpreterConfig>

export const LocalInterpreterConfig = z
  .strictObject({
    kind: z.enum(['local', 'default', 'io.l5d.fs']),
    /** The dtab itself. */
    dtab: DtabText.optional(),
    /** A file holding the dtab, watched: an edit applies at once, a bad edit is refused. */
    dtabFile: z.string().min(1).optional(),
    /** Applied in order to every bound name (docs/proxy.md, Transformers). */
    transformers: TransformersConfig.optional(),
  })
  .refine((c) => !(c.dtab !== undefined && c.dtabFile !== undefined), {
    message: 'give either dtab or dtabFile, not both',
  })
export type LocalInterpreterConfig = z.infer<typeof LocalInterpreterConfig>

// By kind, so a mistake inside one kind (a transformer's key, say) is reported as itself, not
// as "not an interpreter".
export const InterpreterConfig = z.discriminatedUnion(
  'kind',
  [NamerdInterpreterConfig, LocalInterpreterConfig],
  {
    error: (issue) =>
      issue.code === 'invalid_union' || issue.code === 'invalid_type'
        ? `${otherLinkerdInterpreter(issue.input)}an interpreter: {kind: io.l5d.namerd.http, dst: /$/inet/HOST/4180, namespace: NS} (or kind: namerd, dst: http://HOST:4180) or {kind: local, dtab: "..."}`
        : undefined,
  },
)
export type InterpreterConfig = z.infer<typeof InterpreterConfig>

/** For Linkerd's interpreters that talk to namerd another way: which one to use instead. */
function otherLinkerdInterpreter(input: unknown): string {
  const kind = typeof input === 'object' && input !== null && 'kind' in input ? input.kind : ''
  if (kind === 'io.l5d.namerd' || kind === 'io.l5d.mesh') {
    return `${kind} talks to namerd over ${kind === 'io.l5d.mesh' ? 'gRPC (port 4321)' : 'Thrift (port 4100)'}, which the proxy does not speak: use kind: io.l5d.namerd.http with namerd's HTTP port (4180); `
  }
  return ''
}

const Backoff = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), ms: z.int().min(1) }),
  z
    .strictObject({ kind: z.literal('jittered'), minMs: z.int().min(1), maxMs: z.int().min(1) })
    .refine((b) => b.minMs <= b.maxMs, {
      message: 'minMs must not be more than maxMs',
      path: ['minMs'],
    }),
])

export const FailureAccrualConfig = z.strictObject({
  kind: z.literal('io.l5d.consecutiveFailures').default('io.l5d.consecutiveFailures'),
  failures: z.int().min(1).default(5),
  backoff: Backoff.default({ kind: 'jittered', minMs: 5000, maxMs: 300_000 }),
})

/** Linkerd's `kind` of a client or service section: only the one config for all is supported. */
const GlobalKind = z
  .literal('io.l5d.global', 'only io.l5d.global (one config for every client and service)')
  .optional()

/** A prefix of io.l5d.static: a path whose elements may be `*` or `{name}`. */
const PrefixPattern = z.string().superRefine((value, ctx) => {
  try {
    parsePrefixPattern(value)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a prefix: ${(err as Error).message}` })
  }
})

const FAILURE_ACCRUAL_DEFAULT = {
  kind: 'io.l5d.consecutiveFailures',
  failures: 5,
  backoff: { kind: 'jittered', minMs: 5000, maxMs: 300_000 },
} as const

/** What one io.l5d.static entry may set for the ids its prefix matches. */
export const StaticClientEntry = z.strictObject({
  prefix: PrefixPattern,
  failureAccrual: FailureAccrualConfig.optional(),
  connectTimeoutMs: z.int().min(1).optional(),
  maxConnectionsPerEndpoint: z.int().min(1).optional(),
  tls: ClientTlsConfig.optional(),
  ...ignoredShape('client'),
})

export const ClientConfig = z
  .strictObject({
    /** io.l5d.global (default): these keys for every client; io.l5d.static: per prefix too. */
    kind: z
      .enum(
        ['io.l5d.global', 'io.l5d.static'],
        'io.l5d.global (one config for every client) or io.l5d.static (configs per prefix)',
      )
      .optional(),
    failureAccrual: FailureAccrualConfig.default(FAILURE_ACCRUAL_DEFAULT),
    connectTimeoutMs: z.int().min(1).default(3000),
    /** Open connections per endpoint at most; requests beyond it queue. */
    maxConnectionsPerEndpoint: z.int().min(1).default(256),
    /** TLS to backends (docs/proxy.md, TLS); an h2 router then speaks h2 over TLS. */
    tls: ClientTlsConfig.optional(),
    /** io.l5d.static only: settings for the bound ids each prefix matches, later over earlier. */
    configs: z.array(StaticClientEntry).min(1).optional(),
    ...ignoredShape('client'),
  })
  .superRefine((c, ctx) => {
    if (c.kind === 'io.l5d.static' && c.configs === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['configs'],
        message: 'io.l5d.static needs configs: [{prefix: /#/io.l5d.fs/{service}, tls: {...}}]',
      })
    }
    if (c.kind !== 'io.l5d.static' && c.configs !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['configs'],
        message: 'configs are for kind: io.l5d.static',
      })
    }
  })
export type ClientConfig = z.infer<typeof ClientConfig>

export const RetryBudgetConfig = z.strictObject({
  // Finagle's bounds: a window of at least a second and at most a minute.
  ttlSecs: z.number().min(1, 'at least 1').max(60, 'at most 60').default(10),
  minRetriesPerSec: z.number().min(0).default(10),
  percentCanRetry: z.number().min(0).max(1).default(0.2),
})

export const ServiceConfig = z.strictObject({
  kind: GlobalKind,
  retries: z
    .strictObject({
      budget: RetryBudgetConfig.default({
        ttlSecs: 10,
        minRetriesPerSec: 10,
        percentCanRetry: 0.2,
      }),
      /** Retries of one request at most (which requests: docs/proxy.md, Resilience). */
      maxRetries: z.int().min(0).max(10).default(2),
      ...ignoredShape('retries'),
    })
    .default({
      budget: { ttlSecs: 10, minRetriesPerSec: 10, percentCanRetry: 0.2 },
      maxRetries: 2,
    }),
  ...ignoredShape('service'),
})
export type ServiceConfig = z.infer<typeof ServiceConfig>

const H2_SERVER_KEYS = [
  'maxConcurrentStreamsPerConnection',
  'initialStreamWindowBytes',
  'maxFrameBytes',
  'maxHeaderListBytes',
] as const

export const RouterConfig = z
  .strictObject({
    /** http: HTTP/1.1 (and 1.0); h2: HTTP/2, h2c in the clear or h2 over TLS, and gRPC. */
    protocol: z.enum(['http', 'h2'], 'http or h2').default('http'),
    /** Names the router in metrics and admin pages; Linkerd's default is the protocol. */
    label: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '-', '_' and '.'")
      .optional(),
    dstPrefix: PathText.default('/svc'),
    /**
     * One identifier or a list tried in order; default `io.l5d.header.token` on Host (on
     * `:authority` for an h2 router, as Linkerd's).
     */
    identifier: z.union([IdentifierConfig, z.array(IdentifierConfig).min(1)]).optional(),
    interpreter: InterpreterConfig.optional(),
    /** The base dtab of a `local` interpreter, as Linkerd's router `dtab`. */
    dtab: DtabText.optional(),
    servers: z.array(ServerConfig).min(1, 'at least one server: [{port: 4140}]'),
    /** The whole request, retries included; `l5d-ctx-deadline` can only shorten it. */
    timeoutMs: z.int().min(1).default(10_000),
    /** Requests whose `Via` lists more hops than this are refused (a routing loop). */
    maxCallDepth: z.int().min(1).default(1000),
    client: ClientConfig.default(() => ClientConfig.parse({})),
    service: ServiceConfig.default(ServiceConfig.parse({})),
    /** Request log, one line per request: a file path, or `-` for standard output. */
    httpAccessLog: z.string().min(1).optional(),
    /** Linkerd's name of an h2 router's access log: the same as httpAccessLog there. */
    h2AccessLog: z.string().min(1).optional(),
    ...ignoredShape('router'),
  })
  .superRefine((r, ctx) => {
    if (r.protocol === 'http') {
      r.servers.forEach((s, i) => {
        for (const key of H2_SERVER_KEYS) {
          if (s[key] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['servers', i, key],
              message: `${key} is an HTTP/2 setting: for a router with protocol: h2`,
            })
          }
        }
      })
    }
    if (r.h2AccessLog !== undefined && r.protocol === 'http') {
      ctx.addIssue({
        code: 'custom',
        path: ['h2AccessLog'],
        message:
          "h2AccessLog is the access log of an h2 router (Linkerd's name); on an http router use httpAccessLog",
      })
    } else if (r.h2AccessLog !== undefined && r.httpAccessLog !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['h2AccessLog'],
        message:
          "give the access log once: h2AccessLog (Linkerd's name on an h2 router) or httpAccessLog",
      })
    }
    if (r.dtab !== undefined && r.interpreter !== undefined && 'dst' in r.interpreter) {
      ctx.addIssue({
        code: 'custom',
        path: ['dtab'],
        message: 'a namerd interpreter takes its dtab from namerd; remove dtab or use kind: local',
      })
    } else if (
      r.dtab !== undefined &&
      r.interpreter !== undefined &&
      !('dst' in r.interpreter) &&
      (r.interpreter.dtab !== undefined || r.interpreter.dtabFile !== undefined)
    ) {
      const own = r.interpreter.dtab !== undefined ? 'dtab' : 'dtabFile'
      ctx.addIssue({
        code: 'custom',
        path: ['dtab'],
        message: `the interpreter has its own ${own}; give the dtab in one place`,
      })
    }
  })
  // One name downstream: an h2 router's h2AccessLog is its httpAccessLog.
  .transform((r) => (r.h2AccessLog === undefined ? r : { ...r, httpAccessLog: r.h2AccessLog }))
export type RouterConfig = z.infer<typeof RouterConfig>

/** pino's levels: `log.level` and `--log-level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export const AdminConfig = z.strictObject({
  ip: Ip.default('127.0.0.1'),
  port: Port.default(9990),
  /** Most connections open at once; at the limit the one idle longest is closed. Default 256. */
  maxConnections: z.int().min(16).max(100_000).optional(),
  /** How long a client has to send a whole request head. Default 10000 ms. */
  headersTimeoutMs: z.int().min(100).max(600_000).optional(),
  tls: refusedTls('the admin server does not serve TLS: keep it on loopback, or remove tls'),
  ...ignoredShape('admin'),
})

export const ProxyConfig = z
  .strictObject({
    /** How this proxy names itself to namerd (`l5d-watcher-id`); default host name and pid. */
    id: z
      .string()
      .regex(/^[\x21-\x7e]{1,128}$/, 'printable ASCII without spaces, at most 128 characters')
      .optional(),
    admin: AdminConfig.default({ ip: '127.0.0.1', port: 9990 }),
    /** Switchyard's own (not Linkerd's): how this proxy presents itself to namerd. */
    namerd: z
      .strictObject({
        /**
         * The admin address sent as `l5d-watcher-admin` on every watch, where namerd's rollouts
         * read this proxy's metrics; default the admin server's own (0.0.0.0 is sent as it is,
         * and namerd uses the address the watch came from).
         */
        advertiseAdmin: z
          .string()
          .regex(
            /^(\[[0-9A-Fa-f:.]+\]|[0-9.]+):\d{1,5}$/,
            "an ip:port ([v6]:port) namerd can reach this proxy's admin server at, e.g. 10.0.3.7:9990",
          )
          .optional(),
      })
      .optional(),
    namers: z.array(NamerConfig).default([]),
    routers: z.array(RouterConfig).min(1, 'at least one router'),
    /**
     * On SIGTERM the proxy stops accepting and lets requests in flight finish, for at most this
     * long; then it exits anyway (a stream that never ends must not hold a rollout up).
     */
    shutdownGraceMs: z.int().min(0).default(10_000),
    log: z
      .strictObject({
        level: z.enum(LOG_LEVELS).default('info'),
      })
      .default({ level: 'info' }),
    ...ignoredShape('top'),
  })
  .superRefine((c, ctx) => {
    const labels = new Map<string, number>()
    c.routers.forEach((r, i) => {
      const label = r.label ?? r.protocol
      const first = labels.get(label)
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['routers', i, 'label'],
          message: `label "${label}" is already used by routers[${first}]; give each router its own label`,
        })
      } else labels.set(label, i)
    })
  })
export type ProxyConfig = z.infer<typeof ProxyConfig>

/**
 * The Linkerd keys in `config` the proxy accepts and does not use (config/linkerd-keys.ts),
 * each with its path, for the warning at start and for --check.
 */
export function ignoredLinkerdKeys(config: ProxyConfig): IgnoredKey[] {
  const out = [...ignoredIn('top', config, ''), ...ignoredIn('admin', config.admin, 'admin')]
  config.routers.forEach((r, i) => {
    const at = `routers[${i}]`
    out.push(...ignoredIn('router', r, at))
    for (const [j, s] of r.servers.entries()) {
      out.push(...ignoredIn('server', s, `${at}.servers[${j}]`))
    }
    out.push(...ignoredIn('client', r.client, `${at}.client`))
    // An h2 router follows Linkerd's h2 response classifiers (h2/response-classifier.ts, which
    // says at start when it cannot): not an ignored key there.
    const service = ignoredIn('service', r.service, `${at}.service`)
    out.push(
      ...(r.protocol === 'h2'
        ? service.filter((k) => k.path !== `${at}.service.responseClassifier`)
        : service),
    )
    out.push(...ignoredIn('retries', r.service.retries, `${at}.service.retries`))
  })
  return out
}
