// Linkerd 1's `interpreter.transformers`: the Kubernetes DaemonSet topology's two transformers,
// applied in order around any interpreter (local or namerd).
import type { NamerLogger } from '@switchyard/namers'
import type { Interpreter } from '../types.js'
import type { TransformerConfig } from './config.js'
import { type DaemonSetSource, daemonSetTransformer } from './daemonset.js'
import type { Env } from './env.js'
import { k8sDaemonSetSource } from './k8s-source.js'
import { localNodeTransformer } from './localnode.js'
import { TransformedInterpreter } from './transformed-interpreter.js'
import type { Transformer } from './transformer.js'

export {
  DaemonSetTransformerConfig,
  LocalNodeTransformerConfig,
  TransformerConfig,
  TransformersConfig,
} from './config.js'
export {
  DAEMONSET,
  type DaemonSetSource,
  type DaemonSetTarget,
  type DaemonSetWatch,
  daemonSetTarget,
  daemonSetTransformer,
} from './daemonset.js'
export { type DaemonSetLogTarget, logMissing } from './daemonset-log.js'
export { downwardApiSnippet, type Env } from './env.js'
export { TransformerError, type TransformerErrorCode } from './errors.js'
export { missingDaemonSet, viaGateways } from './gateway-map.js'
export { ipv4, sameSubnet24, subnet24 } from './ipv4.js'
export { k8sDaemonSetSource } from './k8s-source.js'
export { keepLocal } from './local-filter.js'
export { LOCALNODE, localNodeTransformer } from './localnode.js'
export { byNodeName, bySubnet, NODE_NAME_META, type NodeKey, nodeKey } from './node-key.js'
export { TransformedInterpreter } from './transformed-interpreter.js'
export { combineVars, mapVar, TRANSFORMER_PREFIX, type Transformer } from './transformer.js'

export interface TransformerOptions {
  /** Where POD_IP and NODE_NAME are read; default `process.env`. */
  readonly env?: Env
  /** Where the daemonset's proxies come from; default the io.l5d.k8s namer (k8sDaemonSetSource). */
  readonly daemonSet?: DaemonSetSource
  /**
   * Where a daemonset transformer logs its Service missing (and appearing), and the default
   * source's namer its failed reads; none by default.
   */
  readonly logger?: NamerLogger | undefined
}

/**
 * The transformers of `configs`, in order. Throws TransformerError (naming the variable and the
 * downward-API snippet) when the environment lacks what one needs; closes those already made.
 */
export function makeTransformers(
  configs: readonly TransformerConfig[],
  options: TransformerOptions = {},
): Transformer[] {
  const env = options.env ?? process.env
  const made: Transformer[] = []
  try {
    configs.forEach((c, i) => {
      const where = `interpreter.transformers[${i}]`
      if (c.kind === 'io.l5d.k8s.localnode') made.push(localNodeTransformer(c, env, where))
      else {
        const source = options.daemonSet ?? k8sDaemonSetSource({}, options.logger)
        made.push(daemonSetTransformer(c, source, where, options.logger))
      }
    })
  } catch (err) {
    for (const t of made) void t.close()
    throw err
  }
  return made
}

/** `interpreter` with each transformer applied in order (the first is innermost, as Linkerd's). */
export function applyTransformers(
  interpreter: Interpreter,
  transformers: readonly Transformer[],
): Interpreter {
  return transformers.reduce<Interpreter>((i, t) => new TransformedInterpreter(i, t), interpreter)
}
