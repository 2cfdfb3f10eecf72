export { LATENCY_BOUNDS_MS, LatencyHistogram } from './latency.js'
export { metricsJson, subtree } from './metrics-json.js'
export { createRegistry, type RouterView } from './registry.js'
export { OVERFLOW, type RouteCacheView, RouterStats, ScopeFamily, ScopeStats } from './scopes.js'
