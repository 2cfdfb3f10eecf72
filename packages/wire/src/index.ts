// @switchyard/wire: what crosses between Switchyard's programs, defined once. namerd's HTTP API
// as zod schemas (namerd writes them and re-exports them; namerctl and the proxy read them),
// and the two texts every program writes alike: an address and an error. zod is its only
// dependency, so the standalone namerctl bundles it without namerd's server dependencies
// (docs/decisions.md §6).
export { AddrJson, WEIGHT_KEY } from './addr.js'
export { type IndexEntry, indexPage } from './admin-index.js'
export {
  NamespaceOverview,
  Overview,
  Traffic,
  TrafficDestination,
  TrafficService,
  Whoami,
} from './dashboard.js'
export { type BoundJson, DelegateNode } from './delegate.js'
export { DentryJson, DtabJson, NamespaceList } from './dtab-json.js'
export { editDistance } from './edit-distance.js'
export { ErrorBody } from './error-body.js'
export { errorMessage } from './error-message.js'
export { History, HistoryEntry } from './history.js'
export { hostPort } from './host-port.js'
export {
  ClientSnapshot,
  LATENCY_BOUNDS_MS,
  ProxySnapshot,
  quantileOfBuckets,
} from './metrics-snapshot.js'
export {
  ProxyConfirmation,
  ProxyRouter,
  ProxyRouters,
  ProxyStatus,
  ProxyStatusAll,
} from './proxy-status.js'
export {
  ExpectedStatus,
  FailedCheck,
  isTerminal,
  MAX_ROLLOUT_EVENTS,
  MetricsSourceSpec,
  ROLLOUT_DEFAULTS,
  ROLLOUT_ID,
  Rollout,
  RolloutAction,
  RolloutActionBody,
  RolloutEvent,
  RolloutHistoryEntry,
  RolloutIntent,
  RolloutList,
  RolloutPause,
  RolloutPhase,
  RolloutRequest,
  RolloutSpec,
  RolloutStartBody,
  RolloutSummary,
  Smoke,
  StepRecord,
  StepVerdict,
  specOfStart,
  TERMINAL_PHASES,
  Thresholds,
  VersionStats,
} from './rollout.js'
export { Watcher, Watchers } from './watchers.js'
