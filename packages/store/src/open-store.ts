// Opening a store from one configuration string:
//
//   memory
//   file:<dir>
//   etcd:<url>[,<url>...][/<key prefix>]     e.g. etcd:http://10.0.0.1:2379,http://10.0.0.2:2379/switchyard/dtabs/
//   k8s                                      the Kubernetes CRD store: in-cluster, else KUBECONFIG
//                                            or ~/.kube/config
//   k8s:<url>                                the same at a plain http(s) URL without credentials,
//                                            e.g. k8s:http://127.0.0.1:8001 (kubectl proxy)
// The Kubernetes namespace of the k8s store is not part of the string (namerd's --k8s-namespace);
// it goes in the spec's `namespace`.
import type { KubeConnection, KubeOptions } from '@switchyard/kube'
import { openFileStore } from './file-store.js'
import type { StoreLogger } from './k8s-store.js'
import { DEFAULT_ETCD_PREFIX, openEtcdStore, openK8sStore } from './lazy-backends.js'
import { openMemoryStore } from './memory-store.js'
import type { DtabStore } from './store.js'

export type StoreSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'file'; readonly dir: string }
  | { readonly kind: 'etcd'; readonly hosts: readonly string[]; readonly prefix: string }
  | {
      readonly kind: 'k8s'
      readonly connection: KubeConnection
      /** The Kubernetes namespace of the objects; default the connection's (in-cluster, kubeconfig context, `default`). */
      readonly namespace?: string
    }

const FORMS = "'memory', 'file:<dir>', 'etcd:<url>[,<url>...][/<key prefix>]', 'k8s' or 'k8s:<url>'"

/** A Kubernetes namespace name (an RFC 1123 label), as --k8s-namespace takes it. */
export function isK8sNamespaceName(name: string): boolean {
  return name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)
}

/** A store configuration string that cannot be understood. */
export class StoreSpecError extends Error {
  readonly code = 'invalid_store_spec'
  override readonly name = 'StoreSpecError'
  constructor(
    readonly spec: string,
    problem: string,
  ) {
    super(`invalid store ${JSON.stringify(spec)}: ${problem}; expected ${FORMS}`)
  }
}

export function parseStoreSpec(spec: string): StoreSpec {
  const text = spec.trim()
  if (text === 'memory') return { kind: 'memory' }
  if (text.startsWith('file:')) {
    const dir = text.slice('file:'.length)
    if (dir === '') throw new StoreSpecError(spec, 'the directory is missing')
    return { kind: 'file', dir }
  }
  if (text.startsWith('etcd:')) {
    const parts = text.slice('etcd:'.length).split(',')
    const hosts: string[] = []
    let prefix = DEFAULT_ETCD_PREFIX
    for (const [i, part] of parts.entries()) {
      if (!/^https?:\/\//i.test(part)) {
        throw new StoreSpecError(
          spec,
          `${JSON.stringify(part)} must start with http:// or https://`,
        )
      }
      let url: URL
      try {
        url = new URL(part)
      } catch {
        throw new StoreSpecError(
          spec,
          `${JSON.stringify(part)} is not a URL such as http://127.0.0.1:2379`,
        )
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new StoreSpecError(
          spec,
          `${JSON.stringify(part)} must start with http:// or https://`,
        )
      }
      if (url.search || url.hash || url.username || url.password) {
        throw new StoreSpecError(
          spec,
          `${JSON.stringify(part)} may not carry a query, fragment or credentials`,
        )
      }
      const path = decodeURIComponent(url.pathname)
      if (path !== '/' && path !== '') {
        if (i !== parts.length - 1) {
          throw new StoreSpecError(spec, 'only the last URL may carry the key prefix')
        }
        prefix = path
      }
      hosts.push(`${url.protocol}//${url.host}`)
    }
    return { kind: 'etcd', hosts, prefix }
  }
  if (text === 'k8s') return { kind: 'k8s', connection: { kind: 'default' } }
  if (text.startsWith('k8s:')) {
    const part = text.slice('k8s:'.length)
    let url: URL | null = null
    try {
      url = /^https?:\/\//i.test(part) ? new URL(part) : null
    } catch {
      url = null
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') {
      throw new StoreSpecError(
        spec,
        `${JSON.stringify(part)} is not an http(s) URL of the Kubernetes API such as http://127.0.0.1:8001 (kubectl proxy)`,
      )
    }
    if (url.search || url.hash || url.username || url.password) {
      throw new StoreSpecError(
        spec,
        `${JSON.stringify(part)} may not carry a query, fragment or credentials (use kubectl proxy, or 'k8s' with a kubeconfig)`,
      )
    }
    const path = url.pathname.replace(/\/+$/, '')
    return { kind: 'k8s', connection: { kind: 'url', url: `${url.protocol}//${url.host}${path}` } }
  }
  throw new StoreSpecError(spec, 'unknown kind of store')
}

export interface OpenStoreOptions {
  /** History entries kept per namespace. Default 100. */
  readonly historyLimit?: number
  /** Where a store that keeps running in the background (k8s) reports what happens to it. */
  readonly logger?: StoreLogger
  /** The k8s store's connection options (deadline, environment, the no-configuration hint). */
  readonly kubeOptions?: KubeOptions
}

export async function openStore(
  spec: string | StoreSpec,
  options: OpenStoreOptions = {},
): Promise<DtabStore> {
  const s = typeof spec === 'string' ? parseStoreSpec(spec) : spec
  switch (s.kind) {
    case 'memory':
      return openMemoryStore(options)
    case 'file':
      return openFileStore(s.dir, options)
    case 'etcd':
      return openEtcdStore({ hosts: s.hosts, prefix: s.prefix, historyLimit: options.historyLimit })
    case 'k8s':
      return openK8sStore({
        connection: s.connection,
        namespace: s.namespace,
        historyLimit: options.historyLimit,
        logger: options.logger,
        kubeOptions: options.kubeOptions,
      })
  }
}
