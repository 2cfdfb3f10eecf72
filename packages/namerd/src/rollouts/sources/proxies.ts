// The proxies source (docs/design/rollouts.md §4): windows read from the proxies' own snapshots,
// scraped by this replica (the leader). It cannot read when a proxy still listed failed twice
// in a row, or when no proxy at all watches the namespace: the rollout pauses, it never guesses.
// Except at first: a replica that just became leader (its source is new) or looks a namespace
// up for the first time gives the proxies a grace period to register again (they reconnect to
// a restarted namerd within a presence interval or two); meanwhile a window reads as no traffic
// yet, "waiting for proxies", which is not a pause and restarts nothing.
import type { VersionStats } from '@switchyard/wire'
import type { Logger } from 'pino'
import type { ProxyDirectory } from '../directory.js'
import { windowDelta } from './delta.js'
import { Scraper } from './scraper.js'
import type { MetricsSource, ProbeResult, VersionIds } from './source.js'

export interface ProxiesSourceOptions {
  readonly directory: ProxyDirectory
  readonly scrapeMs: number
  readonly timeoutMs?: number
  readonly log: Logger
  /** Told of each snapshot read's result, for namerd_rollout_proxy_reads_total. */
  readonly onRead?: (result: 'ok' | 'error') => void
  /** How long after a namespace's first look-up no proxy is "waiting", not unreadable; default the directory's graceMs, else 0. */
  readonly graceMs?: number
  readonly now?: () => number
}

const none = (ids: readonly string[]): VersionStats => ({
  ids: [...ids],
  requests: 0,
  successes: 0,
  failures: 0,
  successRate: null,
  p99Ms: null,
  ratePerSec: 0,
})

export function proxiesSource(options: ProxiesSourceOptions): MetricsSource {
  const scraper = new Scraper(options)
  const now = options.now ?? Date.now
  const graceMs = options.graceMs ?? options.directory.graceMs ?? 0
  /** Namespace → when this source first looked its proxies up. */
  const firstLookup = new Map<string, number>()

  /** Whether `ns` reads now: a problem, a wait within the grace period, or ok. */
  function probe(ns: string): ProbeResult {
    const listed = scraper.listed(ns) ?? []
    if (listed.length === 0) {
      const since = firstLookup.get(ns) ?? now()
      if (now() - since < graceMs) {
        return {
          ok: false,
          waiting: true,
          problem: `waiting for proxies: none watching namespace ${ns} has named its admin address yet (${Math.ceil((graceMs - (now() - since)) / 1000)} s left for them to register with this leader)`,
        }
      }
      return {
        ok: false,
        problem: `no proxy watching namespace ${ns} named its admin address: check that the proxies send l5d-watcher-admin (switchyard-proxy does; namerd.advertiseAdmin sets it) and that namerd's rollouts.proxyAdmin.allow accepts their addresses (namerd logs each one it ignores)`,
      }
    }
    for (const p of listed) {
      const h = scraper.health(p.admin)
      if (h !== undefined && h.failures >= 2) {
        const who = p.id === null ? `proxy at ${p.admin}` : `proxy ${p.id} (admin ${p.admin})`
        return {
          ok: false,
          problem: `${who} failed ${h.failures} metrics reads in a row: ${h.lastError}; check that its admin server is up and reachable from namerd at that address (or set the proxy's namerd.advertiseAdmin)`,
        }
      }
    }
    return { ok: true }
  }

  const seen = (ns: string): void => {
    if (!firstLookup.has(ns)) firstLookup.set(ns, now())
  }

  return {
    async read(ns, ids: VersionIds, start, end) {
      seen(ns)
      await scraper.want(ns)
      const p = probe(ns)
      if (!p.ok && p.waiting === true) {
        // No traffic seen yet: insufficient, judged again at the next tick.
        return {
          ok: true,
          reading: { from: none(ids.from), to: none(ids.to), proxies: 0, at: end },
        }
      }
      if (!p.ok) return p
      return { ok: true, reading: windowDelta(scraper.rings(ns), ids, start, end) }
    },
    async mark(ns) {
      seen(ns)
      await scraper.mark(ns)
      return probe(ns)
    },
    close: () => scraper.close(),
  }
}
