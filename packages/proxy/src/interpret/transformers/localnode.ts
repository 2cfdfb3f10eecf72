// io.l5d.k8s.localnode: keep only the endpoints on this proxy's node, for the incoming router of
// a per-node proxy (the DaemonSet topology), so traffic that reached this node's proxy stays on
// this node. As Linkerd's: with hostNetwork the node is NODE_NAME matched against the
// endpoints' `nodeName` meta; otherwise it is POD_IP's /24. The id prefix names the node:
// `/%/io.l5d.k8s.localnode/<POD_IP or NODE_NAME>`.
import { Path } from '@switchyard/dtab'
import type { Endpoint } from '@switchyard/namers'
import type { LocalNodeTransformerConfig } from './config.js'
import { type Env, nodeName, podIp } from './env.js'
import { keepLocal } from './local-filter.js'
import { nodeKey } from './node-key.js'
import { mapVar, TRANSFORMER_PREFIX, type Transformer } from './transformer.js'

export const LOCALNODE = 'io.l5d.k8s.localnode'

/** Throws TransformerError when the environment lacks POD_IP (or NODE_NAME with hostNetwork). */
export function localNodeTransformer(
  config: LocalNodeTransformerConfig,
  env: Env,
  where = 'the transformer',
): Transformer {
  const who = `${where} (${LOCALNODE}, hostNetwork: ${config.hostNetwork})`
  const base = config.prefix === undefined ? Path.utf8(LOCALNODE) : Path.read(config.prefix)
  const here = config.hostNetwork ? nodeName(env, who) : podIp(env, who)
  const nodeOf = nodeKey(config.hostNetwork)
  // This node's key: NODE_NAME itself, or POD_IP's /24.
  const mine = nodeOf({ ip: here, port: 0, meta: { nodeName: here } })
  const isLocal = (e: Endpoint) => nodeOf(e) === mine
  return {
    kind: LOCALNODE,
    prefix: [TRANSFORMER_PREFIX, ...base, ...Path.utf8(here)],
    map: (addr) => mapVar(addr, (a) => keepLocal(a, isLocal)),
    ready: async () => {},
    close: async () => {},
  }
}
