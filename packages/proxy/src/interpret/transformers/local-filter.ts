// The localnode transformer's addr mapping (Linkerd's FilteringNameTreeTransformer): keep the
// endpoints on this node. A bound set left empty becomes Neg, as Linkerd's does, so an Alt in
// the dtab falls through to its next branch; any other addr passes unchanged.
import { Addr, type Endpoint } from '@switchyard/namers'

export function keepLocal(addr: Addr, isLocal: (e: Endpoint) => boolean): Addr {
  if (addr.type !== 'bound') return addr
  const kept = addr.addrs.filter(isLocal)
  if (kept.length === 0) return Addr.neg
  return kept.length === addr.addrs.length ? addr : Addr.bound(kept, addr.meta)
}
