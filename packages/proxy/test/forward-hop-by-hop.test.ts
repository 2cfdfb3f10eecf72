import t from 'tap'
import { stripHopByHop } from '../src/forward/hop-by-hop.js'

t.test('hop-by-hop headers and the ones Connection lists are removed', async (t) => {
  const h = stripHopByHop({
    connection: 'keep-alive, X-Foo',
    'x-foo': '1',
    'keep-alive': 'timeout=5',
    'proxy-connection': 'keep-alive',
    'proxy-authorization': 'Basic x',
    'proxy-authenticate': 'Basic',
    te: 'gzip',
    trailer: 'x-checksum',
    'transfer-encoding': 'chunked',
    upgrade: 'websocket',
    host: 'world',
    'x-bar': '2',
  })
  t.same(h, { host: 'world', 'x-bar': '2' })
})

t.test('TE: trailers is kept, and an upgrade keeps Upgrade and Connection', async (t) => {
  t.same(stripHopByHop({ te: 'trailers', a: 'b' }), { te: 'trailers', a: 'b' })
  t.same(stripHopByHop({ connection: 'Upgrade', upgrade: 'websocket', 'keep-alive': '1' }, true), {
    connection: 'Upgrade',
    upgrade: 'websocket',
  })
})
