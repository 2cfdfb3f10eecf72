// @switchyard/store: the versioned dtab store of namerd. One port, DtabStore, and its backends.

// Type-only exports of the etcd and k8s modules: their values come through lazy-backends.ts,
// so that importing the package does not load their clients.
export type { KubeConnection, KubeEnvironment, ResolvedConnection } from '@switchyard/kube'
export type { EtcdStoreOptions } from './etcd-store.js'
export { type FileStoreOptions, openFileStore } from './file-store.js'
export { K8S_NAMESPACE_RULE } from './k8s-names.js'
export type { K8sStore, K8sStoreOptions, StoreLogger } from './k8s-store.js'
export { DEFAULT_ETCD_PREFIX, openEtcdStore, openK8sStore } from './lazy-backends.js'
export { LeaseElector, type LeaseElectorOptions } from './lease-elector.js'
export { type MemoryStoreOptions, openMemoryStore } from './memory-store.js'
export {
  checkNamespace,
  DEFAULT_NAMESPACE_RULE,
  isValidNamespace,
  NAMESPACE_MAX_LENGTH,
  NAMESPACE_RULE,
  type NamespaceRule,
  namespaceRuleOf,
} from './namespace.js'
export {
  isK8sNamespaceName,
  type OpenStoreOptions,
  openStore,
  parseStoreSpec,
  type StoreSpec,
  StoreSpecError,
} from './open-store.js'
export {
  InvalidLeaseError,
  LEASE_NAME,
  type LeaseRecord,
  type LeaseStore,
  type LeaseWrite,
  MAX_LEASE_DATA,
  RolloutActiveError,
  RolloutExistsError,
  type RolloutListFilter,
  RolloutNotFoundError,
  type RolloutStore,
  type RolloutStoreEvent,
  type VersionedRollout,
} from './rollouts.js'
export {
  CorruptEntryError,
  DEFAULT_HISTORY_LIMIT,
  type DeleteOptions,
  type DtabEvent,
  type DtabStore,
  type HistoryEntry,
  type HistoryOptions,
  InvalidNamespaceError,
  isStoreError,
  NamespaceExistsError,
  NamespaceNotFoundError,
  type NamespacesEvent,
  StoreClosedError,
  StoreError,
  type StoreErrorCode,
  type StoreHealth,
  type StoreKind,
  StoreUnavailableError,
  type VersionedDtab,
  VersionMismatchError,
  type WatchOptions,
  type WriteOptions,
} from './store.js'
export {
  counterVersion,
  revisionVersion,
  versionCounter,
  versionFromIfMatch,
  versionRevision,
  versionsEqual,
  versionToETag,
} from './version.js'
export { DEFAULT_MAX_PENDING } from './watch-channel.js'
