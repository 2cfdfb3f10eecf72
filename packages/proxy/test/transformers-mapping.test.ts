// The Kubernetes transformers' addr mappings, pure: which endpoints localnode keeps and which
// daemonset proxies an addr becomes, with Linkerd's own test cases and properties over random
// endpoint sets and node layouts.
import { Addr, type Endpoint } from '@switchyard/namers'
import fc from 'fast-check'
import t from 'tap'
import {
  byNodeName,
  bySubnet,
  ipv4,
  keepLocal,
  sameSubnet24,
  viaGateways,
} from '../src/interpret/transformers/index.js'

const ep = (ip: string, port: number, meta: Record<string, unknown> = {}): Endpoint => ({
  ip,
  port,
  meta,
})
const bound = (...addrs: Endpoint[]) => Addr.bound(addrs)
const onNode = (ip: string, port: number, nodeName: string) => ep(ip, port, { nodeName })

t.test('IPv4 /24: what counts as the same subnet', async (t) => {
  t.equal(ipv4('10.1.2.3'), 10 * 2 ** 24 + 1 * 2 ** 16 + 2 * 256 + 3)
  t.ok(sameSubnet24('10.1.2.3', '10.1.2.250'))
  t.notOk(sameSubnet24('10.1.2.3', '10.1.3.3'), 'the third byte differs')
  t.notOk(sameSubnet24('10.1.2.3', '11.1.2.3'))
  t.ok(sameSubnet24('::ffff:10.1.2.3', '10.1.2.9'), 'an IPv4-mapped IPv6 address is its IPv4')
  t.notOk(sameSubnet24('fd00::1', 'fd00::2'), 'IPv6 is never on the same /24 (Linkerd)')
  t.notOk(sameSubnet24('10.1.2.3', 'fd00::2'))
  for (const bad of ['10.1.2', '10.1.2.256', '010.1.2.3', 'a.b.c.d', '', 'localhost', '1.2.3.4 ']) {
    t.equal(ipv4(bad), undefined, `"${bad}" is not an IPv4 address`)
  }
})

t.test(
  'localnode keeps the endpoints on this node (Linkerd LocalnodeTransformerTest)',
  async (t) => {
    const here = bySubnet(ep('1.1.1.1', 0))
    const subnet = keepLocal(
      bound(ep('1.1.1.2', 8888), ep('1.1.1.3', 8888), ep('1.1.2.2', 8888), ep('1.1.2.3', 8888)),
      (e) => bySubnet(e) === here,
    )
    t.ok(Addr.equals(subnet, bound(ep('1.1.1.2', 8888), ep('1.1.1.3', 8888))), 'by POD_IP /24')

    const byName = keepLocal(
      bound(
        onNode('1.1.1.1', 8888, '7.7.7.7'),
        onNode('1.1.1.2', 8888, '7.7.7.7'),
        onNode('1.1.1.3', 8888, '7.7.7.8'),
        onNode('1.1.1.4', 8888, '7.7.7.8'),
      ),
      (e) => byNodeName(e) === '7.7.7.7',
    )
    t.ok(
      Addr.equals(
        byName,
        bound(onNode('1.1.1.1', 8888, '7.7.7.7'), onNode('1.1.1.2', 8888, '7.7.7.7')),
      ),
      'by nodeName with hostNetwork',
    )
    t.same(
      keepLocal(bound(ep('1.1.1.1', 80)), (e) => byNodeName(e) === 'n1'),
      Addr.neg,
      'an endpoint without a nodeName is on no node',
    )
  },
)

t.test('localnode: nothing left is Neg; other addrs pass unchanged', async (t) => {
  t.same(
    keepLocal(bound(ep('10.0.1.5', 80)), () => false),
    Addr.neg,
  )
  t.same(
    keepLocal(Addr.bound([]), () => true),
    Addr.neg,
    'an empty set is Neg too, as Linkerd',
  )
  for (const a of [Addr.neg, Addr.pending, Addr.failed('boom')]) {
    t.equal(
      keepLocal(a, () => false),
      a,
      Addr.show(a),
    )
  }
  const meta = { authority: 'world' }
  const kept = keepLocal(Addr.bound([ep('10.0.1.5', 80), ep('10.0.2.5', 80)], meta), (e) =>
    e.ip.startsWith('10.0.1.'),
  )
  t.same(kept.type === 'bound' && kept.meta, meta, 'the addr meta is kept')
})

const DAEMONSET = bound(ep('1.1.1.1', 4141), ep('1.1.2.1', 4141), ep('1.1.3.1', 4141))

t.test(
  'daemonset: each endpoint becomes the proxy on its /24 (Linkerd DaemonSetTransformerTest)',
  async (t) => {
    for (const [dest, proxy] of [
      ['1.1.1.55', '1.1.1.1'],
      ['1.1.2.55', '1.1.2.1'],
      ['1.1.3.55', '1.1.3.1'],
    ] as const) {
      const out = viaGateways(bound(ep(dest, 8888)), DAEMONSET, bySubnet, 'default/l5d')
      t.ok(Addr.equals(out, bound(ep(proxy, 4141))), `${dest} → ${proxy}`)
    }
    t.same(
      viaGateways(bound(ep('1.1.4.55', 8888)), DAEMONSET, bySubnet, 'default/l5d'),
      Addr.neg,
      'no proxy on its node: Neg',
    )
  },
)

t.test('daemonset with hostNetwork matches proxies by nodeName', async (t) => {
  const proxies = bound(
    onNode('7.7.7.1', 4141, 'n1'),
    onNode('7.7.7.2', 4141, 'n2'),
    onNode('7.7.7.3', 4141, 'n3'),
  )
  for (const node of ['n1', 'n2', 'n3']) {
    const out = viaGateways(bound(onNode('1.1.1.55', 8888, node)), proxies, byNodeName, 'l5d')
    t.ok(
      Addr.equals(out, bound(onNode(`7.7.7.${node.slice(1)}`, 4141, node))),
      `an endpoint on ${node} goes to ${node}'s proxy, whatever its IP`,
    )
  }
  t.same(
    viaGateways(bound(ep('1.1.1.55', 8888)), proxies, byNodeName, 'l5d'),
    Addr.neg,
    'an endpoint whose node is unknown has no proxy',
  )
})

t.test(
  'daemonset: endpoints without a proxy are dropped, shared proxies appear once',
  async (t) => {
    const out = viaGateways(
      Addr.bound([ep('1.1.1.10', 80), ep('1.1.1.11', 80), ep('1.1.9.10', 80)], { authority: 'w' }),
      DAEMONSET,
      bySubnet,
      'l5d',
    )
    t.same(out, Addr.bound([ep('1.1.1.1', 4141)], { authority: 'w' }))
  },
)

t.test("daemonset: the daemonset's own state decides when it is not bound", async (t) => {
  const dest = bound(ep('1.1.1.10', 80))
  t.same(viaGateways(dest, Addr.pending, bySubnet, 'l5d'), Addr.pending, 'waits for the proxies')
  t.same(
    viaGateways(dest, Addr.neg, bySubnet, 'default/l5d port incoming'),
    Addr.failed(
      "the daemonset default/l5d port incoming does not exist (no such Service in that namespace, or no such port on it): check the transformer's namespace, service and port keys",
    ),
    'no such daemonset: every name fails, saying why (Linkerd: Neg, read as no such name)',
  )
  t.same(
    viaGateways(dest, Addr.failed('forbidden'), bySubnet, 'default/l5d port incoming'),
    Addr.failed('the daemonset default/l5d port incoming: forbidden'),
  )
  for (const a of [Addr.neg, Addr.pending, Addr.failed('boom')]) {
    t.equal(viaGateways(a, DAEMONSET, bySubnet, 'l5d'), a, `a destination ${Addr.show(a)} passes`)
  }
})

// Random clusters: a few nodes, each its own /24 (10.0.<node>.x) and name (node-<n>).
const NODES = 5
const endpointArb = (ports: fc.Arbitrary<number>) =>
  fc
    .record({
      node: fc.integer({ min: 0, max: NODES - 1 }),
      host: fc.integer({ min: 1, max: 254 }),
      port: ports,
      named: fc.boolean(),
    })
    .map(({ node, host, port, named }) =>
      ep(`10.0.${node}.${host}`, port, named ? { nodeName: `node-${node}` } : {}),
    )
const destArb = fc.array(endpointArb(fc.integer({ min: 1, max: 3 })), { maxLength: 12 })
const proxiesArb = fc.array(endpointArb(fc.constant(4141)), { maxLength: 8 })
const keyArb = fc.constantFrom(
  { name: 'subnet', key: bySubnet },
  { name: 'nodeName', key: byNodeName },
)

const key = (e: Endpoint) => JSON.stringify([e.ip, e.port, e.meta])

t.test('daemonset properties over random node layouts', async (t) => {
  fc.assert(
    fc.property(destArb, proxiesArb, keyArb, (dest, proxies, { key: nodeOf }) => {
      const out = viaGateways(Addr.bound(dest), Addr.bound(proxies), nodeOf, 'l5d')
      const proxyKeys = new Set(proxies.map(key))
      // The proxies on nodes that hold a destination endpoint.
      const served = new Set(dest.map(nodeOf).filter((k) => k !== undefined))
      const expected = proxies.filter((p) => {
        const k = nodeOf(p)
        return k !== undefined && served.has(k)
      })
      if (expected.length === 0) return out.type === 'neg'
      if (out.type !== 'bound') return false
      const outKeys = out.addrs.map(key)
      return (
        outKeys.every((k) => proxyKeys.has(k)) && // only daemonset endpoints
        new Set(outKeys).size === outKeys.length && // no duplicates
        Addr.equals(out, Addr.bound(expected)) // exactly the proxies on the destination's nodes
      )
    }),
    { numRuns: 500 },
  )
  t.pass('output ⊆ proxies, no duplicates, exactly the proxies of the nodes served')
})

t.test('daemonset and localnode do not depend on the order of endpoints', async (t) => {
  fc.assert(
    fc.property(
      destArb,
      proxiesArb,
      keyArb,
      fc.nat(),
      fc.nat(),
      (dest, proxies, { key: nodeOf }, s1, s2) => {
        const shuffle = <T>(xs: T[], seed: number) =>
          xs
            .map((x, i) => ({ x, k: (i * 2654435761 + seed) % 1000003 }))
            .sort((a, b) => a.k - b.k)
            .map((p) => p.x)
        const a = viaGateways(Addr.bound(dest), Addr.bound(proxies), nodeOf, 'l5d')
        const b = viaGateways(
          Addr.bound(shuffle(dest, s1)),
          Addr.bound(shuffle(proxies, s2)),
          nodeOf,
          'l5d',
        )
        const here = nodeOf(proxies[0] ?? ep('10.0.0.1', 1, { nodeName: 'node-0' }))
        const local = (e: Endpoint) => nodeOf(e) === here
        const c = keepLocal(Addr.bound(dest), local)
        const d = keepLocal(Addr.bound(shuffle(dest, s1)), local)
        return Addr.equals(a, b) && Addr.equals(c, d)
      },
    ),
    { numRuns: 300 },
  )
  t.pass('the same sets in any order give the same result')
})

t.test('localnode properties: a subset, all local, Neg exactly when none is', async (t) => {
  fc.assert(
    fc.property(
      destArb,
      keyArb,
      fc.integer({ min: 0, max: NODES - 1 }),
      (dest, { key: nodeOf }, n) => {
        const here = nodeOf(ep(`10.0.${n}.1`, 1, { nodeName: `node-${n}` }))
        const local = (e: Endpoint) => nodeOf(e) === here
        const out = keepLocal(Addr.bound(dest), local)
        const expected = dest.filter(local)
        if (expected.length === 0) return out.type === 'neg'
        return (
          out.type === 'bound' && out.addrs.every(local) && Addr.equals(out, Addr.bound(expected))
        )
      },
    ),
    { numRuns: 500 },
  )
  t.pass()
})
