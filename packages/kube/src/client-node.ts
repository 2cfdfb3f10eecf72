// The one place @switchyard/kube loads @kubernetes/client-node, so that loading it leaves
// globalThis.fetch as it was (node-fetch-guard.ts says why). The guard is imported first:
// module dependencies are evaluated in the order they are declared.
import { restoreNodeFetchDispatcher } from './node-fetch-guard.js'

export {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  type RequestContext,
  Watch,
} from '@kubernetes/client-node'

restoreNodeFetchDispatcher()
