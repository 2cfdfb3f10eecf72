// @switchyard/store: the versioned dtab store of namerd. One port, DtabStore, and its backends.

// Where a k8s store's connection comes from, resolved offline (the kubeconfig or the service
// account's files): for namerd's --check and its log, which reach @switchyard/kube through here.
export {
  type KubeConnection,
  type KubeEnvironment,
  type ResolvedConnection,
  resolveConnection as resolveKubeConnection,
} from '@switchyard/kube'
export { DEFAULT_ETCD_PREFIX, type EtcdStoreOptions, openEtcdStore } from './etcd-store.js'
export { type FileStoreOptions, openFileStore } from './file-store.js'
export { K8S_NAMESPACE_RULE } from './k8s-names.js'
export { DTAB_HISTORIES, DTABS } from './k8s-objects.js'
export {
  type K8sStore,
  type K8sStoreOptions,
  openK8sStore,
  type StoreLogger,
} from './k8s-store.js'
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
