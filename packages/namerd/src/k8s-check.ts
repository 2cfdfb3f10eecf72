// What namerd can tell of its Kubernetes connections without contacting anything: where each
// connection comes from (in-cluster, which kubeconfig file and context, or a plain URL) and the
// Kubernetes namespace of the store's objects. Reading a kubeconfig or the service account's
// files is offline, so --check can say it, and the log of a running namerd says what was found.
import { type K8sNamerConfig, k8sConnection } from '@switchyard/namers'
import type {
  KubeConnection,
  KubeEnvironment,
  ResolvedConnection,
  StoreSpec,
} from '@switchyard/store'

/** What the "no Kubernetes configuration" error suggests, by who asks. */
export const K8S_MISSING_CONFIG_HINTS = {
  store: 'e.g. --store k8s:http://127.0.0.1:8001',
  namer: 'e.g. host: 127.0.0.1 and port: 8001 in the io.l5d.k8s namer',
} as const

/** A connection found (one line), or why none could be. */
export type Found =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly problem: string }

// @switchyard/kube loads @kubernetes/client-node (a second of CPU), so only a namerd that has a
// Kubernetes connection loads it.
async function resolve(
  connection: KubeConnection,
  environment: KubeEnvironment,
  hint: string,
): Promise<{ ok: true; resolved: ResolvedConnection } | { ok: false; problem: string }> {
  try {
    const { resolveConnection } = await import('@switchyard/kube')
    return {
      ok: true,
      resolved: resolveConnection(connection, { ...environment, missingConfigHint: hint }),
    }
  } catch (err) {
    return { ok: false, problem: err instanceof Error ? err.message : String(err) }
  }
}

/** The k8s store's connection and Kubernetes namespace; for other stores, null. */
export async function findStoreConnection(
  spec: StoreSpec,
  environment: KubeEnvironment = {},
): Promise<Found | null> {
  if (spec.kind !== 'k8s') return null
  const r = await resolve(spec.connection, environment, K8S_MISSING_CONFIG_HINTS.store)
  if (!r.ok) return r
  const namespace =
    spec.namespace === undefined
      ? `${r.resolved.namespace} (${r.resolved.namespaceFrom})`
      : `${spec.namespace} (configured)`
  return {
    ok: true,
    text: `${r.resolved.description}; DTab objects in Kubernetes namespace ${namespace}`,
  }
}

/** An io.l5d.k8s namer's connection. */
export async function findNamerConnection(
  config: K8sNamerConfig,
  environment: KubeEnvironment = {},
): Promise<Found> {
  const r = await resolve(k8sConnection(config), environment, K8S_MISSING_CONFIG_HINTS.namer)
  return r.ok ? { ok: true, text: r.resolved.description } : r
}
