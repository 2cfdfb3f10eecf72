// @switchyard/kube: talking to the Kubernetes API, shared by the CRD store and the k8s namer:
// where the API server is (KubeConnection), what its errors mean (KubeError), and the
// list-then-watch loop (reflect) that keeps a cache of objects in step with the server.
export { Backoff, type BackoffOptions, sleep } from './backoff.js'
export {
  describeConnection,
  type KubeConnection,
  type KubeEnvironment,
  type ResolvedConnection,
  resolveConnection,
  SERVICE_ACCOUNT_DIR,
} from './connection.js'
export {
  errorFromResponse,
  isKubeError,
  KubeError,
  type KubeErrorCode,
  type KubeErrorInfo,
  networkProblem,
  parseStatus,
  Status,
  toKubeError,
} from './errors.js'
export {
  DEFAULT_REQUEST_TIMEOUT_MS,
  type Kube,
  type KubeOptions,
  type ListQuery,
  type ObjectClient,
  openKube,
} from './kube.js'
export {
  type Change,
  KubeObject,
  type ReflectHealth,
  type ReflectOptions,
  Reflector,
  type ReflectProblem,
  reflect,
} from './reflect.js'
export {
  apiVersion,
  describeRequest,
  type KubeRequest,
  type Resource,
  resourceName,
  resourcePath,
  type Verb,
} from './resource.js'
export { MAX_RETRIES, MAX_RETRY_WAIT_MS, retryAfterMs } from './retry-after.js'
