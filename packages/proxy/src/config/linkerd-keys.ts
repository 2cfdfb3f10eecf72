// Keys of a Linkerd 1 config (linkerd/docs/config.md, routers.md, protocol-http.md) that the
// proxy accepts and does not use, so a Linkerd user's own linkerd.yaml loads, with a warning
// that names each one. Only keys that are harmless to ignore are here: they tune caches,
// buffers, log rotation, connection pools or telemetry, and ignoring them changes neither
// where a request goes nor what it carries nor who can read it. Linkerd keys that would
// (`announce`/`announcers`, `addForwardedHeader`, `requestAuthorizers`, `timestampHeader`, a
// `service` of kind `io.l5d.static`, `tls` on the admin server) are not here: they stay
// refused, `tls` by a message of its own (schema.ts). A key that is neither ours nor listed
// here is a typo, refused with its line and column as before.
import { z } from 'zod'

/** Why a key is harmless to ignore: the same for any value, or told by its value. */
type Reason = string | ((value: unknown) => string)

const METRICS =
  'the admin server serves the metrics, at /admin/metrics.json and /admin/metrics/prometheus'
const NO_TRACES = 'the proxy records no traces; l5d-ctx-trace is passed through'

/**
 * Linkerd's telemeters by kind: metrics (served by the admin server, or pushed, which the proxy
 * does not do) and tracers (the proxy records no traces). Kinds from Linkerd's telemetry docs
 * and the linkerd-zipkin plugin.
 */
const TELEMETERS: Readonly<Record<string, string>> = {
  'io.l5d.prometheus': 'the admin server serves Prometheus metrics at /admin/metrics/prometheus',
  'io.l5d.commonMetrics': METRICS,
  'io.l5d.statsd': 'the proxy pushes no metrics to StatsD; scrape /admin/metrics/prometheus',
  'io.l5d.influxdb':
    'the proxy serves no InfluxDB metrics; scrape /admin/metrics/prometheus or /admin/metrics.json',
  'io.l5d.zipkin': NO_TRACES,
  'io.zipkin.http': NO_TRACES,
  'io.zipkin.kafka': NO_TRACES,
  'io.l5d.tracelog': NO_TRACES,
  'io.l5d.recentRequests':
    "the proxy keeps no recent requests; the router's httpAccessLog records every request",
}

/** Each telemeter's kind and why ignoring it is harmless: `io.l5d.zipkin: the proxy records...`. */
function telemetryReason(value: unknown): string {
  const list = Array.isArray(value) ? value : [value]
  const parts = list.map((t) => {
    const kind =
      typeof t === 'object' && t !== null && typeof (t as { kind?: unknown }).kind === 'string'
        ? (t as { kind: string }).kind
        : undefined
    if (kind === undefined) return 'a telemeter without a kind: the proxy runs no telemeters'
    return `${kind}: ${TELEMETERS[kind] ?? 'a telemeter the proxy does not run; it serves /admin/metrics/prometheus and records no traces'}`
  })
  return [...new Set(parts)].join(', ')
}

/** Where in the config a group of keys sits, and why each key is harmless to ignore. */
export const LINKERD_IGNORED = {
  top: {
    telemetry: telemetryReason,
    usage: 'the proxy sends no usage reports',
  },
  admin: {
    socketOptions: 'the admin server uses the system defaults',
    workerThreads: 'Node serves the admin server on its event loop',
    httpIdentifierPort: 'the identifier debug endpoint is /delegator.json on the admin port',
  },
  router: {
    experimental: 'Linkerd asked for it on h2 routers; h2 is not experimental here',
    bindingTimeoutMs: "a name's binding waits at most the router's timeoutMs",
    bindingCache: 'the route cache has limits of its own',
    originator: 'it only labels Linkerd stats',
    httpAccessLogRollPolicy:
      'the proxy does not rotate the access log (logrotate copytruncate can)',
    httpAccessLogAppend: 'the access log is always appended to',
    httpAccessLogRotateCount: 'the proxy does not rotate the access log',
    h2AccessLogRollPolicy: 'the proxy does not rotate the access log (logrotate copytruncate can)',
    h2AccessLogAppend: 'the access log is always appended to',
    h2AccessLogRotateCount: 'the proxy does not rotate the access log',
    maxHeadersKB: 'request heads are limited to 16 KiB',
    maxInitialLineKB: 'request heads are limited to 16 KiB',
    maxRequestKB: 'bodies are streamed, never buffered',
    maxResponseKB: 'bodies are streamed, never buffered',
    maxErrResponseKB: "the proxy's error bodies are at most 5120 KiB",
    streamAfterContentLengthKB: 'bodies are always streamed',
    streamingEnabled: 'bodies are always streamed',
    compressionLevel: 'responses are passed on as the backend sent them',
    tracePropagator: 'l5d-ctx-trace is passed through; the proxy records no traces',
  },
  server: {
    socketOptions: 'servers use the system defaults',
    serverSession: 'idle connections are closed after 60 s',
    maxConcurrentRequests: 'the proxy does not shed load by a request count',
  },
  client: {
    loadBalancer: "the proxy balances with p2c least-loaded, Linkerd's default",
    hostConnectionPool: 'use maxConnectionsPerEndpoint',
    clientSession: 'idle upstream connections are closed after at most 4 s',
    failFast: 'failure accrual marks dead endpoints',
    requeueBudget:
      'a request that could not connect goes to another endpoint, within the retry budget',
    requestAttemptTimeoutMs: "each attempt is bounded by the router's timeoutMs",
  },
  service: {
    totalTimeoutMs: "the router's timeoutMs bounds the whole request",
    responseClassifier: 'a 5XX response is never retried; docs/proxy.md, Resilience, says what is',
  },
  retries: {
    backoff: 'a retry goes to another endpoint at once',
  },
} as const satisfies Record<string, Record<string, Reason>>

export type IgnoredGroup = keyof typeof LINKERD_IGNORED

/** Schema entries for a group: any value, accepted and unused. */
export function ignoredShape<G extends IgnoredGroup>(
  group: G,
): { [K in keyof (typeof LINKERD_IGNORED)[G]]: z.ZodOptional<z.ZodUnknown> } {
  const shape: Record<string, z.ZodOptional<z.ZodUnknown>> = {}
  for (const key of Object.keys(LINKERD_IGNORED[group])) shape[key] = z.unknown().optional()
  return shape as { [K in keyof (typeof LINKERD_IGNORED)[G]]: z.ZodOptional<z.ZodUnknown> }
}

/** A Linkerd key that was in the config and is ignored. */
export interface IgnoredKey {
  /** Where it is, as config errors say it: `routers[0].bindingTimeoutMs`. */
  readonly path: string
  /** Why ignoring it is harmless. */
  readonly why: string
}

/** The ignored keys present in `object` (a parsed config section) under `path`. */
export function ignoredIn(group: IgnoredGroup, object: object, path: string): IgnoredKey[] {
  const reasons: Record<string, Reason> = LINKERD_IGNORED[group]
  const out: IgnoredKey[] = []
  for (const [key, reason] of Object.entries(reasons)) {
    const value = (object as Record<string, unknown>)[key]
    if (value !== undefined) {
      const why = typeof reason === 'string' ? reason : reason(value)
      out.push({ path: path === '' ? key : `${path}.${key}`, why })
    }
  }
  return out
}

/** One line for the start-up warning and --check: `key (why); key (why)`. */
export function describeIgnored(keys: readonly IgnoredKey[]): string {
  return keys.map((k) => `${k.path} (${k.why})`).join('; ')
}
