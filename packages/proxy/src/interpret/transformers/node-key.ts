// How the Kubernetes transformers tell which node an endpoint is on, as Linkerd's do: by its
// IP's /24 (each node's pods get addresses from one /24), or, when pods use the host's network
// (hostNetwork: true, so the IP is the node's and its /24 says nothing), by the `nodeName` meta
// that the io.l5d.k8s namer copies from the EndpointSlice. Two endpoints are on the same node
// when their keys are equal; an endpoint without a key is on no known node.
import type { Endpoint } from '@switchyard/namers'
import { subnet24 } from './ipv4.js'

/** The endpoint meta key the io.l5d.k8s namer sets (Linkerd's `Metadata.nodeName`). */
export const NODE_NAME_META = 'nodeName'

export type NodeKey = (e: Endpoint) => string | undefined

/** The endpoint's node name, when the namer knew it. */
export const byNodeName: NodeKey = (e) => {
  const v = e.meta[NODE_NAME_META]
  return typeof v === 'string' && v.length > 0 ? v : undefined
}

/**
 * The /24 of an IPv4 endpoint. An IPv6 endpoint has none: Linkerd's 4-byte netmask never
 * matches an address of another length.
 */
export const bySubnet: NodeKey = (e) => {
  const s = subnet24(e.ip)
  return s === undefined ? undefined : String(s)
}

/** `hostNetwork: true` → by node name; otherwise by subnet. */
export function nodeKey(hostNetwork: boolean): NodeKey {
  return hostNetwork ? byNodeName : bySubnet
}
