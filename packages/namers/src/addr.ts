// Addr: what a bound name resolves to (Finagle's `Addr`), and its JSON exactly as namerd's
// `addr` API and bind leaves write it (namerd-wire.md §1.4).
import { isDeepStrictEqual } from 'node:util'
import { javaDouble } from '@switchyard/dtab'
// The JSON form is namerd's API, defined once with the rest of it; the weight key is part of it.
import { AddrJson, hostPort, WEIGHT_KEY } from '@switchyard/wire'

export { AddrJson, WEIGHT_KEY }

/** Per-endpoint metadata: a weight, and whatever else a namer passes on (nodeName, authority). */
export type EndpointMeta = { readonly endpoint_addr_weight?: number } & {
  readonly [key: string]: unknown
}
export interface Endpoint {
  readonly ip: string
  readonly port: number
  readonly meta: EndpointMeta
}
export type AddrMeta = { readonly [key: string]: unknown }

export type Addr =
  | { readonly type: 'bound'; readonly addrs: readonly Endpoint[]; readonly meta: AddrMeta }
  | { readonly type: 'neg' }
  | { readonly type: 'pending' }
  | { readonly type: 'failed'; readonly cause: string }

const NEG: Addr = Object.freeze({ type: 'neg' })
const PENDING: Addr = Object.freeze({ type: 'pending' })

/** A key that identifies an endpoint in a set, whatever the order of its meta keys. */
function endpointKey(e: Endpoint): string {
  const meta = Object.keys(e.meta)
    .sort()
    .map((k) => [k, e.meta[k]])
  return JSON.stringify([e.ip, e.port, meta])
}

function metaJson(meta: { readonly [key: string]: unknown }): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(meta)) {
    if (v === undefined) continue
    // Jackson writes the weight, a Java double, as `2.0`; JSON.stringify would write `2`.
    const value = k === WEIGHT_KEY && typeof v === 'number' ? javaDouble(v) : JSON.stringify(v)
    parts.push(`${JSON.stringify(k)}:${value}`)
  }
  return `{${parts.join(',')}}`
}

export const Addr = {
  neg: NEG,
  pending: PENDING,
  failed: (cause: string): Addr => ({ type: 'failed', cause }),
  /** A bound address set; duplicate endpoints (same ip, port and meta) are dropped. */
  bound(addrs: readonly Endpoint[], meta: AddrMeta = {}): Addr {
    const seen = new Set<string>()
    const unique = addrs.filter((e) => {
      const k = endpointKey(e)
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
    return { type: 'bound', addrs: unique, meta }
  },

  /** Equality with `addrs` compared as a set, as Finagle's `Addr.Bound` compares. */
  equals(a: Addr, b: Addr): boolean {
    if (a === b) return true
    if (a.type !== b.type) return false
    switch (a.type) {
      case 'neg':
      case 'pending':
        return true
      case 'failed':
        return a.cause === (b as typeof a).cause
      case 'bound': {
        const o = b as typeof a
        if (a.addrs.length !== o.addrs.length || !isDeepStrictEqual(a.meta, o.meta)) return false
        const keys = new Set(a.addrs.map(endpointKey))
        return o.addrs.every((e) => keys.has(endpointKey(e)))
      }
    }
  },

  /** namerd's JSON, byte for byte: `{"type":"bound","addrs":[{"ip":..,"port":..,"meta":{}}],"meta":{}}`. */
  toJson(addr: Addr): string {
    switch (addr.type) {
      case 'neg':
      case 'pending':
        return `{"type":"${addr.type}"}`
      case 'failed':
        return `{"type":"failed","cause":${JSON.stringify(addr.cause)}}`
      case 'bound': {
        const addrs = addr.addrs.map(
          (e) => `{"ip":${JSON.stringify(e.ip)},"port":${e.port},"meta":${metaJson(e.meta)}}`,
        )
        return `{"type":"bound","addrs":[${addrs.join(',')}],"meta":${metaJson(addr.meta)}}`
      }
    }
  },

  /** Reads the wire form (an already parsed JSON value); throws a ZodError when it is not one. */
  fromJson(json: unknown): Addr {
    const a = AddrJson.parse(json)
    return a.type === 'bound' ? Addr.bound(a.addrs, a.meta) : a
  },

  show(addr: Addr): string {
    switch (addr.type) {
      case 'bound':
        return `Bound(${addr.addrs.map((e) => hostPort(e.ip, e.port)).join(', ')})`
      case 'failed':
        return `Failed(${addr.cause})`
      case 'neg':
        return 'Neg'
      case 'pending':
        return 'Pending'
    }
  },
}
