// @switchyard/dtab: the dtab language, exact to Finagle. Pure and synchronous; no I/O.
export { type BindOptions, bind, MAX_DEPTH } from './bind.js'
export {
  DelegateMaxDepthError,
  type DelegateOptions,
  type DelegateTree,
  type DelegateWeighted,
  delegate,
  delegateToNameTree,
  simplifyDelegateTree,
} from './delegate.js'
export { type AddrOf, delegateTreeJson } from './delegate-json.js'
export { Dentry, Prefix } from './dentry.js'
export { type DentryJson, Dtab } from './dtab.js'
export {
  DtabError,
  type DtabErrorCode,
  DtabJsonError,
  DtabParseError,
  renderParseError,
} from './errors.js'
export {
  BindWorkLimitError,
  MAX_BIND_NESTING,
  MAX_BIND_WORK,
  MAX_NESTING,
  NODE_STEPS,
  type Work,
  type WorkLimits,
} from './limits.js'
export { NameTree } from './name-tree.js'
export {
  type Bound,
  bound,
  globalNamer,
  inetAddress,
  interpreterLookup,
  type Lookup,
  type MountedNamer,
  type Name,
  type Namer,
  NamerFailedError,
  NamerMaxDepthError,
  namersLookup,
  pathName,
  UnknownNamerError,
} from './namer.js'
export { elemText, Path, showElem, utf8Elem } from './path.js'
export {
  compilePicker,
  type Pick,
  type Picker,
  pick,
  type Random,
  weightedIndex,
} from './pick.js'
export type { PrefixElem, Weighted } from './types.js'
export { AnyElem } from './types.js'
export { formatWeight, javaDouble } from './weight.js'
