// Reads the proxies' metrics snapshots (docs/design/rollouts.md §4 (3)): every proxy of every
// namespace a rollout asked about, once per scrapeMs, 16 at a time, keeping per proxy a ring of
// snapshots that every rollout's window is taken from. A proxy's admin address came from a
// watch header, so it is treated as hostile (admin-json.ts): one fixed path, a 2 s deadline for
// the whole answer, at most 1 MiB read, and the body checked against ProxySnapshot before it is
// kept.
import { LATENCY_BOUNDS_MS, type ProxySnapshot } from '@switchyard/wire'
import type { Logger } from 'pino'
import { readAdminJson } from '../../admin-json.js'
import type { DirectoryProxy, ProxyDirectory } from '../directory.js'
import type { ProxyRing, Sample } from './delta.js'

export const SNAPSHOT_PATH = '/admin/metrics/snapshot.json'
export const MAX_SNAPSHOT_BYTES = 1024 * 1024
export const DEFAULT_TIMEOUT_MS = 2000
const CONCURRENCY = 16
/** How long a batch of immediate reads waits for more namespaces to join it. */
const BATCH_MS = 20
/** Snapshots older than this are dropped (a window further back counts from the oldest kept). */
const RETAIN_MS = 60 * 60 * 1000
const MAX_SAMPLES = 4000
/** A namespace no rollout asked about for this long is no longer scraped. */
const INTEREST_MS = 5 * 60 * 1000

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError'
}

/** One GET of a proxy's snapshot; throws SnapshotError saying what was wrong. */
export function readSnapshot(admin: string, timeoutMs: number): Promise<ProxySnapshot> {
  return readAdminJson({
    admin,
    path: SNAPSHOT_PATH,
    timeoutMs,
    maxBytes: MAX_SNAPSHOT_BYTES,
    fail: (message) => new SnapshotError(message),
    check: (json, url) => {
      const problem = snapshotProblem(json)
      if (problem !== null)
        throw new SnapshotError(`GET ${url}: not a metrics snapshot (${problem})`)
      const s = json as ProxySnapshot
      const same =
        s.bounds.length === LATENCY_BOUNDS_MS.length &&
        s.bounds.every((b, i) => b === LATENCY_BOUNDS_MS[i])
      if (!same) {
        throw new SnapshotError(
          `GET ${url}: latency buckets other than namerd's (${s.bounds.join(',')})`,
        )
      }
      return s
    },
  })
}

const SNAPSHOT_KEYS = ['instance', 'startedAt', 'at', 'bounds', 'clients'] as const
const CLIENT_KEYS = ['requests', 'success', 'failures', 'buckets'] as const
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0

function exactKeys(o: Record<string, unknown>, keys: readonly string[]): string | null {
  for (const k of keys) if (!Object.hasOwn(o, k)) return `${k}: missing`
  for (const k in o) if (!keys.includes(k)) return `${k}: not a field of a snapshot`
  return null
}

/**
 * What is wrong with a parsed body as a ProxySnapshot, or null: the same rules as the wire's zod
 * schema (strict objects, non-negative integer counters) plus namerd's bucket count, checked by
 * hand. This runs for every proxy every scrape over snapshots of hundreds of clients, where zod
 * cost more CPU than everything else the leader does (docs/performance.md, Rollouts).
 */
export function snapshotProblem(json: unknown): string | null {
  if (!isRecord(json)) return 'body: not an object'
  const keys = exactKeys(json, SNAPSHOT_KEYS)
  if (keys !== null) return keys
  if (typeof json.instance !== 'string') return 'instance: not a string'
  for (const k of ['startedAt', 'at'] as const) {
    const v = json[k]
    if (typeof v !== 'string' || !ISO.test(v) || Number.isNaN(Date.parse(v)))
      return `${k}: not an ISO date-time`
  }
  const bounds = json.bounds
  if (!Array.isArray(bounds) || !bounds.every((b) => typeof b === 'number'))
    return 'bounds: not an array of numbers'
  const clients = json.clients
  if (!isRecord(clients)) return 'clients: not an object'
  const width = LATENCY_BOUNDS_MS.length + 1
  for (const id in clients) {
    // Counters are looked up by id in other snapshots: an id that names a property every object
    // has would read the prototype's instead.
    if (id === '__proto__' || id === 'constructor') return `clients.${id}: not a client id`
    const c = clients[id]
    if (!isRecord(c)) return `clients.${id}: not an object`
    const ck = exactKeys(c, CLIENT_KEYS)
    if (ck !== null) return `clients.${id}.${ck}`
    if (!isCount(c.requests) || !isCount(c.success) || !isCount(c.failures))
      return `clients.${id}: counters must be non-negative integers`
    const b = c.buckets
    if (!Array.isArray(b) || b.length !== width || !b.every(isCount))
      return `clients.${id}.buckets: not ${width} non-negative integers (namerd's latency buckets)`
  }
  return null
}

interface ProxyState {
  readonly admin: string
  samples: Sample[]
  /** Namespaces it was listed under. */
  readonly namespaces: Set<string>
  failures: number
  lastError: string | null
  listed: DirectoryProxy
  /** The read in flight: one at a time per proxy, so snapshots arrive in the order sent. */
  reading: Promise<void>
}

export interface ScraperOptions {
  readonly directory: ProxyDirectory
  readonly scrapeMs: number
  readonly timeoutMs?: number
  readonly log: Logger
  /** Told of each snapshot read's result, for namerd_rollout_proxy_reads_total. */
  readonly onRead?: (result: 'ok' | 'error') => void
}

export class Scraper {
  readonly #directory: ProxyDirectory
  readonly #scrapeMs: number
  readonly #timeoutMs: number
  readonly #log: Logger
  readonly #onRead: ((result: 'ok' | 'error') => void) | undefined
  readonly #proxies = new Map<string, ProxyState>()
  /** Namespace → when a rollout last asked about it. */
  readonly #interest = new Map<string, number>()
  /** Namespace → its proxies as of the last round. */
  readonly #listed = new Map<string, DirectoryProxy[]>()
  #timer: NodeJS.Timeout | undefined
  /** The batch of immediate reads not yet started (see #soon). */
  #batch: { namespaces: Set<string>; done: Promise<void> } | null = null
  #round: Promise<void> | undefined
  #closed = false

  constructor(options: ScraperOptions) {
    this.#directory = options.directory
    this.#scrapeMs = options.scrapeMs
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.#log = options.log
    this.#onRead = options.onRead
  }

  /** Marks `namespace` as wanted; the first time, reads its proxies at once. */
  async want(namespace: string): Promise<void> {
    const first = !this.#interest.has(namespace)
    this.#interest.set(namespace, Date.now())
    if (this.#timer === undefined && !this.#closed) this.#schedule()
    if (first) await this.#soon(namespace)
  }

  /**
   * A window starts now in `namespace`: reads its proxies at once (after any read in flight), so
   * the window's baseline is a snapshot taken at or after its start, not up to scrapeMs later.
   */
  async mark(namespace: string): Promise<void> {
    this.#interest.set(namespace, Date.now())
    if (this.#timer === undefined && !this.#closed) this.#schedule()
    await this.#soon(namespace)
  }

  /**
   * Reads `namespace`'s proxies in a batch that has not started yet: every want and mark within BATCH_MS (one
   * controller round) joins one batch, and a proxy listed under many namespaces is read once for
   * all of them. (200 rollouts starting a window together cost 50 reads, not 200 × 50.) A batch
   * already sending is not joined: its reads may have been sent before this window began.
   */
  #soon(namespace: string): Promise<void> {
    let batch = this.#batch
    if (batch === null) {
      const namespaces = new Set<string>()
      const done = new Promise<void>((resolve) => {
        setTimeout(() => {
          this.#batch = null
          this.#scrape([...namespaces]).then(resolve, (err: unknown) => {
            this.#log.warn({ err }, 'rollouts scraper: reading proxies failed')
            resolve()
          })
        }, BATCH_MS)
      })
      batch = { namespaces, done }
      this.#batch = batch
    }
    batch.namespaces.add(namespace)
    return batch.done
  }

  /** The namespace's proxies as of the last round (null before its first). */
  listed(namespace: string): readonly DirectoryProxy[] | null {
    return this.#listed.get(namespace) ?? null
  }

  /** A proxy's state: consecutive failed reads and the last error. */
  health(admin: string): { failures: number; lastError: string | null } | undefined {
    const p = this.#proxies.get(admin)
    return p === undefined ? undefined : { failures: p.failures, lastError: p.lastError }
  }

  /** Every ring of a proxy ever listed under `namespace`, including ones no longer listed. */
  rings(namespace: string): ProxyRing[] {
    const out: ProxyRing[] = []
    for (const p of this.#proxies.values()) {
      if (p.namespaces.has(namespace)) out.push({ admin: p.admin, samples: p.samples })
    }
    return out
  }

  /** One round over every wanted namespace (also run by the timer). */
  async round(): Promise<void> {
    const now = Date.now()
    for (const [ns, at] of this.#interest) if (now - at > INTEREST_MS) this.#interest.delete(ns)
    await this.#scrape([...this.#interest.keys()])
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    await this.#round
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#round = this.round()
        .catch((err: unknown) => this.#log.warn({ err }, 'rollouts scraper: round failed'))
        .finally(() => {
          if (!this.#closed) this.#schedule()
        })
    }, this.#scrapeMs)
  }

  async #scrape(namespaces: readonly string[]): Promise<void> {
    const targets = new Map<string, ProxyState>()
    // Looked up together: the directory shares one list of the presence leases among them.
    const lists = await Promise.all(namespaces.map((ns) => this.#directory.proxies(ns)))
    for (const [i, ns] of namespaces.entries()) {
      const listed = lists[i]!
      this.#listed.set(ns, listed)
      for (const l of listed) {
        let p = this.#proxies.get(l.admin)
        if (p === undefined) {
          p = {
            admin: l.admin,
            samples: [],
            namespaces: new Set(),
            failures: 0,
            lastError: null,
            listed: l,
            reading: Promise.resolve(),
          }
          this.#proxies.set(l.admin, p)
        }
        p.listed = l
        p.namespaces.add(ns)
        targets.set(l.admin, p)
      }
    }
    const queue = [...targets.values()]
    const worker = async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) await this.#read(p)
    }
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker))
    this.#prune()
  }

  #read(p: ProxyState): Promise<void> {
    p.reading = p.reading.then(() => this.#readNow(p))
    return p.reading
  }

  async #readNow(p: ProxyState): Promise<void> {
    // Stamped when sent: the counters were taken no earlier, so a snapshot stamped at or after a
    // window's start holds nothing from before it (delta.ts counts from the first such).
    const sent = new Date()
    try {
      const snapshot = await readSnapshot(p.admin, this.#timeoutMs)
      p.samples.push({ at: sent, snapshot })
      if (p.samples.length > MAX_SAMPLES) p.samples.splice(0, p.samples.length - MAX_SAMPLES)
      p.failures = 0
      p.lastError = null
      this.#onRead?.('ok')
    } catch (err) {
      this.#onRead?.('error')
      p.failures++
      p.lastError = err instanceof Error ? err.message : String(err)
      if (p.failures === 2)
        this.#log.warn(
          { admin: p.admin, err: p.lastError },
          "rollouts: cannot read a proxy's metrics",
        )
    }
  }

  /** Drops old snapshots, and proxies with none left that no namespace lists. */
  #prune(): void {
    const cutoff = Date.now() - RETAIN_MS
    const listed = new Set<string>()
    for (const ps of this.#listed.values()) for (const p of ps) listed.add(p.admin)
    for (const [admin, p] of this.#proxies) {
      // Keep one snapshot older than the cutoff: the baseline of a window starting there.
      let drop = 0
      while (drop + 1 < p.samples.length && p.samples[drop + 1]!.at.getTime() < cutoff) drop++
      if (drop > 0) p.samples.splice(0, drop)
      if (
        !listed.has(admin) &&
        (p.samples.length === 0 || p.samples[p.samples.length - 1]!.at.getTime() < cutoff)
      )
        this.#proxies.delete(admin)
    }
  }
}
