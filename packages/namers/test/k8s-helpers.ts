// Helpers for the io.l5d.k8s tests: Services and EndpointSlices as the API server holds them,
// a fake API server per test, and a namer on it.
import { Path } from '@switchyard/dtab'
import { FakeKubeApi, type JsonObject } from '@switchyard/kube-fake'
import { Addr } from '../src/addr.js'
import { K8sNamer, type K8sNamerOptions } from '../src/k8s/namer.js'
import type { Var } from '../src/var.js'
import { eventually, type Teardown } from './helpers.js'

export interface ServicePortSpec {
  readonly name?: string
  readonly port: number
  readonly targetPort?: number | string
  readonly protocol?: string
}

export function service(
  name: string,
  ports: readonly ServicePortSpec[],
  options: { namespace?: string; labels?: Record<string, string> } = {},
): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      ...(options.labels === undefined ? {} : { labels: options.labels }),
    },
    spec: { ports: ports.map((p): JsonObject => ({ protocol: 'TCP', ...p })) },
  }
}

export interface EndpointSpec {
  readonly ip: string
  readonly ready?: boolean | null
  readonly nodeName?: string
  readonly zone?: string
}

/** An endpoint: a bare IP is ready; `!ip` is not ready. */
function endpoint(e: string | EndpointSpec): JsonObject {
  const spec: EndpointSpec =
    typeof e === 'string' ? (e.startsWith('!') ? { ip: e.slice(1), ready: false } : { ip: e }) : e
  return {
    addresses: [spec.ip],
    conditions: spec.ready === undefined ? {} : { ready: spec.ready },
    ...(spec.nodeName === undefined ? {} : { nodeName: spec.nodeName }),
    ...(spec.zone === undefined ? {} : { zone: spec.zone }),
  }
}

export function slice(
  name: string,
  serviceName: string,
  endpoints: readonly (string | EndpointSpec)[],
  options: {
    namespace?: string
    ports?: readonly { name?: string; port: number; protocol?: string }[]
    labels?: Record<string, string>
    addressType?: string
  } = {},
): JsonObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: options.namespace ?? 'default',
      labels: {
        'kubernetes.io/service-name': serviceName,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        ...options.labels,
      },
    },
    addressType: options.addressType ?? 'IPv4',
    endpoints: endpoints.map(endpoint),
    ports: (options.ports ?? [{ name: 'http', port: 8080 }]).map(
      (p): JsonObject => ({ protocol: 'TCP', ...p }),
    ),
  }
}

export async function startApi(t: Teardown): Promise<FakeKubeApi> {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  return api
}

export async function openNamer(
  t: Teardown,
  api: FakeKubeApi,
  options: Partial<K8sNamerOptions> = {},
): Promise<K8sNamer> {
  const namer = await K8sNamer.open({ connection: { kind: 'url', url: api.url }, ...options })
  t.teardown(() => namer.close())
  return namer
}

/** Subscribes to the addr of `id` (e.g. `/default/http/web`) for the rest of the test. */
export function watch(t: Teardown, namer: K8sNamer, id: string): Var<Addr> {
  const v = namer.addr(Path.read(id))
  t.teardown(v.subscribe(() => {}))
  return v
}

export const shown = (v: Var<Addr>): string => Addr.show(v.sample())

/** Waits (up to 5 s: the machine is shared) until `v` shows `expected`. */
export async function until(v: Var<Addr>, expected: string, ms = 5000): Promise<void> {
  await eventually(`${expected} (now ${shown(v)})`, () => shown(v) === expected, ms)
}

export const WEB = service('web', [
  { name: 'http', port: 80, targetPort: 8080 },
  { name: 'admin', port: 9990, targetPort: 'admin' },
])
