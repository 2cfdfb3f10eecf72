// Where a router's base dtab and addresses come from: namerd, or a local dtab and namers.
export { backoffMs, DEFAULT_RETRY, type RetryConfig } from './backoff.js'
export { alwaysBound, namerdHashNamer } from './bound-namers.js'
export {
  type CreateInterpreterOptions,
  createInterpreter,
  type InterpreterSpec,
  type LocalInterpreterSpec,
  type NamerdInterpreterSpec,
} from './config.js'
export { type DtabFileEvent, type DtabFileOptions, DtabFileWatcher } from './dtab-file.js'
export { InterpreterError, type InterpreterErrorCode } from './errors.js'
export { LocalInterpreter, type LocalInterpreterOptions } from './local-interpreter.js'
export { NamerdAddrs, parseAddrLine } from './namerd-addr.js'
export { WATCHER_ID_HEADER } from './namerd-http.js'
export {
  NamerdInterpreter,
  type NamerdInterpreterOptions,
  parseDtabLine,
} from './namerd-interpreter.js'
export {
  applyTransformers,
  type DaemonSetSource,
  type DaemonSetTarget,
  type DaemonSetWatch,
  makeTransformers,
  TransformedInterpreter,
  TransformerConfig,
  TransformerError,
  type TransformerOptions,
  TransformersConfig,
} from './transformers/index.js'
export type { Interpreter, InterpreterStatus } from './types.js'
