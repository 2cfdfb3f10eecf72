// When the API server says "not now, try again in N seconds", a call waits and tries again, as
// client-go does, instead of failing. kube-apiserver says it:
// - 429 Too Many Requests with `Retry-After` (plain text, not a Status) when API priority and
//   fairness or max-in-flight sheds load, and while it shuts down (`Retry-After: 5`,
//   `Connection: close`, so the retry reaches another apiserver): the request was not served;
// - 503 ServiceUnavailable with `Retry-After` while it shuts down or starts: not served either;
// - other 5xx with `Retry-After` (a storage timeout, say): the request may have been carried
//   out, so only reads are tried again. A write is not: a compare-and-swap that did land would
//   come back as a 409 that misreports what happened.
import type { Verb } from './resource.js'

/** Tries after the first, at most. */
export const MAX_RETRIES = 3

/** The longest wait we honour (the shutdown filter asks for 5 s); longer asks are cut to it. */
export const MAX_RETRY_WAIT_MS = 5_000

const READS: ReadonlySet<Verb> = new Set(['get', 'list', 'watch'])

/**
 * How long to wait before trying a failed call again, or null if it is not to be tried again.
 * `err` is what client-node threw: an ApiException carries `code` and `headers`.
 */
export function retryAfterMs(err: unknown, verb: Verb): number | null {
  if (!(err instanceof Error)) return null
  const { code, headers } = err as Error & { code?: unknown; headers?: unknown }
  if (typeof code !== 'number' || typeof headers !== 'object' || headers === null) return null
  const header = (headers as Record<string, unknown>)['retry-after']
  if (code === 429) return waitMs(header)
  if (header === undefined || code < 500 || code > 599) return null
  return code === 503 || READS.has(verb) ? waitMs(header) : null
}

function waitMs(header: unknown): number {
  return Math.min(MAX_RETRY_WAIT_MS, seconds(header) * 1000)
}

/** Retry-After as seconds; kube-apiserver sends whole seconds. Anything else counts as 1. */
function seconds(header: unknown): number {
  const text = typeof header === 'string' ? header.trim() : ''
  return /^[0-9]{1,6}$/.test(text) ? Number(text) : 1
}
