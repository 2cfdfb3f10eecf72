// @switchyard/namers: turning bound names into live endpoint sets.
export {
  Addr,
  AddrJson,
  type AddrMeta,
  type Endpoint,
  type EndpointMeta,
  WEIGHT_KEY,
} from './addr.js'
export {
  describeNamerConfig,
  FsNamerConfig,
  K8sNamerConfig,
  type MountedNamers,
  type MountOptions,
  mountNamers,
  NamerConfig,
  NamersConfig,
  NamersConfigError,
  parseNamersConfig,
} from './config.js'
export { type EndpointEntry, type EndpointsFile, parseEndpointsFile } from './endpoints-file.js'
export {
  DEFAULT_RESCAN_MS,
  DEFAULT_SETTLE_MS,
  FsNamer,
  FsNamerError,
  type FsNamerOptions,
  MAX_FILE_BYTES,
} from './fs-namer.js'
export {
  DEFAULT_DNS_REFRESH_MS,
  type HostLookup,
  type InetOptions,
  inetAddr,
  resolveHost,
  systemLookup,
} from './inet.js'
export type { CollectionSpec, OpenCollection } from './k8s/collection.js'
export {
  DEFAULT_HOST as K8S_DEFAULT_HOST,
  DEFAULT_PORT as K8S_DEFAULT_PORT,
  k8sConnection,
} from './k8s/connection.js'
export { endpointsAddr, servicePortName } from './k8s/endpoints.js'
export {
  DEFAULT_LINGER_MS as K8S_DEFAULT_LINGER_MS,
  DEFAULT_MAX_LINGERING as K8S_DEFAULT_MAX_LINGERING,
  K8sNamer,
  K8sNamerError,
  type K8sNamerOptions,
  type K8sNamerState,
  type K8sNamerTuning,
} from './k8s/namer.js'
export { type K8sName, type PortRef, parseK8sName } from './k8s/names.js'
export { EndpointSlice, Service } from './k8s/objects.js'
export { SERVICE_NAME_LABEL, type ServiceWatchState } from './k8s/service-watch.js'
export type { NamerLogger } from './logger.js'
export { CONFIGURED_NAMER, namerPrefix } from './prefix.js'
export {
  type AddrNamer,
  type AddrResolver,
  createAddrResolver,
  type MountedAddrNamer,
  type ResolverOptions,
} from './resolver.js'
export {
  type Equals,
  type Listener,
  MutableVar,
  type Producer,
  Var,
  type VarOptions,
} from './var.js'
