// The proxies source (docs/design/rollouts.md §4): windows read from the proxies' own snapshots,
// scraped by this replica (the leader). It cannot read when a proxy still listed failed twice
// in a row, or when no proxy at all watches the namespace: the rollout pauses, it never guesses.
import type { Logger } from 'pino'
import type { ProxyDirectory } from '../directory.js'
import { windowDelta } from './delta.js'
import { Scraper } from './scraper.js'
import type { MetricsSource } from './source.js'

export interface ProxiesSourceOptions {
  readonly directory: ProxyDirectory
  readonly scrapeMs: number
  readonly timeoutMs?: number
  readonly log: Logger
  /** Told of each snapshot read's result, for namerd_rollout_proxy_reads_total. */
  readonly onRead?: (result: 'ok' | 'error') => void
}

export function proxiesSource(options: ProxiesSourceOptions): MetricsSource {
  const scraper = new Scraper(options)
  return {
    async read(ns, ids, start, end) {
      await scraper.want(ns)
      const listed = scraper.listed(ns) ?? []
      if (listed.length === 0) {
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
      return { ok: true, reading: windowDelta(scraper.rings(ns), ids, start, end) }
    },
    close: () => scraper.close(),
  }
}
