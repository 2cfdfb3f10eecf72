// Overrides and per-request routes: base ++ l5d-ctx-dtab ++ l5d-dtab, bound locally, picked
// per request.
export {
  delegateLeaves,
  type ExplainSource,
  explainJson,
  explainSettled,
  explainTree,
} from './explain.js'
export { Lru } from './lru.js'
export { describeNoRoute, describeRouting } from './no-route.js'
export {
  CTX_DTAB_HEADER,
  ctxDtabValue,
  type DtabHeader,
  DtabHeaderError,
  OverrideParser,
  type Overrides,
  parseOverrides,
  USER_DTAB_HEADER,
} from './overrides.js'
export { availability, type Random, type RouteLeaf } from './picker.js'
export { type NoRouteReason, Route } from './route.js'
export { type Resolved, Routes, type RoutesOptions } from './routes.js'
