// io.l5d.k8s.daemonset: send each request to the proxy on the destination's node instead of to
// the destination itself, for the outgoing router of a per-node proxy (the Linkerd 1 DaemonSet
// topology: outgoing on one node → incoming on the destination's node → the pod). The proxies
// are the endpoints of the daemonset's own Service, watched through the io.l5d.k8s namer on the
// transformer's own Kubernetes connection. Id prefix, as Linkerd's:
// `/%/io.l5d.k8s.daemonset/<namespace>/<port>/<service>`.
import { Path } from '@switchyard/dtab'
import type { KubeConnection } from '@switchyard/kube'
import { type Addr, k8sConnection, type NamerLogger, type Var } from '@switchyard/namers'
import type { DaemonSetTransformerConfig } from './config.js'
import { logMissing } from './daemonset-log.js'
import { TransformerError } from './errors.js'
import { viaGateways } from './gateway-map.js'
import { nodeKey } from './node-key.js'
import { combineVars, TRANSFORMER_PREFIX, type Transformer } from './transformer.js'

export const DAEMONSET = 'io.l5d.k8s.daemonset'

/** Where the daemonset's proxies are found. */
export interface DaemonSetTarget {
  readonly namespace: string
  readonly port: string
  readonly service: string
  /**
   * The Kubernetes API: plain HTTP at `http://<k8sHost>:<k8sPort>` (kubectl proxy style) when
   * either is given, else the default connection (in-cluster, else kubeconfig), as the
   * io.l5d.k8s namer reads its `host` and `port`.
   */
  readonly connection: KubeConnection
}

/** The live endpoints of the daemonset's Service; `close` stops watching them. */
export interface DaemonSetWatch {
  readonly addr: Var<Addr>
  /**
   * Resolves once the source can watch (its Kubernetes configuration was found); rejects with
   * what to fix otherwise, which stops the proxy's start.
   */
  readonly ready: Promise<void>
  close(): Promise<void>
}

export type DaemonSetSource = (target: DaemonSetTarget) => DaemonSetWatch

export function daemonSetTarget(config: DaemonSetTransformerConfig): DaemonSetTarget {
  return {
    namespace: config.namespace,
    port: config.port,
    service: config.service,
    connection: k8sConnection({ host: config.k8sHost, port: config.k8sPort }),
  }
}

/** The reason a source could not start: a namer's error wraps the Kubernetes one. */
function reason(err: unknown): string {
  if (err instanceof Error) return err.cause instanceof Error ? err.cause.message : err.message
  return String(err)
}

/** `logger`: where a daemonset Service that does not exist (or appears) is logged; none by default. */
export function daemonSetTransformer(
  config: DaemonSetTransformerConfig,
  source: DaemonSetSource,
  where = 'the transformer',
  logger?: NamerLogger,
): Transformer {
  const target = daemonSetTarget(config)
  const base =
    config.prefix === undefined
      ? Path.utf8(DAEMONSET, config.namespace, config.port, config.service)
      : Path.read(config.prefix)
  const name = `${config.namespace}/${config.service} port ${config.port}`
  const nodeOf = nodeKey(config.hostNetwork)
  // The source watches only while a routed name observes its addr.
  const watch = source(target)
  const proxies =
    logger === undefined
      ? watch.addr
      : logMissing(
          watch.addr,
          { where, namespace: config.namespace, service: config.service, port: config.port },
          logger,
        )
  const ready = watch.ready.catch((err: unknown) => {
    throw new TransformerError(
      'kube_config',
      `${where} (${DAEMONSET}): ${reason(err)}; for this transformer, kubectl proxy is \`k8sHost: 127.0.0.1, k8sPort: 8001\``,
    )
  })
  // Read by ready(); until then a rejection must not count as unhandled.
  ready.catch(() => {})
  return {
    kind: DAEMONSET,
    prefix: [TRANSFORMER_PREFIX, ...base],
    map: (addr) => combineVars(addr, proxies, (a, d) => viaGateways(a, d, nodeOf, name)),
    ready: () => ready,
    close: () => watch.close(),
  }
}
