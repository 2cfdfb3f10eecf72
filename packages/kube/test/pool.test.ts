// One connection pool per Kube: calls one after another reuse a kept-alive connection (as
// client-node 2.0.1 on its own does not: it makes an undici Agent per request when the
// cluster has TLS options, which plain http needs too), and a watch does not stop them.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { openKube, type Resource } from '../src/index.js'

const DTABS: Resource = { group: 'l5d.io', version: 'v1alpha1', plural: 'dtabs', kind: 'DTab' }
const OBJECT = JSON.stringify({
  apiVersion: 'l5d.io/v1alpha1',
  kind: 'DTab',
  metadata: { name: 'internal', namespace: 'default', resourceVersion: '1' },
  dentries: [],
})

t.test('calls one after another share a kept-alive connection, beside an open watch', async (t) => {
  let connections = 0
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.url?.includes('watch=')) {
      res.writeHead(200)
      res.write('') // an open, quiet watch
      return
    }
    res.end(OBJECT)
  })
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const kube = openKube({ kind: 'url', url })
  const watch = await kube.newWatch().watch(
    '/apis/l5d.io/v1alpha1/namespaces/default/dtabs',
    {},
    () => {},
    () => {},
  )
  t.teardown(() => watch.abort())
  const counts: number[] = []
  for (let i = 0; i < 20; i++) {
    await kube.objects(DTABS).get('default', 'internal')
    counts.push(connections)
  }
  t.ok(connections <= 3, `${connections} connections for a watch and 20 calls`)
  t.equal(counts.at(-1), counts[4], 'none more after the first few calls')
})
