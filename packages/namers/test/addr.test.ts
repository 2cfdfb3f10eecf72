import t from 'tap'
import { Addr, AddrJson } from '../src/addr.js'

t.test("JSON is namerd's, byte for byte", async (t) => {
  t.equal(
    Addr.toJson(Addr.bound([{ ip: '127.0.0.1', port: 9990, meta: {} }])),
    '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":9990,"meta":{}}],"meta":{}}',
  )
  t.equal(Addr.toJson(Addr.neg), '{"type":"neg"}')
  t.equal(Addr.toJson(Addr.pending), '{"type":"pending"}')
  t.equal(
    Addr.toJson(Addr.failed('world:3: bad "line"')),
    '{"type":"failed","cause":"world:3: bad \\"line\\""}',
  )
  t.equal(Addr.toJson(Addr.bound([])), '{"type":"bound","addrs":[],"meta":{}}')
})

t.test('an endpoint weight is written as a Java double, as Jackson does', async (t) => {
  const addr = Addr.bound([
    { ip: '10.0.0.1', port: 80, meta: { endpoint_addr_weight: 2 } },
    { ip: '10.0.0.2', port: 80, meta: { endpoint_addr_weight: 0.23 } },
  ])
  t.equal(
    Addr.toJson(addr),
    '{"type":"bound","addrs":[{"ip":"10.0.0.1","port":80,"meta":{"endpoint_addr_weight":2.0}},' +
      '{"ip":"10.0.0.2","port":80,"meta":{"endpoint_addr_weight":0.23}}],"meta":{}}',
  )
})

t.test('the JSON reads back to the same Addr', async (t) => {
  const addrs: Addr[] = [
    Addr.bound([
      { ip: '10.0.0.1', port: 80, meta: { endpoint_addr_weight: 2 } },
      { ip: '::1', port: 8080, meta: { nodeName: 'node-a' } },
    ]),
    Addr.bound([], { authority: 'world' }),
    Addr.neg,
    Addr.pending,
    Addr.failed('no'),
  ]
  for (const a of addrs) t.same(Addr.fromJson(JSON.parse(Addr.toJson(a))), a, Addr.toJson(a))
})

t.test('reading accepts a bound addr without meta and refuses what is not an addr', async (t) => {
  t.same(Addr.fromJson({ type: 'bound', addrs: [{ ip: '127.0.0.1', port: 1 }] }), {
    type: 'bound',
    addrs: [{ ip: '127.0.0.1', port: 1, meta: {} }],
    meta: {},
  })
  t.throws(() => Addr.fromJson({ type: 'bound' }))
  t.throws(() => Addr.fromJson({ type: 'failed' }))
  t.throws(() => Addr.fromJson({ type: 'sideways' }))
  t.throws(() =>
    Addr.fromJson({ type: 'bound', addrs: [{ ip: '127.0.0.1', port: 70000, meta: {} }] }),
  )
  t.equal(AddrJson.safeParse({ type: 'neg' }).success, true)
})

t.test('addrs are a set: duplicates drop, and order does not matter for equality', async (t) => {
  const a = { ip: '10.0.0.1', port: 80, meta: {} }
  const b = { ip: '10.0.0.2', port: 80, meta: { endpoint_addr_weight: 1 } }
  const deduped = Addr.bound([a, a, b])
  t.equal(deduped.type === 'bound' && deduped.addrs.length, 2)
  t.ok(Addr.equals(Addr.bound([a, b]), Addr.bound([b, a])))
  t.notOk(Addr.equals(Addr.bound([a]), Addr.bound([b])))
  t.notOk(Addr.equals(Addr.bound([a]), Addr.bound([a], { authority: 'x' })))
  t.ok(Addr.equals(Addr.failed('x'), Addr.failed('x')))
  t.notOk(Addr.equals(Addr.failed('x'), Addr.failed('y')))
  t.notOk(Addr.equals(Addr.neg, Addr.pending))
})

t.test('show is short and readable', async (t) => {
  t.equal(
    Addr.show(
      Addr.bound([
        { ip: '10.0.0.1', port: 80, meta: {} },
        { ip: '::1', port: 81, meta: {} },
      ]),
    ),
    'Bound(10.0.0.1:80, [::1]:81)',
  )
  t.equal(Addr.show(Addr.failed('boom')), 'Failed(boom)')
})
