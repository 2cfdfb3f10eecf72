// From a Service and its EndpointSlices to the Addr of one port, by kube-proxy's rules
// (pkg/proxy/endpointslicecache.go): every slice of the Service merged, an endpoint's first
// address, `ready` nil counting as ready, slice ports without a name or a port skipped, and
// duplicates (one address:port in two slices while the controller moves it) counted once.
import { isIP } from 'node:net'
import { Addr, type Endpoint } from '../addr.js'
import type { PortRef } from './names.js'
import type { EndpointSlice, Service } from './objects.js'

const TCP = 'TCP'
const isTcp = (protocol: string | null | undefined): boolean => (protocol ?? TCP) === TCP

/**
 * The name the slices give the Service port `ref` stands for: the port of that name, or the
 * port with that number (Linkerd's numbered ports: the Service port, mapped to its target),
 * which is `''` for a Service's single unnamed port. Undefined when the Service has no such
 * TCP port: the name is Neg.
 */
export function servicePortName(service: Service, ref: PortRef): string | undefined {
  const ports = service.spec?.ports ?? []
  for (const p of ports) {
    if (!isTcp(p.protocol)) continue
    if (ref.type === 'name' ? p.name === ref.name : p.port === ref.number) return p.name ?? ''
  }
  return undefined
}

/**
 * The address families to read. A dual-stack Service has slices of both; as the Endpoints
 * API (which Linkerd read) did, only the Service's primary family counts. A Service that does
 * not say (older servers) takes both.
 */
function families(service: Service): ReadonlySet<string> {
  const primary = service.spec?.ipFamilies?.[0]
  return new Set(primary === 'IPv4' || primary === 'IPv6' ? [primary] : ['IPv4', 'IPv6'])
}

/** The target port a slice gives the port named `name`, or undefined. */
function slicePort(slice: EndpointSlice, name: string): number | undefined {
  for (const p of slice.ports ?? []) {
    // kube-proxy skips a port with a nil name or a nil or zero port number.
    if (p.name === null || p.name === undefined || p.name !== name) continue
    if (!isTcp(p.protocol)) continue
    if (typeof p.port === 'number' && p.port >= 1 && p.port <= 65535) return p.port
  }
  return undefined
}

/**
 * The ready endpoints of the Service's port `ref` across `slices`; Neg when the Service has no
 * such port. Slices are read in name order, so the first of two duplicates is always the same.
 */
export function endpointsAddr(
  service: Service,
  slices: Iterable<EndpointSlice>,
  ref: PortRef,
): Addr {
  const name = servicePortName(service, ref)
  if (name === undefined) return Addr.neg
  const wanted = families(service)
  const ordered = [...slices].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  )
  const seen = new Set<string>()
  const endpoints: Endpoint[] = []
  for (const slice of ordered) {
    if (!wanted.has(slice.addressType)) continue // FQDN slices, or the other family
    const port = slicePort(slice, name)
    if (port === undefined) continue
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false) continue
      const ip = e.addresses[0]
      if (ip === undefined || isIP(ip) === 0) continue
      const key = `${ip} ${port}`
      if (seen.has(key)) continue
      seen.add(key)
      const meta: Record<string, string> = {}
      if (typeof e.nodeName === 'string' && e.nodeName !== '') meta.nodeName = e.nodeName
      if (typeof e.zone === 'string' && e.zone !== '') meta.zone = e.zone
      endpoints.push({ ip, port, meta })
    }
  }
  return Addr.bound(endpoints)
}
