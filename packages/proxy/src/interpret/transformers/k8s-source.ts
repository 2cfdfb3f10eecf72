// The daemonset's proxies from the io.l5d.k8s namer: the live endpoints of
// `/#/io.l5d.k8s/<namespace>/<port>/<service>`, on the transformer's own connection (as
// Linkerd's transformer made its own client), so it works beside a namerd interpreter too.
import { Path } from '@switchyard/dtab'
import { Addr, K8sNamer, type K8sNamerTuning, type NamerLogger, Var } from '@switchyard/namers'
import { DAEMONSET, type DaemonSetSource } from './daemonset.js'

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * `tuning`: the namer's timings (tests shorten its retry backoff). `logger`: where the namer
 * logs reads of the daemonset's Service that fail (403, the API server away) and recover.
 */
export function k8sDaemonSetSource(
  tuning: K8sNamerTuning = {},
  logger?: NamerLogger,
): DaemonSetSource {
  return (target) => {
    // Reads the service account or kubeconfig now (no call to the API server until watched).
    // Mounted under the transformer's kind, so its log lines say whose reads they are.
    const opening = K8sNamer.open({
      ...tuning,
      connection: target.connection,
      prefix: DAEMONSET,
      logger,
    })
    const name = Path.utf8(target.namespace, target.port, target.service)
    const addr = Var.async<Addr>(
      Addr.pending,
      (update) => {
        let stop: (() => void) | undefined
        let stopped = false
        opening
          .then(
            (namer) => {
              if (stopped) return
              const pods = namer.addr(name)
              stop = pods.subscribe(update)
              update(pods.sample())
            },
            (err: unknown) => update(Addr.failed(message(err))),
          )
          // A listener's bug must not become an unhandled rejection.
          .catch((err: unknown) =>
            process.emitWarning(err instanceof Error ? err : String(err), 'VarListenerError'),
          )
        return () => {
          stopped = true
          stop?.()
        }
      },
      { equals: Addr.equals },
    )
    return {
      addr,
      ready: opening.then(() => {}),
      close: async () => {
        const namer = await opening.catch(() => undefined)
        await namer?.close()
      },
    }
  }
}
