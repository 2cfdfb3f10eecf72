// The etcd and Kubernetes backends are loaded when one is opened, not with the package: their
// clients (etcd3 with grpc-js; @kubernetes/client-node with undici) cost a namerd on the file
// store over a second of CPU at every start, for code it never runs.
import type { EtcdStoreOptions } from './etcd-store.js'
import type { K8sStore, K8sStoreOptions } from './k8s-store.js'
import type { DtabStore } from './store.js'

/** Where the etcd store keeps its keys unless told otherwise. */
export const DEFAULT_ETCD_PREFIX = '/switchyard/dtabs/'

export async function openEtcdStore(options: EtcdStoreOptions): Promise<DtabStore> {
  const backend = await import('./etcd-store.js')
  return backend.openEtcdStore(options)
}

export async function openK8sStore(options: K8sStoreOptions = {}): Promise<K8sStore> {
  const backend = await import('./k8s-store.js')
  return backend.openK8sStore(options)
}
