// The PromQL the Prometheus source asks (docs/design/rollouts.md §4), built from the proxies'
// own metric names: `rt:client:requests`, `rt:client:success` and the histogram
// `rt:client:request_latency_ms_bucket{le=...}` (packages/proxy/src/metrics/registry.ts), whose
// `client` label is the concrete id without its leading `/` (`$/inet/127.0.0.1/9002`,
// `#/io.l5d.fs/world-v2`, `%/io.l5d.port/4141/#/io.l5d.fs/world-v2` after a transformer).
// Pure: the strings here are the whole contract with Prometheus, so they are tested alone.

/** RE2's metacharacters (Go's regexp.QuoteMeta set); everything else stands for itself. */
const RE2_SPECIAL = /[\\.+*?()|[\]{}^$]/g

/** `id` as an RE2 (and JavaScript `u`) regex matching exactly that text. */
export function escapeRegex(text: string): string {
  return text.replace(RE2_SPECIAL, '\\$&')
}

/**
 * A transformer's prefix in label form: `%` then path segments, none of them `#` or `$` (the
 * first such segment starts the real id, as in Linkerd's `stripTransformerPrefix`; empty ones
 * allowed, though Path.show never writes them), then `/`.
 * Written without `.` so that it needs no flag to match any byte, and without lookahead, which
 * RE2 has not.
 */
const TRANSFORMER_PREFIX = '(?:%(?:/(?:[^/#$][^/]*|[#$][^/]+)?)*/)?'

/** The label form of a concrete id: no leading `/`. */
export function labelOf(id: string): string {
  return id.startsWith('/') ? id.slice(1) : id
}

/** An id (label form) that a transformer may have been put in front of: one bound by a namer. */
function transformable(label: string): boolean {
  const first = label.split('/', 1)[0]
  return first === '#' || first === '$'
}

/**
 * The regex of a `client` label that is one of `ids` (stripped ids, `/#/io.l5d.fs/world-v2` or
 * label form), with or without a transformer's prefix. Prometheus anchors it at both ends.
 * `ids` must not be empty: a regex that matches nothing is a query not worth sending.
 */
export function clientRegex(ids: readonly string[]): string {
  if (ids.length === 0) throw new Error('clientRegex: no ids')
  return ids
    .map((id) => {
      const label = labelOf(id)
      return `(?:${transformable(label) ? TRANSFORMER_PREFIX : ''}${escapeRegex(label)})`
    })
    .join('|')
}

/**
 * A PromQL double-quoted string. JSON's escapes (`\"`, `\\`, `\n`, `\u0001`) are all Go string
 * escapes too, and PromQL unquotes its strings as Go does.
 */
export function promString(text: string): string {
  return JSON.stringify(text)
}

/** A range duration in PromQL: whole milliseconds, at least 1. */
export function promDuration(ms: number): string {
  return `${Math.max(1, Math.round(ms))}ms`
}

/** The three queries of one version over a window of `windowMs` ending at the query's time. */
export interface VersionQueries {
  readonly requests: string
  readonly successes: string
  readonly p99: string
}

export function versionQueries(ids: readonly string[], windowMs: number): VersionQueries {
  const selector = `{client=~${promString(clientRegex(ids))}}`
  const range = `[${promDuration(windowMs)}]`
  return {
    requests: `sum(increase(rt:client:requests${selector}${range}))`,
    successes: `sum(increase(rt:client:success${selector}${range}))`,
    p99: `histogram_quantile(0.99, sum by (le) (increase(rt:client:request_latency_ms_bucket${selector}${range})))`,
  }
}

/**
 * Whether Prometheus scrapes any proxy at all, and how many: one series per router of every
 * proxy scraped. It is `rt:interpreter:connected`, not `rt:client:requests` (the design's first
 * draft), because a proxy that has sent no request yet has no client series: a quiet window is
 * "too little traffic" (and in the end the progress deadline), not "Prometheus cannot see".
 */
export const SANITY_QUERY = 'count(count by (job, instance) (rt:interpreter:connected))'
