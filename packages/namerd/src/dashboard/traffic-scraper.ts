// Reads the metrics snapshots of the proxies watching a namespace, for the dashboard's traffic
// view (routes/traffic.ts), only while someone looks: a namespace is scraped from its first
// request until `idleMs` pass without one, every `intervalMs`, each proxy once a round however
// many namespaces list it. A proxy's admin address came from a watch header, so it is read with
// the rollouts scraper's hardened reader (one fixed path, a deadline, a size cap, the body
// checked). Memory is bounded per proxy (the snapshots covering the longest window, at most
// `maxSamples`) and in total: the snapshots of every proxy together are kept under `maxBytes`
// (estimated from their clients), dropping the oldest of the proxy holding the most; each proxy
// keeps its newest two (a window needs two), so the worst case is proxies x 2 snapshots of at
// most 1 MiB. A proxy no wanted namespace lists any more is forgotten.

import type { ProxySnapshot } from '@switchyard/wire'
import type { Logger } from 'pino'
import { type ProxyRing, type Sample, stripTransformer } from '../rollouts/sources/delta.js'
import { readSnapshot } from '../rollouts/sources/scraper.js'
import type { WatcherRegistry } from '../watchers.js'

export interface TrafficScraperOptions {
  readonly watchers: WatcherRegistry
  /** How often a wanted namespace's proxies are read; default 2000 ms. */
  readonly intervalMs?: number
  /** A namespace nobody asked about for this long is no longer read; default 60 s. */
  readonly idleMs?: number
  /** The deadline of one snapshot read; default 1500 ms (the endpoint answers within ~2 s). */
  readonly timeoutMs?: number
  /**
   * Snapshots older than this are dropped (the longest window, and a baseline); default 130 s.
   * A snapshot may be up to 1 MiB, so this and `maxSamples` (default 70) bound the memory a
   * proxy can take: short windows are what a live view needs.
   */
  readonly retainMs?: number
  readonly maxSamples?: number
  /**
   * The snapshots of all proxies together are kept under this many bytes (estimated; default
   * 64 MiB), oldest first out, each proxy keeping its newest two.
   */
  readonly maxBytes?: number
  readonly log?: Logger
  readonly now?: () => number
}

/** A proxy watching a namespace with its admin address, as listed at the last round. */
export interface ListedProxy {
  readonly admin: string
  readonly id: string | null
}

interface ProxyState {
  readonly admin: string
  readonly samples: Sample[]
  /** The estimated bytes of each sample, in step with `samples`. */
  readonly sizes: number[]
  bytes: number
  /** The namespaces that listed it at the last round. */
  namespaces: Set<string>
  lastError: string | null
}

const CONCURRENCY = 16
/** A proxy keeps at least this many snapshots whatever the byte budget: a window needs two. */
const MIN_SAMPLES = 2

/**
 * About what a snapshot takes in memory: per client its key (UTF-16) and its numbers. Cheap (no
 * serialisation), and within a small factor of the heap it holds, which is all a budget needs.
 */
export function snapshotBytes(s: ProxySnapshot): number {
  let n = 256
  for (const [key, c] of Object.entries(s.clients)) n += 96 + key.length * 2 + c.buckets.length * 8
  return n
}

export class TrafficScraper {
  readonly #watchers: WatcherRegistry
  readonly #intervalMs: number
  readonly #idleMs: number
  readonly #timeoutMs: number
  readonly #retainMs: number
  readonly #maxSamples: number
  readonly #maxBytes: number
  #bytes = 0
  readonly #log: Logger | undefined
  readonly #now: () => number
  /** Namespace → when it was last asked about. */
  readonly #interest = new Map<string, number>()
  readonly #listed = new Map<string, ListedProxy[]>()
  readonly #proxies = new Map<string, ProxyState>()
  #timer: NodeJS.Timeout | undefined
  #round: Promise<void> | null = null
  #closed = false

  constructor(options: TrafficScraperOptions) {
    this.#watchers = options.watchers
    this.#intervalMs = options.intervalMs ?? 2000
    this.#idleMs = options.idleMs ?? 60_000
    this.#timeoutMs = options.timeoutMs ?? 1500
    this.#retainMs = options.retainMs ?? 130_000
    this.#maxSamples = options.maxSamples ?? 70
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024
    this.#log = options.log
    this.#now = options.now ?? Date.now
  }

  /**
   * Marks `namespace` as looked at. The first time (or after it went idle) its proxies are read
   * at once; the promise settles when that read ends, or after `waitMs`, whichever is first.
   */
  async want(namespace: string, waitMs: number): Promise<void> {
    if (this.#closed) return
    const first = !this.#interest.has(namespace)
    this.#interest.set(namespace, this.#now())
    if (this.#timer === undefined) this.#schedule()
    if (!first) return
    // A round already reading took its list of namespaces before this one was wanted: the
    // first read of this namespace is the round after it.
    const running = this.#round
    const round = running === null ? this.#runRound() : running.then(() => this.#runRound())
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      round,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs)
      }),
    ])
    clearTimeout(timer)
  }

  /** The proxies listed under `namespace` at the last round (empty before its first). */
  listed(namespace: string): readonly ListedProxy[] {
    return this.#listed.get(namespace) ?? []
  }

  /** Why the last read of `admin` failed; null when it succeeded or was never tried. */
  lastError(admin: string): string | null {
    return this.#proxies.get(admin)?.lastError ?? null
  }

  /** The snapshots of every proxy the namespace listed at the last round. */
  rings(namespace: string): ProxyRing[] {
    const out: ProxyRing[] = []
    for (const p of this.#proxies.values()) {
      if (p.namespaces.has(namespace)) out.push({ admin: p.admin, samples: p.samples })
    }
    return out
  }

  /**
   * The destinations the namespace's proxies have clients for (ids as the dtab binds them, a
   * transformer prefix stripped), from each proxy's newest snapshot; at most `max`.
   */
  clientIds(namespace: string, max: number): string[] {
    const out = new Set<string>()
    for (const p of this.#proxies.values()) {
      if (!p.namespaces.has(namespace)) continue
      const newest = p.samples.at(-1)
      if (newest === undefined) continue
      for (const key of Object.keys(newest.snapshot.clients)) {
        if (out.size >= max) return [...out]
        const id = stripTransformer(key)
        if (id !== '') out.add(id)
      }
    }
    return [...out]
  }

  /** The estimated bytes of every snapshot kept (the total `maxBytes` bounds). */
  get bytes(): number {
    return this.#bytes
  }

  /** Namespaces being read now (for tests and the idle rule). */
  get wanted(): string[] {
    return [...this.#interest.keys()]
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#round
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.#runRound().finally(() => {
        // Nobody looking: the timer stops; the next request starts it again.
        if (!this.#closed && this.#interest.size > 0) this.#schedule()
        else this.#timer = undefined
      })
    }, this.#intervalMs)
    this.#timer.unref()
  }

  #runRound(): Promise<void> {
    if (this.#round !== null) return this.#round
    const round = this.#scrape()
      .catch((err: unknown) => this.#log?.warn({ err }, 'dashboard traffic: a round failed'))
      .finally(() => {
        this.#round = null
      })
    this.#round = round
    return round
  }

  async #scrape(): Promise<void> {
    const now = this.#now()
    for (const [ns, at] of this.#interest) {
      if (now - at > this.#idleMs) {
        this.#interest.delete(ns)
        this.#listed.delete(ns)
      }
    }
    const targets = new Map<string, ProxyState>()
    for (const p of this.#proxies.values()) p.namespaces = new Set()
    for (const ns of this.#interest.keys()) {
      const listed = new Map<string, ListedProxy>()
      for (const w of this.#watchers.withAdmin(ns)) {
        if (w.admin !== null && !listed.has(w.admin))
          listed.set(w.admin, { admin: w.admin, id: w.id })
      }
      this.#listed.set(ns, [...listed.values()])
      for (const admin of listed.keys()) {
        let p = this.#proxies.get(admin)
        if (p === undefined) {
          p = { admin, samples: [], sizes: [], bytes: 0, namespaces: new Set(), lastError: null }
          this.#proxies.set(admin, p)
        }
        p.namespaces.add(ns)
        targets.set(admin, p)
      }
    }
    // Forgotten: proxies no wanted namespace lists (their snapshots would only use memory).
    for (const [admin, p] of this.#proxies) {
      if (targets.has(admin)) continue
      this.#bytes -= p.bytes
      this.#proxies.delete(admin)
    }
    const queue = [...targets.values()]
    const worker = async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) await this.#read(p)
    }
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker))
  }

  async #read(p: ProxyState): Promise<void> {
    // Stamped when sent, as the rollouts scraper does: delta.ts relies on it.
    const sent = new Date(this.#now())
    try {
      const snapshot = await readSnapshot(p.admin, this.#timeoutMs)
      p.samples.push({ at: sent, snapshot })
      const size = snapshotBytes(snapshot)
      p.sizes.push(size)
      p.bytes += size
      this.#bytes += size
      p.lastError = null
    } catch (err) {
      p.lastError = err instanceof Error ? err.message : String(err)
    }
    // Keep one snapshot older than the cutoff: the baseline of the longest window.
    const cutoff = this.#now() - this.#retainMs
    let drop = Math.max(0, p.samples.length - this.#maxSamples)
    while (drop + 1 < p.samples.length && p.samples[drop + 1]!.at.getTime() < cutoff) drop++
    this.#drop(p, drop)
    this.#fitBudget()
  }

  #drop(p: ProxyState, n: number): void {
    if (n <= 0) return
    p.samples.splice(0, n)
    for (const size of p.sizes.splice(0, n)) {
      p.bytes -= size
      this.#bytes -= size
    }
  }

  /** Over the total budget: the oldest snapshot of the proxy holding the most bytes goes first. */
  #fitBudget(): void {
    while (this.#bytes > this.#maxBytes) {
      let most: ProxyState | undefined
      for (const p of this.#proxies.values()) {
        if (p.samples.length > MIN_SAMPLES && (most === undefined || p.bytes > most.bytes)) most = p
      }
      if (most === undefined) return
      this.#drop(most, 1)
    }
  }
}
