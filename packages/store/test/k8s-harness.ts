// The Kubernetes store on the fake API server: one fresh fake per store (so every test starts
// empty), with the real CRDs from deploy/crd, which the fake prunes with.
import { fileURLToPath } from 'node:url'
import { FakeKubeApi } from '@switchyard/kube-fake'
import {
  K8S_NAMESPACE_RULE,
  type K8sStore,
  type K8sStoreOptions,
  openK8sStore,
} from '../src/index.js'
import type { Harness, HarnessOptions } from './contract.js'

export const CRD_DIR = fileURLToPath(new URL('../../../deploy/crd', import.meta.url))

/** Fast enough for tests: backoff from 20 ms to 200 ms. */
export const FAST: Partial<K8sStoreOptions> = {
  backoff: { initialMs: 20, maxMs: 200 },
}

export async function startFake(options: Parameters<typeof FakeKubeApi.start>[0] = {}) {
  const api = await FakeKubeApi.start(options)
  await api.installCrdsFrom(CRD_DIR)
  return api
}

export function openOn(
  api: FakeKubeApi,
  options: Partial<K8sStoreOptions> = {},
): Promise<K8sStore> {
  return openK8sStore({
    connection: { kind: 'url', url: api.url },
    namespace: 'default',
    ...FAST,
    ...options,
  })
}

export async function k8sHarness(
  options: HarnessOptions = {},
): Promise<Harness & { api: FakeKubeApi }> {
  const api = await startFake()
  const open = () => openOn(api, options)
  return {
    api,
    store: await open(),
    spec: `k8s:${api.url}`,
    reopen: open,
    exitsWithoutClose: false,
    namespaces: {
      rule: K8S_NAMESPACE_RULE.text,
      bad: ['A', 'Web', 'a_b', '-a', 'a-', 'a..b', '.a', 'a.', '...', '.hidden', 'a.-b'],
      good: ['a', 'a-b.c-d', '9', '0.1', 'x'.repeat(253)],
    },
    async corrupt(namespace) {
      // Dentries the API server keeps (they fit the CRD) but that are no dtab.
      api.put({
        apiVersion: 'l5d.io/v1alpha1',
        kind: 'DTab',
        metadata: { name: namespace, namespace: 'default' },
        dentries: [{ prefix: 'not a path', dst: '/x' }],
      })
    },
    async cleanup() {
      await api.close()
    },
  }
}
