// The daemonset transformer's addr mapping (Linkerd's GatewayTransformer): each endpoint of the
// destination is replaced by the daemonset pods (the proxies) on its node, so the request goes
// to the proxy beside the destination, which forwards it on. Endpoints with no proxy on their
// node are dropped; when none is left the addr is Neg, as Linkerd's (so a union renormalises
// past a name whose pods are all on nodes without a proxy). A proxy that serves several
// destination endpoints appears once. The destination's Addr meta is kept; the endpoints, with
// their meta, are the daemonset's.
import { Addr, type Endpoint } from '@switchyard/namers'
import type { NodeKey } from './node-key.js'

/**
 * `daemonset` is the Addr of the daemonset's own service. While it is pending the result is
 * pending (a request waits for it, as Linkerd's bind waited for the daemonset); when it failed
 * the result fails and says why. When it does not exist (Neg: no such Service, or no such port
 * on it) no endpoint has a proxy; Linkerd made that Neg, which reads as if the destination did
 * not exist (a 502 `no route`, a `neg` leaf in the delegator) when the transformer's own keys
 * are wrong. Here it fails, saying so. Every bound name through the transformer fails alike,
 * so no Alt or union branch is lost that a Neg would have reached: the request fails either
 * way, now with the reason. An addr of the destination that is not bound passes unchanged.
 */
export function viaGateways(
  destination: Addr,
  daemonset: Addr,
  nodeOf: NodeKey,
  daemonsetName: string,
): Addr {
  if (destination.type !== 'bound') return destination
  switch (daemonset.type) {
    case 'pending':
      return Addr.pending
    case 'neg':
      return Addr.failed(missingDaemonSet(daemonsetName))
    case 'failed':
      return Addr.failed(`the daemonset ${daemonsetName}: ${daemonset.cause}`)
    case 'bound': {
      // Proxies by node, so a change costs O(endpoints + proxies), not their product.
      const proxies = new Map<string, Endpoint[]>()
      for (const g of daemonset.addrs) {
        const k = nodeOf(g)
        if (k === undefined) continue
        const on = proxies.get(k)
        if (on === undefined) proxies.set(k, [g])
        else on.push(g)
      }
      const selected: Endpoint[] = []
      for (const e of destination.addrs) {
        const k = nodeOf(e)
        if (k === undefined) continue
        const on = proxies.get(k)
        if (on === undefined) continue
        for (const g of on) selected.push(g)
        // Each node's proxies are taken once, however many endpoints it holds.
        proxies.delete(k)
      }
      return selected.length === 0 ? Addr.neg : Addr.bound(selected, destination.meta)
    }
  }
}

/** Why every name through a daemonset transformer whose Service does not exist fails. */
export function missingDaemonSet(daemonsetName: string): string {
  return `the daemonset ${daemonsetName} does not exist (no such Service in that namespace, or no such port on it): check the transformer's namespace, service and port keys`
}
