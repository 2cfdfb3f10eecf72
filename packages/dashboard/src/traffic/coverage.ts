// Whose traffic the numbers are: namerd sums the metrics of the proxies watching the namespace
// that named an admin address it may read. The view says plainly when that is nobody, when some
// could not be read (namerd's one line per proxy says which and why), and when all were. Pure.
import type { Traffic } from '@switchyard/wire'

export type Coverage =
  /** No proxy watching the namespace named an admin address namerd may read. */
  | { readonly kind: 'none-listed'; readonly problems: readonly string[] }
  /** Some listed, none read: nothing is measured. */
  | { readonly kind: 'none-read'; readonly listed: number; readonly problems: readonly string[] }
  /** Some read, some not: the numbers are a part of the traffic. */
  | {
      readonly kind: 'partial'
      readonly read: number
      readonly listed: number
      readonly problems: readonly string[]
    }
  | { readonly kind: 'all'; readonly read: number }

export function coverage(proxies: Traffic['proxies']): Coverage {
  const { listed, read, problems } = proxies
  if (listed === 0) return { kind: 'none-listed', problems }
  if (read === 0) return { kind: 'none-read', listed, problems }
  if (read < listed || problems.length > 0) return { kind: 'partial', read, listed, problems }
  return { kind: 'all', read }
}

/** "1 proxy", "3 proxies". */
export function proxies(n: number): string {
  return `${n} ${n === 1 ? 'proxy' : 'proxies'}`
}

/**
 * The span the numbers cover, as the view says it: `measuring` until namerd compared two reads
 * of a proxy (its first answer for a namespace has one), else the seconds really covered
 * (wire Traffic.coveredSeconds, at most the window), to a tenth under 10 s, else whole: counts are over that
 * span and rates divide by it, so "482 requests in the last 8 s, 60 per second" adds up.
 */
export type Span =
  | { readonly kind: 'measuring' }
  | { readonly kind: 'covered'; readonly seconds: number }

export function span(traffic: Pick<Traffic, 'coveredSeconds' | 'windowSeconds' | 'proxies'>): Span {
  if (traffic.proxies.read === 0 || !(traffic.coveredSeconds > 0)) return { kind: 'measuring' }
  const c = Math.min(traffic.windowSeconds, traffic.coveredSeconds)
  // Under 10 s to a tenth: "44 requests in the last 1 s, 30 per second" did not add up when
  // 1.47 s were covered; "in the last 1.5 s" does. Whole seconds above (1 s off is < 10%).
  const s = c < 10 ? Math.max(0.1, Math.round(c * 10) / 10) : Math.round(c)
  return { kind: 'covered', seconds: Math.min(traffic.windowSeconds, s) }
}
