// `GET /api/1/proxy-status/<ns>` (wire ProxyStatus): what the proxies watching a namespace RUN,
// not only what namerd sent them. A watch stream's version is what namerd wrote to the socket;
// a proxy that hung (SIGSTOP, a stuck event loop) keeps its connection open and looks current.
// So namerd asks each proxy's admin (`/admin/routers.json`: each router's namespace and the
// version it routes on) and says "confirmed" only when the proxy itself says so.
//
// The admin address came from a watch header (allow-listed by WatcherRegistry.admitAdmin) and
// is treated as hostile, read as the rollouts scraper reads it (admin-json.ts): one fixed path,
// a deadline for the whole answer, at most 1 MiB read, the body checked with zod. Proxies are read only while
// someone asks (no timer), each at most every 2 s, and an answer never waits more than ~2 s.
import { versionToETag } from '@switchyard/store'
import {
  type ProxyConfirmation,
  ProxyRouters,
  type ProxyRouters as ProxyRoutersType,
  type ProxyStatus,
  type ProxyStatusAll,
} from '@switchyard/wire'
import type { FastifyInstance } from 'fastify'
import { readAdminJson } from '../admin-json.js'
import { JSON_TYPE } from '../codec.js'
import type { Context } from '../context.js'
import { ApiError } from '../errors.js'
import { sendBody } from '../reply.js'
import { rawSegment } from '../request.js'
import { shortVersion, versionAtLeast } from '../rollouts/propagation.js'

export const ROUTERS_PATH = '/admin/routers.json'
export const MAX_ROUTERS_BYTES = 1024 * 1024
/** One read's deadline; the answer waits a little longer, so a hung proxy is named as such. */
export const READ_TIMEOUT_MS = 1500
const ANSWER_WAIT_MS = 1700
/** A proxy's answer is reused this long (the dashboard polls every 2 s). */
export const FRESH_MS = 2000
/** Reads in flight at once; the others wait for the next request. */
const CONCURRENCY = 32

export class RoutersReadError extends Error {
  override readonly name = 'RoutersReadError'
}

/** One GET of a proxy's router list; throws RoutersReadError saying what was wrong. */
export function readRouters(admin: string, timeoutMs: number): Promise<ProxyRoutersType> {
  return readAdminJson({
    admin,
    path: ROUTERS_PATH,
    timeoutMs,
    maxBytes: MAX_ROUTERS_BYTES,
    fail: (message) => new RoutersReadError(message),
    check: (json, url) => {
      const parsed = ProxyRouters.safeParse(json)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const where =
          issue === undefined ? '' : `${issue.path.join('.') || 'body'}: ${issue.message}`
        throw new RoutersReadError(`GET ${url}: not a router list (${where.slice(0, 200)})`)
      }
      return parsed.data
    },
  })
}

interface Entry {
  /** When the last read ended; 0 before any. */
  at: number
  routers: ProxyRoutersType | null
  error: string | null
  reading: Promise<void> | null
}

export interface ConfirmationsOptions {
  readonly timeoutMs?: number
  readonly answerWaitMs?: number
  readonly freshMs?: number
  readonly now?: () => number
}

/** The proxies' answers by admin address, read on demand and reused for FRESH_MS. */
export class ProxyConfirmations {
  readonly #entries = new Map<string, Entry>()
  readonly #timeoutMs: number
  readonly #answerWaitMs: number
  readonly #freshMs: number
  readonly #now: () => number
  #inFlight = 0

  constructor(options: ConfirmationsOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? READ_TIMEOUT_MS
    this.#answerWaitMs = options.answerWaitMs ?? ANSWER_WAIT_MS
    this.#freshMs = options.freshMs ?? FRESH_MS
    this.#now = options.now ?? Date.now
  }

  /** Entries kept (one per admin address still watching): bounded by the watchers. */
  get size(): number {
    return this.#entries.size
  }

  /**
   * Reads every admin in `admins` whose answer is older than FRESH_MS, and waits for them at
   * most answerWaitMs. Entries of admins not in `alive` (their watch ended) are dropped.
   */
  async refresh(admins: ReadonlySet<string>, alive: ReadonlySet<string> = admins): Promise<void> {
    const waits = this.#start(admins, alive)
    if (waits.length === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(waits),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#answerWaitMs)
      }),
    ])
    clearTimeout(timer)
  }

  /**
   * As refresh, without waiting: the reads due start and the caller answers from what is known
   * (the overview, polled by every open page, must not wait on the slowest proxy: audit16b M2).
   */
  refreshInBackground(admins: ReadonlySet<string>, alive: ReadonlySet<string> = admins): void {
    this.#start(admins, alive)
  }

  /** Starts the reads due (at most CONCURRENCY in flight); the reads each admin has running. */
  #start(admins: ReadonlySet<string>, alive: ReadonlySet<string>): Promise<void>[] {
    for (const [admin, e] of this.#entries)
      if (!alive.has(admin) && e.reading === null) this.#entries.delete(admin)
    const waits: Promise<void>[] = []
    for (const admin of admins) {
      let e = this.#entries.get(admin)
      if (e === undefined) {
        e = { at: 0, routers: null, error: null, reading: null }
        this.#entries.set(admin, e)
      }
      if (e.reading === null && this.#now() - e.at >= this.#freshMs) {
        if (this.#inFlight >= CONCURRENCY) continue
        e.reading = this.#read(admin, e)
      }
      if (e.reading !== null) waits.push(e.reading)
    }
    return waits
  }

  async #read(admin: string, e: Entry): Promise<void> {
    this.#inFlight++
    try {
      e.routers = await readRouters(admin, this.#timeoutMs)
      e.error = null
    } catch (err) {
      e.routers = null
      e.error = err instanceof Error ? err.message : String(err)
    } finally {
      this.#inFlight--
      e.at = this.#now()
      e.reading = null
    }
  }

  /** What `admin` says it runs of `namespace`, against its current `version`. */
  confirm(admin: string, namespace: string, version: string | null): ProxyConfirmation {
    const e = this.#entries.get(admin)
    const readAt = e === undefined || e.at === 0 ? null : new Date(e.at).toISOString()
    const unknown = (why: string): ProxyConfirmation => ({
      admin,
      state: 'unknown',
      versions: [],
      why,
      readAt,
    })
    if (e === undefined || (e.routers === null && e.error === null))
      return unknown(`its admin ${admin} was not read yet`)
    if (e.routers === null)
      return { admin, state: 'unanswered', versions: [], why: e.error ?? 'no answer', readAt }
    const mine = e.routers.filter((r) => r.interpreter.namespace === namespace)
    if (mine.length === 0)
      return unknown(`no router in its ${ROUTERS_PATH} takes its dtab from namespace ${namespace}`)
    const versions = mine.map((r) => r.version)
    if (version === null)
      return { admin, state: 'unknown', versions, why: `${namespace} does not exist`, readAt }
    const behind = mine.filter((r) => r.version === null || !versionAtLeast(r.version, version))
    if (behind.length === 0) return { admin, state: 'confirmed', versions, why: null, readAt }
    const why = behind
      .map((r) => {
        const runs =
          r.version === null ? 'routes on no dtab yet' : `routes on ${shortVersion(r.version)}`
        const link = r.interpreter.connected
          ? ''
          : ` (not connected to namerd${r.interpreter.lastError === undefined ? '' : `: ${r.interpreter.lastError.slice(0, 300)}`})`
        return `router ${r.label} ${runs}${link}`
      })
      .join('; ')
    return { admin, state: 'behind', versions, why, readAt }
  }
}

/**
 * Whether `admin` contradicts having `version` of `namespace`: its routers there run an older
 * one, or its admin was read and did not answer. Not known yet, or no router naming the
 * namespace (another interpreter): false, the sent version stands.
 */
export function denies(
  c: ProxyConfirmations,
  admin: string,
  namespace: string,
  version: string,
): boolean {
  const { state } = c.confirm(admin, namespace, version)
  return state === 'behind' || state === 'unanswered'
}

const perContext = new WeakMap<Context, ProxyConfirmations>()

/** The confirmations of this namerd (one cache per server). */
export function confirmationsOf(ctx: Context): ProxyConfirmations {
  let c = perContext.get(ctx)
  if (c === undefined) {
    c = new ProxyConfirmations()
    perContext.set(ctx, c)
  }
  return c
}

/** Every admin address of a watch stream open now (the set the cache is bounded by). */
export function watchedAdmins(ctx: Context, namespace?: string): Set<string> {
  return new Set(ctx.watchers.withAdmin(namespace).map((w) => w.admin!))
}

/** The namespace's current version; 404 namespace_not_found, as the dtab routes, when missing. */
async function currentVersion(ctx: Context, namespace: string): Promise<string> {
  const found = await ctx.store.get(namespace)
  if (found === null) {
    const where = ctx.store.notFound?.(namespace).where
    throw new ApiError(
      404,
      'namespace_not_found',
      `namespace ${JSON.stringify(namespace)} does not exist${where ? ` (${where})` : ''}`,
    )
  }
  return versionToETag(found.version)
}

export async function proxyStatus(ctx: Context, namespace: string): Promise<ProxyStatus> {
  const version = await currentVersion(ctx, namespace)
  const confirmations = confirmationsOf(ctx)
  const mine = watchedAdmins(ctx, namespace)
  await confirmations.refresh(mine, watchedAdmins(ctx))
  const admins = [...mine].sort()
  return {
    namespace,
    version,
    proxies: admins.map((a) => confirmations.confirm(a, namespace, version)),
  }
}

/** Namespaces read at once for the all-namespaces answer (a file store is not flooded). */
const NAMESPACE_CONCURRENCY = 16

/**
 * Every namespace a proxy with an admin address watches, as proxyStatus answers each: one
 * refresh of every admin (bounded wait, shared cache), then one store get per such namespace.
 * A namespace deleted meanwhile is left out.
 */
export async function proxyStatusAll(ctx: Context): Promise<ProxyStatusAll> {
  const byNamespace = new Map<string, Set<string>>()
  for (const w of ctx.watchers.withAdmin()) {
    if (w.namespace === null) continue
    const admins = byNamespace.get(w.namespace) ?? new Set<string>()
    admins.add(w.admin!)
    byNamespace.set(w.namespace, admins)
  }
  const confirmations = confirmationsOf(ctx)
  const all = watchedAdmins(ctx)
  await confirmations.refresh(all, all)
  const names = [...byNamespace.keys()].sort()
  const out: (ProxyStatus | null)[] = new Array(names.length).fill(null)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      const namespace = names[i]!
      const found = await ctx.store.get(namespace)
      if (found === null) continue
      const version = versionToETag(found.version)
      const admins = [...byNamespace.get(namespace)!].sort()
      out[i] = {
        namespace,
        version,
        proxies: admins.map((a) => confirmations.confirm(a, namespace, version)),
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(NAMESPACE_CONCURRENCY, names.length) }, worker))
  return { namespaces: out.filter((n): n is ProxyStatus => n !== null) }
}

const PREFIX = '/api/1/proxy-status/'

export function proxyStatusRoutes(app: FastifyInstance, ctx: Context): void {
  app.get('/api/1/proxy-status', { config: { scope: 'read' } }, async (_req, reply) => {
    return sendBody(reply, JSON_TYPE, `${JSON.stringify(await proxyStatusAll(ctx))}\n`)
  })
  app.get(`${PREFIX}:ns`, { config: { scope: 'read' } }, async (req, reply) => {
    const namespace = rawSegment(req, PREFIX, '')
    return sendBody(reply, JSON_TYPE, `${JSON.stringify(await proxyStatus(ctx, namespace))}\n`)
  })
}
