// @switchyard/namerd: the control plane's HTTP API, wire-compatible with namerd's
// io.l5d.httpController. The `namerd` command is main.ts.

// The JSON shapes of namerd's API are defined once in @switchyard/wire (namerctl reads them
// there, without namerd's server dependencies); under namerd's names here.
export {
  ErrorBody,
  HistoryEntry as HistoryEntryJson,
  Watcher as WatcherJson,
  Watchers as WatchersJson,
} from '@switchyard/wire'
export {
  Auth,
  type AuthOptions,
  exposureProblem,
  isLoopback,
  type Principal,
  type Scope,
  type TokenSpec,
} from './auth.js'
export { HELP, parseCommandLine, UsageError } from './cli.js'
export {
  acceptMediaTypes,
  codecFor,
  type DtabCodec,
  mediaTypeOf,
  negotiate,
  readDtab,
  writeDtab,
} from './codec.js'
export {
  ConfigError,
  ConfigFile,
  DEFAULT_LISTEN,
  DEFAULT_STORE,
  type Env,
  type Flags,
  type ListenAddress,
  loadConfigFile,
  parseListen,
  parseTokensEnv,
  resolveSettings,
  type Settings,
  TOKENS_ENV,
} from './config.js'
export {
  ConnectionGuard,
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  fitToFileLimit,
  openFileLimit,
  resolveConnectionLimits,
} from './connections.js'
export { type Context, DEFAULT_LIMITS, type Limits } from './context.js'
export { describeStore, type RunningNamerd, startNamerd } from './daemon.js'
export { ApiError, TextError } from './errors.js'
export { instrumentStore, Metrics, type WatchKind } from './metrics.js'
export { boundTreeJson, Naming, type NamingOptions, stripTransformerPrefix } from './naming.js'
export { WATCHER_ID_HEADER } from './request.js'
export { DelegationRequest } from './routes/delegate.js'
export { ERROR_OFFSET_HEADER } from './routes/dtabs.js'
export { RestoreRequest } from './routes/history.js'
export { buildServer, type NamerdServer, type ServerOptions } from './server.js'
export { firstState, iterableSource, type Sink, type Source, type State } from './source.js'
export {
  type LoadedTls,
  loadTls,
  serverOptions,
  TlsConfig,
  TlsFileError,
  type TlsSettings,
  tlsSettings,
  watchTls,
} from './tls.js'
