// `/$/inet/<host>/<port>`: an IP literal is bound at once; a hostname is resolved with the
// system resolver (node:dns lookup, as getaddrinfo: /etc/hosts, then DNS) and, like Finagle's
// InetResolver, re-resolved every 5 s while someone watches. `/$/fixedinet` resolves once.
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { errorMessage } from '@switchyard/wire'
import { Addr, type Endpoint } from './addr.js'
import { updateSafely, Var } from './var.js'

/** Resolves a hostname to IP addresses; rejects when it cannot. */
export type HostLookup = (host: string) => Promise<readonly string[]>

/** Finagle's InetResolver poll interval. */
export const DEFAULT_DNS_REFRESH_MS = 5000

export interface InetOptions {
  /** How often a watched hostname is resolved again; 0 resolves it once. Default 5000. */
  readonly refreshMs?: number
  /** The resolver; default node:dns `lookup` with `all: true`. */
  readonly lookupHost?: HostLookup
}

export const systemLookup: HostLookup = async (host) =>
  (await lookup(host, { all: true })).map((a) => a.address)

/** The port-only form `/$/inet/<port>` means Java's `new InetSocketAddress(port)`: any address. */
const WILDCARD = '0.0.0.0'

/** The IPs of `host`, sorted and without duplicates (DNS answers rotate; a set does not). */
export async function resolveHost(
  host: string,
  lookupHost: HostLookup = systemLookup,
): Promise<string[]> {
  if (host === '') return [WILDCARD]
  if (isIP(host) !== 0) return [host]
  const ips = [...new Set(await lookupHost(host))].sort()
  if (ips.length === 0) throw new Error(`no addresses for ${host}`)
  return ips
}

const endpoints = (ips: readonly string[], port: number): Endpoint[] =>
  ips.map((ip) => ({ ip, port, meta: {} }))

/**
 * The live Addr of `host:port`. A failed first resolution is `failed` with the resolver's
 * message; a failure after a success keeps the last bound set (a DNS hiccup should not take
 * a service away). Work happens only while the var is watched.
 */
export function inetAddr(host: string, port: number, options: InetOptions = {}): Var<Addr> {
  if (host === '' || isIP(host) !== 0)
    return Var.value<Addr>(Addr.bound(endpoints([host || WILDCARD], port)))
  const refreshMs = options.refreshMs ?? DEFAULT_DNS_REFRESH_MS
  const lookupHost = options.lookupHost ?? systemLookup
  let current: Addr = Addr.pending
  return Var.async<Addr>(
    Addr.pending,
    (update) => {
      let stopped = false
      let timer: NodeJS.Timeout | undefined
      const run = async (): Promise<void> => {
        let next: Addr
        try {
          next = Addr.bound(endpoints(await resolveHost(host, lookupHost), port))
        } catch (err) {
          next = Addr.failed(errorMessage(err))
        }
        if (stopped) return
        if (next.type === 'bound' || current.type !== 'bound') {
          current = next
          updateSafely(update, next)
        }
        if (refreshMs > 0) timer = setTimeout(run, refreshMs)
      }
      void run()
      return () => {
        stopped = true
        clearTimeout(timer)
      }
    },
    { equals: Addr.equals },
  )
}
