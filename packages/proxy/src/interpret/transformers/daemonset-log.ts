// A daemonset transformer whose Service does not exist (a Linkerd config's `l5d` or
// `http-incoming` kept by mistake) starts fine and fails every name: say so in the log, once
// when it goes missing and once when it appears, naming the Service, namespace and port. The
// proxies' addr is one var per transformer, shared by every name, so this is once per change,
// not once per name or request. The namer logs its own failures (403, API server away).
import { Addr, type NamerLogger, Var } from '@switchyard/namers'

export interface DaemonSetLogTarget {
  /** Where in the config: `interpreter.transformers[0]`. */
  readonly where: string
  readonly namespace: string
  readonly service: string
  readonly port: string
}

/** `proxies` unchanged, logging when the daemonset's Service goes missing or appears. */
export function logMissing(
  proxies: Var<Addr>,
  target: DaemonSetLogTarget,
  logger: NamerLogger,
): Var<Addr> {
  const { where, namespace, service, port } = target
  const fields = { transformer: where, namespace, service, port }
  // Known missing (Neg), known present (bound), or not known yet; kept across restarts of the
  // var, so a name that comes back after a quiet spell does not log the same state again.
  let missing: boolean | undefined
  const observe = (a: Addr) => {
    if (a.type !== 'neg' && a.type !== 'bound') return
    const now = a.type === 'neg'
    if (now === missing || (!now && missing === undefined)) {
      missing = now
      return
    }
    missing = now
    if (now) {
      logger.warn(
        fields,
        `io.l5d.k8s.daemonset: the daemonset Service ${namespace}/${service} with port ${port} does not exist, so every name through ${where} fails; check its namespace, service and port keys against \`kubectl -n ${namespace} get service ${service} -o yaml\``,
      )
    } else {
      logger.info(
        fields,
        `io.l5d.k8s.daemonset: the daemonset Service ${namespace}/${service} with port ${port} exists now`,
      )
    }
  }
  return Var.async<Addr>(
    Addr.pending,
    (update) => {
      const pass = (a: Addr) => {
        observe(a)
        update(a)
      }
      const unsubscribe = proxies.subscribe(pass)
      pass(proxies.sample())
      return unsubscribe
    },
    { equals: Addr.equals },
  )
}
