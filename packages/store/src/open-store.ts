// Opening a store from one configuration string:
//
//   memory
//   file:<dir>
//   etcd:<url>[,<url>...][/<key prefix>]     e.g. etcd:http://10.0.0.1:2379,http://10.0.0.2:2379/switchyard/dtabs/
import { DEFAULT_ETCD_PREFIX, openEtcdStore } from './etcd-store.js'
import { openFileStore } from './file-store.js'
import { openMemoryStore } from './memory-store.js'
import type { DtabStore } from './store.js'

export type StoreSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'file'; readonly dir: string }
  | { readonly kind: 'etcd'; readonly hosts: readonly string[]; readonly prefix: string }

const FORMS = "'memory', 'file:<dir>' or 'etcd:<url>[,<url>...][/<key prefix>]'"

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
  throw new StoreSpecError(spec, 'unknown kind of store')
}

export interface OpenStoreOptions {
  /** History entries kept per namespace. Default 100. */
  readonly historyLimit?: number
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
      return openEtcdStore({ hosts: s.hosts, prefix: s.prefix, ...options })
  }
}
