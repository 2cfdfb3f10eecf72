// Request → logical name (namerd-wire.md §5.1).
export { BoundedCache } from './bounded-cache.js'
export {
  createIdentifier,
  HeaderIdentifierConfig,
  HeaderTokenIdentifierConfig,
  IdentifierConfig,
  identifierFor,
  MethodAndHostIdentifierConfig,
  PathIdentifierConfig,
  StaticIdentifierConfig,
} from './config.js'
export { type HeaderPathOptions, headerPathIdentifier } from './header-path.js'
export { type HeaderSegmentsOptions, headerSegmentsIdentifier } from './header-segments.js'
export { type HeaderTokenOptions, headerTokenIdentifier } from './header-token.js'
export {
  type MethodAndHostOptions,
  methodAndHostIdentifier,
  uriSegments,
} from './method-and-host.js'
export { type PathIdentifierOptions, pathIdentifier } from './path.js'
export { staticIdentifier } from './static.js'
export {
  headerValue,
  type Identified,
  type Identifier,
  type RequestLike,
  unidentified,
} from './types.js'
