import { isIP } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import { Addr } from '../src/addr.js'
import { endpointsAddr, servicePortName } from '../src/k8s/endpoints.js'
import { EndpointSlice, Service } from '../src/k8s/objects.js'

const service = (ports: unknown[], extra: Record<string, unknown> = {}): Service =>
  Service.parse({ metadata: { name: 'web' }, spec: { ports, ...extra } })

const slice = (name: string, body: Record<string, unknown>): EndpointSlice =>
  EndpointSlice.parse({ metadata: { name }, addressType: 'IPv4', ...body })

const ep = (ip: string, more: Record<string, unknown> = {}) => ({ addresses: [ip], ...more })

const web = service([
  { name: 'http', port: 80, targetPort: 8080 },
  { name: 'admin', port: 9990, targetPort: 'admin' },
  { name: 'dns', port: 53, protocol: 'UDP' },
])
const shown = (a: Addr) => Addr.show(a)

t.test('a port name or number picks the Service port; UDP ports and others are Neg', async (t) => {
  t.equal(servicePortName(web, { type: 'name', name: 'http' }), 'http')
  t.equal(servicePortName(web, { type: 'number', number: 80 }), 'http')
  t.equal(servicePortName(web, { type: 'number', number: 9990 }), 'admin')
  t.equal(
    servicePortName(web, { type: 'number', number: 8080 }),
    undefined,
    'a target port is not a Service port',
  )
  t.equal(servicePortName(web, { type: 'name', name: 'dns' }), undefined)
  t.equal(servicePortName(web, { type: 'name', name: 'grpc' }), undefined)
  t.equal(
    servicePortName(service([{ port: 80 }]), { type: 'number', number: 80 }),
    '',
    'one unnamed port',
  )
  t.same(endpointsAddr(web, [], { type: 'name', name: 'grpc' }), Addr.neg)
})

t.test('ready endpoints of every slice, at the port the slice gives the name', async (t) => {
  const a = slice('web-a', {
    ports: [
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'admin', port: 9990 },
    ],
    endpoints: [
      ep('10.0.0.1', { conditions: { ready: true }, nodeName: 'node-1', zone: 'z1' }),
      ep('10.0.0.2', { conditions: { ready: false }, nodeName: 'node-1' }),
      ep('10.0.0.3', { conditions: {} }), // ready nil = ready
      ep('10.0.0.4'),
    ],
  })
  // Pods whose named container port has another number land in another slice.
  const b = slice('web-b', {
    ports: [{ name: 'http', port: 8081 }],
    endpoints: [ep('10.0.1.1', { nodeName: 'node-2' })],
  })
  const http = endpointsAddr(web, [b, a], { type: 'name', name: 'http' })
  t.equal(
    Addr.toJson(http),
    '{"type":"bound","addrs":[' +
      '{"ip":"10.0.0.1","port":8080,"meta":{"nodeName":"node-1","zone":"z1"}},' +
      '{"ip":"10.0.0.3","port":8080,"meta":{}},' +
      '{"ip":"10.0.0.4","port":8080,"meta":{}},' +
      '{"ip":"10.0.1.1","port":8081,"meta":{"nodeName":"node-2"}}],"meta":{}}',
  )
  t.equal(
    shown(endpointsAddr(web, [a, b], { type: 'number', number: 9990 })),
    'Bound(10.0.0.1:9990, 10.0.0.3:9990, 10.0.0.4:9990)',
  )
})

t.test('a terminating pod, as the EndpointSlice controller writes it, is not ready', async (t) => {
  // kube-controller-manager 1.26+: a pod being deleted stays in its slice with serving (its
  // readiness) and terminating set, and ready false; Linkerd's Endpoints had dropped it.
  const a = slice('web-a', {
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [
      ep('10.0.0.1', { conditions: { ready: true, serving: true, terminating: false } }),
      ep('10.0.0.2', { conditions: { ready: false, serving: true, terminating: true } }),
      ep('10.0.0.3', { conditions: { ready: false, serving: false, terminating: true } }),
      ep('10.0.0.4', { conditions: { serving: true } }), // ready nil = ready
    ],
  })
  t.equal(
    shown(endpointsAddr(web, [a], { type: 'name', name: 'http' })),
    'Bound(10.0.0.1:8080, 10.0.0.4:8080)',
  )
})

t.test('an endpoint in two slices counts once, by address and port', async (t) => {
  const a = slice('web-a', {
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [ep('10.0.0.1'), ep('10.0.0.2')],
  })
  const b = slice('web-b', {
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [ep('10.0.0.2', { nodeName: 'n' }), ep('10.0.0.3')],
  })
  const addr = endpointsAddr(web, [b, a], { type: 'name', name: 'http' })
  t.equal(shown(addr), 'Bound(10.0.0.1:8080, 10.0.0.2:8080, 10.0.0.3:8080)')
  t.equal(addr.type === 'bound' ? addr.addrs.length : 0, 3)
})

t.test("kube-proxy's rules: first address, ports need a name and a number", async (t) => {
  const s = slice('web-a', {
    ports: [{ port: 8080 }, { name: 'http', port: 0 }, { name: 'http', port: null }],
    endpoints: [ep('10.0.0.1')],
  })
  t.same(endpointsAddr(web, [s], { type: 'name', name: 'http' }), Addr.bound([]), 'no usable port')
  const two = slice('web-b', {
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [
      { addresses: ['10.0.0.5', '10.0.0.6'] },
      { addresses: [] },
      { addresses: ['not-an-ip'] },
    ],
  })
  t.equal(shown(endpointsAddr(web, [two], { type: 'name', name: 'http' })), 'Bound(10.0.0.5:8080)')
})

t.test('a Service with no ready endpoints is bound to nothing, not Neg', async (t) => {
  t.same(endpointsAddr(web, [], { type: 'name', name: 'http' }), Addr.bound([]))
  const down = slice('web-a', {
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [ep('10.0.0.1', { conditions: { ready: false } })],
  })
  t.same(endpointsAddr(web, [down], { type: 'name', name: 'http' }), Addr.bound([]))
})

t.test("the Service's primary address family only; FQDN slices never", async (t) => {
  const v4 = slice('web-v4', { ports: [{ name: 'http', port: 8080 }], endpoints: [ep('10.0.0.1')] })
  const v6 = EndpointSlice.parse({
    metadata: { name: 'web-v6' },
    addressType: 'IPv6',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [ep('fd00::1')],
  })
  const fqdn = EndpointSlice.parse({
    metadata: { name: 'web-fqdn' },
    addressType: 'FQDN',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [ep('web.example.com')],
  })
  const http = { type: 'name', name: 'http' } as const
  const dual = service([{ name: 'http', port: 80 }], { ipFamilies: ['IPv6', 'IPv4'] })
  t.equal(shown(endpointsAddr(dual, [v4, v6, fqdn], http)), 'Bound([fd00::1]:8080)')
  t.equal(
    shown(endpointsAddr(web, [v4, v6, fqdn], http)),
    'Bound(10.0.0.1:8080, [fd00::1]:8080)',
    'unsaid: both',
  )
})

t.test(
  'merging, for any slices: ready endpoints only, each address:port once, order of slices irrelevant',
  async (t) => {
    const ip = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', 'fd00::1', 'bogus', '')
    const arbSlice = fc.record({
      name: fc.constantFrom('a', 'b', 'c', 'd'),
      addressType: fc.constantFrom('IPv4', 'IPv6', 'FQDN'),
      ports: fc.array(
        fc.record({
          name: fc.option(fc.constantFrom('http', 'admin', ''), { nil: null }),
          port: fc.option(fc.integer({ min: -1, max: 70_000 }), { nil: null }),
          protocol: fc.constantFrom('TCP', 'UDP', null),
        }),
        { maxLength: 3 },
      ),
      endpoints: fc.array(
        fc.record({
          addresses: fc.array(ip, { maxLength: 2 }),
          conditions: fc.record({ ready: fc.constantFrom(true, false, null, undefined) }),
        }),
        { maxLength: 5 },
      ),
    })
    const ref = { type: 'name', name: 'http' } as const
    fc.assert(
      fc.property(fc.array(arbSlice, { maxLength: 5 }), (raw) => {
        const slices = raw.map((s) => EndpointSlice.parse({ ...s, metadata: { name: s.name } }))
        const addr = endpointsAddr(web, slices, ref)
        if (addr.type !== 'bound') return false
        const keys = addr.addrs.map((e) => `${e.ip} ${e.port}`)
        if (new Set(keys).size !== keys.length) return false
        for (const e of addr.addrs) {
          const from = slices.some(
            (s) =>
              s.addressType !== 'FQDN' &&
              (s.ports ?? []).some(
                (p) => p.name === 'http' && p.port === e.port && p.protocol !== 'UDP',
              ) &&
              (s.endpoints ?? []).some(
                (x) => x.addresses[0] === e.ip && x.conditions?.ready !== false,
              ),
          )
          if (!from || e.port < 1 || e.port > 65535) return false
        }
        // ...and every ready endpoint of a usable slice is there.
        for (const s of slices) {
          if (s.addressType === 'FQDN') continue
          const port = (s.ports ?? []).find(
            (p) =>
              p.name === 'http' &&
              p.protocol !== 'UDP' &&
              typeof p.port === 'number' &&
              p.port >= 1 &&
              p.port <= 65535,
          )?.port
          if (port === undefined) continue
          for (const x of s.endpoints ?? []) {
            const first = x.addresses[0]
            if (x.conditions?.ready === false || first === undefined || isIP(first) === 0) continue
            if (!keys.includes(`${first} ${port}`)) return false
          }
        }
        return Addr.equals(addr, endpointsAddr(web, [...slices].reverse(), ref))
      }),
    )
    t.pass('checked on random slices')
  },
)
