// Who watches what: every open watch stream, for the propagation status
// (`GET /api/1/dtabs/<ns>/watchers`) and for draining on shutdown. A watcher may name its admin
// address (`l5d-watcher-admin`, a proxy's); rollouts read that proxy's metrics snapshot there, so
// an address is kept only when it passes the allow-list: namerd must not be steered by any client
// into GETting arbitrary hosts.
import { BlockList, isIP } from 'node:net'
import { hostPort, type Watcher as WatcherJson } from '@switchyard/wire'
import type { WatchKind } from './metrics.js'
import type { StateStream } from './routes/watch.js'

export interface WatcherMeta {
  /** The name the watcher gave itself (header `l5d-watcher-id`), if any. */
  readonly id: string | null
  readonly kind: WatchKind
  readonly namespace: string | null
  /** The request's path and query. */
  readonly target: string
  readonly remote: string
  readonly since: Date
  readonly stream: StateStream
  /** Its admin address (`host:port`) as accepted by `admitAdmin`; null when none. */
  readonly admin: string | null
}

export interface Watcher extends WatcherMeta {
  /** Unique while the process runs; tells apart watchers with the same id. */
  readonly serial: number
}

export interface WatcherRegistryOptions {
  /**
   * CIDRs (`10.0.0.0/8`, `fd00::/8`, or a bare address) an admin address must fall in. Default:
   * loopback, plus the watch's own remote address.
   */
  readonly adminAllow?: readonly string[]
}

/** The result of checking an `l5d-watcher-admin` value: the address kept, or why it was not. */
export type AdminAdmission =
  | { readonly admin: string; readonly refused: null }
  | { readonly admin: null; readonly refused: string | null }

/** A CIDR's address and prefix length; throws an Error naming the value when it is not one. */
export function parseCidr(cidr: string): {
  address: string
  prefix: number
  type: 'ipv4' | 'ipv6'
} {
  const [address = '', bits, extra] = cidr.split('/')
  const family = isIP(address)
  const max = family === 4 ? 32 : 128
  const prefix = bits === undefined ? max : Number(bits)
  if (
    family === 0 ||
    extra !== undefined ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max
  ) {
    throw new Error(
      `"${cidr}" is not a CIDR: give an address and a prefix length, e.g. 10.0.0.0/8 or fd00::/8`,
    )
  }
  return { address, prefix, type: family === 4 ? 'ipv4' : 'ipv6' }
}

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) is 10.1.2.3. */
const plainIp = (ip: string): string =>
  ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip

const ADMIN = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/

function blockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList()
  for (const c of cidrs) {
    const { address, prefix, type } = parseCidr(c)
    list.addSubnet(address, prefix, type)
  }
  return list
}

export class WatcherRegistry {
  #next = 1
  readonly #all = new Set<Watcher>()
  /** Null: the default, loopback plus the watch's own remote address. */
  readonly #allow: BlockList | null
  readonly #loopback = blockList(['127.0.0.0/8', '::1/128'])

  constructor(options: WatcherRegistryOptions = {}) {
    this.#allow = options.adminAllow === undefined ? null : blockList(options.adminAllow)
  }

  /**
   * Checks a watcher's `l5d-watcher-admin` value (`ip:port`, `[v6]:port`) against the allow-list.
   * `0.0.0.0` or `::` (a proxy whose admin port listens on every interface) becomes the watch's
   * remote address. `refused` says why a value was not kept, for a log line; null when none came.
   */
  admitAdmin(raw: string | null, remoteAddress: string | undefined): AdminAdmission {
    if (raw === null || raw === '') return { admin: null, refused: null }
    const m = ADMIN.exec(raw)
    const port = Number(m?.[3])
    let ip = m === null ? '' : (m[1] ?? m[2] ?? '')
    if (m === null || isIP(ip) === 0 || port < 1 || port > 65535) {
      return {
        admin: null,
        refused: `l5d-watcher-admin "${raw.slice(0, 100)}" is not an ip:port ([v6]:port); a host name is not accepted`,
      }
    }
    const remote = remoteAddress === undefined ? undefined : plainIp(remoteAddress)
    ip = plainIp(ip)
    if (ip === '0.0.0.0' || ip === '::') {
      if (remote === undefined)
        return {
          admin: null,
          refused: `l5d-watcher-admin ${raw}: the watch's remote address is unknown`,
        }
      ip = remote
    }
    const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6'
    const allowed =
      this.#allow === null
        ? this.#loopback.check(ip, family) || ip === remote
        : this.#allow.check(ip, family)
    if (!allowed) {
      return {
        admin: null,
        refused: `l5d-watcher-admin ${raw} is outside rollouts.proxyAdmin.allow (${this.#allow === null ? `default: loopback and the watch's own address ${remote ?? 'unknown'}` : 'configured'}); namerd will not read its metrics: add its network to the allow-list, or set the proxy's namerd.advertiseAdmin`,
      }
    }
    return { admin: hostPort(ip, port), refused: null }
  }

  get size(): number {
    return this.#all.size
  }

  add(meta: WatcherMeta): Watcher {
    const w: Watcher = { ...meta, serial: this.#next++ }
    this.#all.add(w)
    return w
  }

  remove(w: Watcher): void {
    this.#all.delete(w)
  }

  /** The watchers of one namespace (its dtab, or names bound through it), oldest first. */
  ofNamespace(namespace: string, currentVersion: string | null): WatcherJson[] {
    const out: WatcherJson[] = []
    for (const w of this.#all) {
      if (w.namespace !== namespace) continue
      const s = w.stream
      out.push({
        id: w.id,
        stream: w.serial,
        kind: w.kind,
        path: w.target,
        remote: w.remote,
        since: w.since.toISOString(),
        version: s.version,
        sentAt: s.sentAt?.toISOString() ?? null,
        current: s.sent > 0 && s.version === currentVersion,
        sent: s.sent,
        dropped: s.dropped,
        bufferedBytes: s.bufferedBytes,
        admin: w.admin,
      })
    }
    return out
  }

  /**
   * Per namespace: how many watchers, and how many of them were last sent each version (the
   * dashboard's overview: one pass for every namespace, not one per namespace). Watchers whose
   * id is in `skip` (the dashboard's own streams) are not counted.
   */
  tally(
    skip: ReadonlySet<string> = new Set(),
  ): Map<string, { total: number; sent: Map<string, number> }> {
    const out = new Map<string, { total: number; sent: Map<string, number> }>()
    for (const w of this.#all) {
      if (w.namespace === null || (w.id !== null && skip.has(w.id))) continue
      let t = out.get(w.namespace)
      if (t === undefined) {
        t = { total: 0, sent: new Map() }
        out.set(w.namespace, t)
      }
      t.total++
      const { sent, version } = w.stream
      if (sent > 0 && version !== null) t.sent.set(version, (t.sent.get(version) ?? 0) + 1)
    }
    return out
  }

  /** Every watcher of one namespace that has an admin address, oldest first (rollouts' proxies). */
  withAdmin(namespace?: string): Watcher[] {
    const out: Watcher[] = []
    for (const w of this.#all) {
      if (w.admin !== null && (namespace === undefined || w.namespace === namespace)) out.push(w)
    }
    return out
  }

  /** Ends every stream cleanly (the client sees the end of the chunked body). */
  endAll(): void {
    for (const w of [...this.#all]) w.stream.end()
  }

  /** Drops every stream at once, for connections that would not drain. */
  destroyAll(): void {
    for (const w of [...this.#all]) w.stream.destroy()
  }
}
