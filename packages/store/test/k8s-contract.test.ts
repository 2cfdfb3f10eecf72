// The Kubernetes CRD store passes the same contract as memory, file and etcd, against the fake
// API server.
import { storeContract } from './contract.js'
import { k8sHarness } from './k8s-harness.js'

storeContract('k8s', k8sHarness)
