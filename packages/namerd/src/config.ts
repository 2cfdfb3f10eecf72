// Configuration: one YAML file checked with zod, then the environment, then flags, each
// overriding the one before. With nothing at all, namerd serves the file store in ./data on
// 127.0.0.1:4180. Every problem is reported as `<where>: <key>: <problem>`; in the file,
// `<file>:<line>:<col>: <key>: <problem>`, by @switchyard/config as for the proxy.
import { isIP } from 'node:net'
import { hostname } from 'node:os'
import { dirname, resolve } from 'node:path'
import { ConfigError, keyPath, loadYamlConfig } from '@switchyard/config'
import { NamerConfig, NamersConfigError, parseNamersConfig } from '@switchyard/namers'
import { isK8sNamespaceName, parseStoreSpec, type StoreSpec } from '@switchyard/store'
import { z } from 'zod'
import type { TokenSpec } from './auth.js'
import { type ConnectionLimits, resolveConnectionLimits } from './connections.js'
import { DEFAULT_LIMITS, type Limits } from './context.js'
import { DEFAULT_RETENTION, DEFAULT_ROLLOUTS, type RolloutsSettings } from './rollouts/leader.js'
import { loadTls, TlsConfig, TlsFileError, type TlsSettings, tlsSettings } from './tls.js'

export const DEFAULT_LISTEN = '127.0.0.1:4180'
export const DEFAULT_STORE = 'file:./data'
export const TOKENS_ENV = 'SWITCHYARD_NAMERD_TOKENS'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** Everything namerd runs with, resolved and checked. */
export interface Settings {
  readonly listen: ListenAddress
  readonly store: StoreSpec
  readonly namers: readonly NamerConfig[]
  readonly tokens: readonly TokenSpec[]
  readonly anonymousReads: boolean
  readonly insecure: boolean
  readonly limits: Limits
  /** How many connections, and how long for a request head (connections.ts). */
  readonly connections: ConnectionLimits
  /** History entries the store keeps per namespace. */
  readonly historyLimit: number
  readonly logLevel: LogLevel
  readonly configFile: string | null
  /** Rollouts: the controller's timings, this replica's id, and whose admin addresses are read. */
  readonly rollouts: RolloutsSettings
  /** The API over TLS (tls.ts), its files checked; null: plain HTTP. */
  readonly tls: TlsSettings | null
  /** How often the TLS files are polled for a change (tls.ts's default when absent; tests). */
  readonly tlsReloadPollMs?: number
  /** Where the dashboard is served (a path ending in `/`); null: off. */
  readonly dashboard: { readonly path: string } | null
  /** What turned the dashboard off (`--no-dashboard`, ...), for --check and the start log. */
  readonly dashboardOffBy?: string
}

/** A configuration that cannot be used: the proxy's and namerd's are the same class. */
export { ConfigError }

/** Where `:PORT` listens: every interface, as in Go and twitter-server (`-admin.port=:9990`). */
export const ALL_INTERFACES = '0.0.0.0'

/**
 * `HOST:PORT`, `[v6]:PORT`, `PORT` alone (on 127.0.0.1), or `:PORT` or `*:PORT` (every
 * interface, as a Go, twitter-server or nginx user means it; namerd still refuses to serve
 * there without a write token). `*` is not a host name: passed on, it would pass --check and
 * then fail to start with "does not resolve".
 */
export function parseListen(text: string): ListenAddress {
  const s = text.trim()
  const m = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):)?([0-9]{1,5})$/.exec(s)
  const port = Number(m?.[3])
  if (!m || port > 65535) {
    throw new Error(
      `"${text}" is not HOST:PORT (e.g. 127.0.0.1:4180, 0.0.0.0:4180 or :4180 or *:4180 for every interface, [::1]:4180)`,
    )
  }
  const host = m[1] ?? (m[2] === '' || m[2] === '*' ? ALL_INTERFACES : m[2]) ?? '127.0.0.1'
  return { host, port }
}

// A number is a port, as `--listen 4180` is (YAML reads `listen: 4180` as a number).
const Listen = z.union([z.string(), z.number().transform(String)]).superRefine((value, ctx) => {
  try {
    parseListen(value)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message })
  }
})

const Store = z.string().superRefine((value, ctx) => {
  try {
    parseStoreSpec(value)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message })
  }
})

export const Token = z.strictObject({
  name: z
    .string({ error: 'required: who holds the token (recorded as the author of writes)' })
    .regex(/^[A-Za-z0-9._@-]{1,64}$/, "1 to 64 letters, digits, '.', '_', '@' or '-'"),
  token: z
    .string({ error: 'required: the secret' })
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII, no spaces')
    .min(16, 'at least 16 characters (e.g. `openssl rand -hex 24`)'),
  scope: z.enum(['read', 'write'], { error: 'must be "read" or "write"' }),
})

const MIN_CONNECTIONS = 16
const MAX_CONNECTIONS = 1_000_000

/** `--max-connections`: a whole number within the range the file allows. */
function parseMaxConnections(text: string): number {
  const n = /^[0-9]{1,7}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN
  if (!(n >= MIN_CONNECTIONS && n <= MAX_CONNECTIONS))
    throw new Error(
      `"${text}" is not a number of connections from ${MIN_CONNECTIONS} to ${MAX_CONNECTIONS}`,
    )
  return n
}

/** `--k8s-namespace`: a Kubernetes namespace name (an RFC 1123 label). */
export function parseK8sNamespace(text: string): string {
  if (!isK8sNamespaceName(text))
    throw new Error(
      `"${text}" is not a Kubernetes namespace name (1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit)`,
    )
  return text
}

const K8sNamespace = z.string().superRefine((value, ctx) => {
  try {
    parseK8sNamespace(value)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message })
  }
})

/** The YAML config file. */
export const ConfigFile = z.strictObject({
  /** Where to serve, `HOST:PORT`. */
  listen: Listen.optional(),
  /** `memory`, `file:<dir>`, `etcd:<url>[,<url>...][/<key prefix>]`, `k8s` or `k8s:<url>`. */
  store: Store.optional(),
  /**
   * The Kubernetes namespace of the DTab objects (k8s store only). Default: the pod's
   * namespace in a cluster, else the kubeconfig context's, else `default`.
   */
  k8sNamespace: K8sNamespace.optional(),
  /** Namers, as in namerd: `[{kind: io.l5d.fs, rootDir: ...}]`; @switchyard/namers' schema. */
  namers: z.array(NamerConfig).optional(),
  auth: z
    .strictObject({
      tokens: z.array(Token).optional(),
      /** Let anyone read (Linkerd 1 proxies cannot send tokens); writes still need one. */
      anonymousReads: z.boolean().optional(),
    })
    .optional(),
  /** Serve off loopback without a write token. */
  insecure: z.boolean().optional(),
  /**
   * Serve the API over TLS (Linkerd's server keys): {certPath, keyPath, caCertPath?,
   * requireClientAuth?, ciphers?}; the files are re-read when they change.
   */
  tls: TlsConfig.optional(),
  limits: z
    .strictObject({
      maxBodyBytes: z
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .optional(),
      maxWatchers: z.int().min(1).max(1_000_000).optional(),
      delegateTimeoutMs: z.int().min(1).max(600_000).optional(),
      resolveTimeoutMs: z.int().min(1).max(600_000).optional(),
      historyLimit: z.int().min(1).max(100_000).optional(),
      maxConnections: z.int().min(MIN_CONNECTIONS).max(MAX_CONNECTIONS).optional(),
      reservedConnections: z.int().min(1).max(MAX_CONNECTIONS).optional(),
      headersTimeoutMs: z.int().min(100).max(600_000).optional(),
      requestTimeoutMs: z.int().min(100).max(3_600_000).optional(),
      keepAliveTimeoutMs: z.int().min(100).max(3_600_000).optional(),
    })
    .optional(),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).optional() }).optional(),
  /** The dashboard (docs/dashboard.md): on at `/` by default. */
  dashboard: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** Where its page is, e.g. `/` or `/dashboard/`. */
      path: z
        .string()
        .superRefine((value, ctx) => {
          const problem = dashboardPathProblem(value)
          if (problem !== null) ctx.addIssue({ code: 'custom', message: problem })
        })
        .optional(),
    })
    .optional(),
  /** Rollouts (docs/rollouts.md): on by default when the store has the rollouts facet. */
  rollouts: z
    .strictObject({
      enabled: z.boolean().optional(),
      /** How often the leader moves each rollout (default 500 ms). */
      tickMs: z.int().min(10).max(60_000).optional(),
      /** How often the proxies' snapshots are read (default 5000 ms). */
      scrapeMs: z.int().min(10).max(600_000).optional(),
      /** The leader lease's duration (default 15000 ms). */
      leaseMs: z.int().min(100).max(600_000).optional(),
      /** How often this replica publishes its proxies (default 5000 ms). */
      presenceMs: z.int().min(10).max(600_000).optional(),
      replicaId: z.string().optional(),
      /** How long the leader keeps ended rollouts (default 7 days), in ms. */
      retentionMs: z.int().min(60_000).optional(),
      /** Ended rollouts kept per namespace whatever their age (default 20). */
      keep: z.int().min(0).max(10_000).optional(),
      proxyAdmin: z
        .strictObject({
          /** CIDRs whose admin addresses namerd reads, beyond loopback and the watch's own address. */
          allow: z.array(z.string()).optional(),
        })
        .optional(),
    })
    .optional(),
})
export type ConfigFile = z.infer<typeof ConfigFile>

export interface LoadedFile {
  readonly file: string
  readonly config: ConfigFile
  readonly namers: readonly NamerConfig[]
}

/** Reads and checks a config file; relative paths in it are relative to its directory. */
export async function loadConfigFile(file: string): Promise<LoadedFile> {
  const config = await loadYamlConfig(file, ConfigFile)
  const base = dirname(resolve(file))
  // The schema checked each namer; this checks them together (no overlapping prefixes).
  let namers: NamerConfig[]
  try {
    namers = parseNamersConfig(config.namers ?? [])
  } catch (err) {
    if (err instanceof NamersConfigError)
      throw new ConfigError(err.issues.map((i) => `${file}: ${i}`))
    throw err
  }
  return {
    file,
    config,
    namers: namers.map((n) =>
      n.kind === 'io.l5d.fs' ? { ...n, rootDir: resolve(base, n.rootDir) } : n,
    ),
  }
}

/**
 * `SWITCHYARD_NAMERD_TOKENS`: comma-separated `<name>:<scope>:<token>`, e.g.
 * `ci:write:3f9a...,grafana:read:77c1...`.
 */
export function parseTokensEnv(value: string, source = TOKENS_ENV): TokenSpec[] {
  const issues: string[] = []
  const tokens: TokenSpec[] = []
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .forEach((entry, i) => {
      const first = entry.indexOf(':')
      const second = entry.indexOf(':', first + 1)
      if (first < 0 || second < 0) {
        issues.push(
          `${source}: entry ${i + 1}: expected <name>:<scope>:<token>, e.g. ci:write:<secret>`,
        )
        return
      }
      const r = Token.safeParse({
        name: entry.slice(0, first),
        scope: entry.slice(first + 1, second),
        token: entry.slice(second + 1),
      })
      if (r.success) tokens.push(r.data)
      else
        for (const issue of r.error.issues)
          issues.push(`${source}: entry ${i + 1}: ${keyPath(issue.path)}: ${issue.message}`)
    })
  if (issues.length > 0) throw new ConfigError(issues)
  return tokens
}

/** What the command line gave; absent means "not given". */
export interface Flags {
  readonly listen?: string
  readonly store?: string
  readonly k8sNamespace?: string
  readonly config?: string
  readonly insecure?: boolean
  readonly logLevel?: string
  readonly maxConnections?: string
  readonly replicaId?: string
  /** `--no-dashboard`: false. */
  readonly dashboard?: boolean
}

/** A replica id: lower case, digits, `-`, `.`, `_`; it names the lease `replica.<id>`. */
export const REPLICA_ID = /^[a-z0-9]([-.a-z0-9_]{0,150}[a-z0-9])?$/

/** `$HOSTNAME-<pid>`, made to fit REPLICA_ID. */
export function defaultReplicaId(host = hostname(), pid = process.pid): string {
  const h = host
    .toLowerCase()
    .replace(/[^-.a-z0-9_]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 120)
  return h === '' ? `namerd-${pid}` : `${h}-${pid}`
}

export function parseReplicaId(text: string): string {
  if (!REPLICA_ID.test(text)) {
    throw new Error(
      `"${text}" is not a replica id: lower-case letters, digits, '-', '.' and '_', starting and ending with a letter or digit (e.g. namerd-1)`,
    )
  }
  return text
}

export type Env = Readonly<Record<string, string | undefined>>

const TRUE = /^(1|t|true|yes|on)$/i
const FALSE = /^(0|f|false|no|off|)$/i

function envBoolean(env: Env, name: string): boolean | undefined {
  const v = env[name]
  if (v === undefined) return undefined
  if (TRUE.test(v)) return true
  if (FALSE.test(v)) return false
  throw new ConfigError([`${name}: "${v}" is not a boolean (true or false)`])
}

/** Each source in turn, later ones winning: the file, the environment, the flags. */
export async function resolveSettings(
  flags: Flags,
  env: Env,
  cwd = process.cwd(),
): Promise<Settings> {
  const configPath = flags.config ?? env.SWITCHYARD_NAMERD_CONFIG
  const loaded = configPath === undefined ? null : await loadConfigFile(resolve(cwd, configPath))
  const file = loaded?.config ?? {}
  const fileBase = loaded === null ? cwd : dirname(loaded.file)
  const issues: string[] = []

  const pick = <T>(
    candidates: readonly (readonly [string, string | undefined])[],
    parse: (v: string) => T,
  ): { value: T; from: string } | undefined => {
    for (const [from, value] of candidates) {
      if (value === undefined) continue
      try {
        return { value: parse(value), from }
      } catch (err) {
        issues.push(`${from}: ${(err as Error).message}`)
        return undefined
      }
    }
    return undefined
  }

  const listen =
    pick(
      [
        ['--listen', flags.listen],
        ['SWITCHYARD_NAMERD_LISTEN', env.SWITCHYARD_NAMERD_LISTEN],
      ],
      parseListen,
    )?.value ?? (file.listen === undefined ? parseListen(DEFAULT_LISTEN) : parseListen(file.listen))

  const storeFlag = pick(
    [
      ['--store', flags.store],
      ['SWITCHYARD_NAMERD_STORE', env.SWITCHYARD_NAMERD_STORE],
    ],
    parseStoreSpec,
  )
  // A relative file store is relative to where it was written: the config file's directory,
  // or the working directory for flags and the environment.
  const storeSpec: StoreSpec = storeFlag?.value ?? parseStoreSpec(file.store ?? DEFAULT_STORE)
  const storeBase = storeFlag === undefined && file.store !== undefined ? fileBase : cwd
  const k8sNamespaceFlag = pick(
    [
      ['--k8s-namespace', flags.k8sNamespace],
      ['SWITCHYARD_NAMERD_K8S_NAMESPACE', env.SWITCHYARD_NAMERD_K8S_NAMESPACE],
    ],
    parseK8sNamespace,
  )
  const k8sNamespace = k8sNamespaceFlag?.value ?? file.k8sNamespace
  if (k8sNamespace !== undefined && storeSpec.kind !== 'k8s') {
    const from = k8sNamespaceFlag?.from ?? `${loaded?.file}: k8sNamespace`
    issues.push(
      `${from}: a Kubernetes namespace is for the k8s store only, and the store is ${storeSpec.kind} (use --store k8s or --store k8s:<url>)`,
    )
  }
  const store: StoreSpec =
    storeSpec.kind === 'file'
      ? { kind: 'file', dir: resolve(storeBase, storeSpec.dir) }
      : storeSpec.kind === 'k8s' && k8sNamespace !== undefined
        ? { ...storeSpec, namespace: k8sNamespace }
        : storeSpec

  let tokens: readonly TokenSpec[] = file.auth?.tokens ?? []
  const envTokens = env[TOKENS_ENV]
  if (envTokens !== undefined) {
    try {
      tokens = parseTokensEnv(envTokens)
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues)
      else throw err
    }
  }
  const names = new Set<string>()
  for (const t of tokens) {
    if (names.has(t.name))
      issues.push(`auth.tokens: the name "${t.name}" is used twice; names tell writers apart`)
    names.add(t.name)
  }

  let dashboardOn = true
  let dashboardOffBy: string | undefined
  try {
    const fromEnv = envBoolean(env, 'SWITCHYARD_NAMERD_DASHBOARD')
    dashboardOn = flags.dashboard ?? fromEnv ?? file.dashboard?.enabled ?? true
    if (!dashboardOn) {
      dashboardOffBy =
        flags.dashboard === false
          ? '--no-dashboard'
          : fromEnv === false
            ? 'SWITCHYARD_NAMERD_DASHBOARD=false'
            : 'dashboard.enabled: false in the config file'
    }
  } catch (err) {
    if (err instanceof ConfigError) issues.push(...err.issues)
    else throw err
  }
  const dashboardPath = normalizeDashboardPath(file.dashboard?.path ?? '/')

  let insecure = false
  try {
    insecure =
      flags.insecure ?? envBoolean(env, 'SWITCHYARD_NAMERD_INSECURE') ?? file.insecure ?? false
  } catch (err) {
    if (err instanceof ConfigError) issues.push(...err.issues)
    else throw err
  }
  const level = pick(
    [
      ['--log-level', flags.logLevel],
      ['SWITCHYARD_NAMERD_LOG_LEVEL', env.SWITCHYARD_NAMERD_LOG_LEVEL],
    ],
    (v) => {
      const r = z.enum(LOG_LEVELS).safeParse(v)
      if (!r.success) throw new Error(`"${v}" is not one of ${LOG_LEVELS.join(', ')}`)
      return r.data
    },
  )?.value
  const logLevel: LogLevel = level ?? file.log?.level ?? 'info'

  const maxConnections = pick(
    [
      ['--max-connections', flags.maxConnections],
      ['SWITCHYARD_NAMERD_MAX_CONNECTIONS', env.SWITCHYARD_NAMERD_MAX_CONNECTIONS],
    ],
    parseMaxConnections,
  )?.value
  const {
    historyLimit,
    maxConnections: fileMaxConnections,
    reservedConnections,
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs,
    ...limits
  } = file.limits ?? {}
  let connections: ConnectionLimits | undefined
  try {
    connections = resolveConnectionLimits({
      maxConnections: maxConnections ?? fileMaxConnections,
      reservedConnections,
      headersTimeoutMs,
      requestTimeoutMs,
      keepAliveTimeoutMs,
    })
  } catch (err) {
    issues.push(`${loaded?.file ?? 'limits'}: ${(err as Error).message}`)
  }

  const r = file.rollouts ?? {}
  const replicaId =
    pick(
      [
        ['--replica-id', flags.replicaId],
        ['SWITCHYARD_NAMERD_REPLICA_ID', env.SWITCHYARD_NAMERD_REPLICA_ID],
        [`${loaded?.file ?? 'config'}: rollouts.replicaId`, r.replicaId],
      ],
      parseReplicaId,
    )?.value ?? defaultReplicaId()
  const rollouts: RolloutsSettings = {
    enabled: r.enabled ?? true,
    tickMs: r.tickMs ?? DEFAULT_ROLLOUTS.tickMs,
    scrapeMs: r.scrapeMs ?? DEFAULT_ROLLOUTS.scrapeMs,
    leaseMs: r.leaseMs ?? DEFAULT_ROLLOUTS.leaseMs,
    presenceMs: r.presenceMs ?? DEFAULT_ROLLOUTS.presenceMs,
    replicaId,
    proxyAdmin: { allow: r.proxyAdmin?.allow ?? [] },
    retention: {
      ...DEFAULT_RETENTION,
      keepMs: r.retentionMs ?? DEFAULT_RETENTION.keepMs,
      keep: r.keep ?? DEFAULT_RETENTION.keep,
    },
  }
  for (const cidr of rollouts.proxyAdmin.allow) {
    if (!isCidr(cidr)) {
      issues.push(
        `${loaded?.file ?? 'config'}: rollouts.proxyAdmin.allow: "${cidr}" is not a CIDR such as 10.0.0.0/8 or fd00::/8`,
      )
    }
  }

  // The files are read now, so --check finds a missing or mismatched one, as a start would.
  let tls: TlsSettings | null = null
  if (file.tls !== undefined) {
    tls = tlsSettings(file.tls, fileBase)
    try {
      loadTls(tls)
    } catch (err) {
      if (!(err instanceof TlsFileError)) throw err
      issues.push(`${loaded?.file ?? 'config'}: ${err.message}`)
    }
  }

  if (issues.length > 0 || connections === undefined) throw new ConfigError(issues)
  return {
    listen,
    store,
    namers: loaded?.namers ?? [],
    tokens,
    anonymousReads: file.auth?.anonymousReads ?? false,
    insecure,
    limits: { ...DEFAULT_LIMITS, ...limits },
    connections,
    historyLimit: historyLimit ?? 100,
    logLevel,
    configFile: loaded?.file ?? null,
    rollouts,
    tls,
    dashboard: dashboardOn ? { path: dashboardPath } : null,
    ...(dashboardOffBy === undefined ? {} : { dashboardOffBy }),
  }
}

/** Why `path` cannot be the dashboard's, or null. */
export function dashboardPathProblem(path: string): string | null {
  if (!/^\/(?:[A-Za-z0-9._~-]+\/?)*$/.test(path) || path.includes('//')) {
    return `"${path}" is not a path for the dashboard: give one like / or /dashboard/ (letters, digits, . _ ~ -)`
  }
  const first = path.split('/')[1] ?? ''
  if (['api', 'admin', 'metrics', 'ready'].includes(first)) {
    return `"${path}" is under namerd's own /${first}: give another path, e.g. /dashboard/`
  }
  return null
}

/** `/dashboard` is served as `/dashboard/` (the page's files are relative to it). */
export const normalizeDashboardPath = (path: string): string =>
  path.endsWith('/') ? path : `${path}/`

function isCidr(text: string): boolean {
  const slash = text.lastIndexOf('/')
  if (slash === -1) return false
  const ip = text.slice(0, slash)
  const bits = Number(text.slice(slash + 1))
  const family = isIP(ip)
  return family !== 0 && Number.isInteger(bits) && bits >= 0 && bits <= (family === 4 ? 32 : 128)
}
