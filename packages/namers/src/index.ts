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
  FsNamerConfig,
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
