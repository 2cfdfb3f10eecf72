// The io.l5d.k8s namer against the fake API server: names to the ready endpoints of a
// Service port, following every change of its EndpointSlices and of the Service.
import { bind, Dtab, interpreterLookup, NameTree, Path } from '@switchyard/dtab'
import t from 'tap'
import { Addr } from '../src/addr.js'
import { openNamer, service, shown, slice, startApi, until, WEB, watch } from './k8s-helpers.js'

const p = Path.read

t.test('a name binds to /#/io.l5d.k8s/<ns>/<port>/<svc> with the rest as residual', async (t) => {
  const api = await startApi(t)
  const namer = await openNamer(t, api)
  t.same(
    namer.lookup(p('/default/http/web/api/v1')),
    NameTree.leaf({
      type: 'bound',
      id: p('/#/io.l5d.k8s/default/http/web'),
      residual: p('/api/v1'),
    }),
  )
  t.same(namer.lookup(p('/default/http')), NameTree.Neg)
})

t.test('the addr is the ready endpoints of the Service port, with nodeName and zone', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(
    slice('web-abc', 'web', [
      { ip: '10.0.0.1', nodeName: 'node-1', zone: 'z1' },
      '!10.0.0.2',
      { ip: '10.0.0.3', ready: null },
    ]),
  )
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.3:8080)')
  t.equal(
    Addr.toJson(web.sample()),
    '{"type":"bound","addrs":[{"ip":"10.0.0.1","port":8080,"meta":{"nodeName":"node-1","zone":"z1"}},' +
      '{"ip":"10.0.0.3","port":8080,"meta":{}}],"meta":{}}',
  )
  // Linkerd's numbered port: the Service port 80, whose endpoints listen on the target 8080.
  await until(watch(t, namer, '/default/80/web'), 'Bound(10.0.0.1:8080, 10.0.0.3:8080)')
})

t.test('scale-up, scale-down, readiness and pod replacement reach the subscriber', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(slice('web-abc', 'web', ['10.0.0.1']))
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  const seen: string[] = []
  t.teardown(web.subscribe((a) => seen.push(Addr.show(a))))
  await until(web, 'Bound(10.0.0.1:8080)')

  api.put(slice('web-abc', 'web', ['10.0.0.1', '10.0.0.2', '10.0.0.3']))
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.2:8080, 10.0.0.3:8080)')
  api.put(slice('web-abc', 'web', ['10.0.0.1', '10.0.0.2']))
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.2:8080)')
  api.put(slice('web-abc', 'web', ['10.0.0.1', '!10.0.0.2']))
  await until(web, 'Bound(10.0.0.1:8080)')
  api.put(slice('web-abc', 'web', ['10.0.0.1', '10.0.0.2']))
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.2:8080)')
  // The pod behind 10.0.0.2 is replaced: a new pod, a new IP.
  api.put(slice('web-abc', 'web', ['10.0.0.1', '10.0.0.9']))
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.9:8080)')
  t.notOk(seen.includes('Neg'), 'never Neg on the way')
  t.notOk(seen.includes('Pending'), 'never pending again')
})

t.test('every slice of the Service is merged; one in two slices counts once', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(slice('web-a', 'web', ['10.0.0.1', '10.0.0.2']))
  api.put(slice('web-b', 'web', ['10.0.0.2', '10.0.0.3']))
  api.put(slice('other-a', 'other', ['10.9.9.9']))
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.2:8080, 10.0.0.3:8080)')

  // Deleting one slice drops only what it alone held: 10.0.0.2 is still in web-b.
  api.remove({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    namespace: 'default',
    name: 'web-a',
  })
  await until(web, 'Bound(10.0.0.2:8080, 10.0.0.3:8080)')
  api.remove({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    namespace: 'default',
    name: 'web-b',
  })
  await until(web, 'Bound()')
})

t.test('a slice relabelled to another Service leaves the first and joins the second', async (t) => {
  // A hand-managed slice's kubernetes.io/service-name changed: the API server tells the first
  // Service's slice watch DELETED and the second's ADDED (selector transitions).
  const api = await startApi(t)
  api.put(WEB)
  api.put(service('api', [{ name: 'http', port: 80, targetPort: 8080 }]))
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  api.put(slice('web-b', 'web', ['10.0.0.2']))
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  const other = watch(t, namer, '/default/http/api')
  await until(web, 'Bound(10.0.0.1:8080, 10.0.0.2:8080)')
  await until(other, 'Bound()')
  api.put(slice('web-b', 'api', ['10.0.0.2']))
  await until(web, 'Bound(10.0.0.1:8080)')
  await until(other, 'Bound(10.0.0.2:8080)')
})

t.test('a missing Service or port is Neg, and a Service that appears binds', async (t) => {
  const api = await startApi(t)
  const namer = await openNamer(t, api)
  const web = watch(t, namer, '/default/http/web')
  await until(web, 'Neg')
  api.put(WEB)
  await until(web, 'Bound()', 5000)
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  await until(web, 'Bound(10.0.0.1:8080)')

  await until(watch(t, namer, '/default/grpc/web'), 'Neg')
  await until(watch(t, namer, '/default/8080/web'), 'Neg') // a target port, not a Service port
  await until(watch(t, namer, '/default/http/nosuch'), 'Neg')

  api.remove({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'web' })
  await until(web, 'Neg')
})

t.test('a port added to the Service binds once the Service says so', async (t) => {
  const api = await startApi(t)
  api.put(service('web', [{ name: 'http', port: 80 }]))
  api.put(
    slice('web-a', 'web', ['10.0.0.1'], {
      ports: [
        { name: 'http', port: 8080 },
        { name: 'grpc', port: 9090 },
      ],
    }),
  )
  const namer = await openNamer(t, api)
  const grpc = watch(t, namer, '/default/grpc/web')
  await until(grpc, 'Neg')
  api.put(
    service('web', [
      { name: 'http', port: 80 },
      { name: 'grpc', port: 90 },
    ]),
  )
  await until(grpc, 'Bound(10.0.0.1:9090)')
})

t.test(
  'once a watch knows the Service is missing, lookup is Neg and an Alt falls through',
  async (t) => {
    const api = await startApi(t)
    api.put(service('backup', [{ name: 'http', port: 80 }]))
    api.put(slice('backup-a', 'backup', ['10.1.0.1']))
    const namer = await openNamer(t, api)
    const mounted = [{ prefix: namer.prefix, namer }]
    const dtab = Dtab.read(
      '/svc => /#/io.l5d.k8s/default/http | /#/io.l5d.k8s/default/http/backup;',
    )
    const boundId = () => {
      const tree = bind(interpreterLookup(dtab, mounted), NameTree.read('/svc/web'))
      return tree.type === 'leaf' ? Path.show(tree.value.id) : tree.type
    }
    t.equal(boundId(), '/#/io.l5d.k8s/default/http/web', 'not known yet: it binds')
    const web = watch(t, namer, '/default/http/web')
    await until(web, 'Neg')
    t.equal(boundId(), '/#/io.l5d.k8s/default/http/backup')
    t.same(namer.lookup(p('/default/http/web')), NameTree.Neg)
    t.same(
      namer.lookupByShape(p('/default/http/web')),
      NameTree.leaf({ type: 'bound', id: p('/#/io.l5d.k8s/default/http/web'), residual: p('/') }),
      'a router that binds once still gets the leaf, and follows the addr',
    )
    api.put(WEB)
    await until(web, 'Bound()')
    t.equal(boundId(), '/#/io.l5d.k8s/default/http/web')
  },
)

t.test('the labelSelector makes the fourth segment a label value', async (t) => {
  const api = await startApi(t)
  api.put(service('web', [{ name: 'http', port: 80 }], { labels: { version: 'v1' } }))
  api.put(slice('web-a', 'web', ['10.0.0.1'], { labels: { version: 'v1' } }))
  api.put(slice('web-b', 'web', ['10.0.0.2'], { labels: { version: 'v2' } }))
  const namer = await openNamer(t, api, { labelSelector: 'version' })
  t.same(
    namer.lookup(p('/default/http/web/v1/rest')),
    NameTree.leaf({
      type: 'bound',
      id: p('/#/io.l5d.k8s/default/http/web/v1'),
      residual: p('/rest'),
    }),
  )
  t.same(namer.lookup(p('/default/http/web')), NameTree.Neg, 'the label value is required')
  await until(watch(t, namer, '/default/http/web/v1'), 'Bound(10.0.0.1:8080)')
  // The Service does not carry version=v2, so for that label it does not exist (Linkerd
  // selected the Service with the same labelSelector).
  await until(watch(t, namer, '/default/http/web/v2'), 'Neg')
})

t.test('names in other namespaces and prefixes', async (t) => {
  const api = await startApi(t)
  api.put(service('web', [{ name: 'http', port: 80 }], { namespace: 'prod' }))
  api.put(slice('web-a', 'web', ['10.2.0.1'], { namespace: 'prod' }))
  api.put(WEB)
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  const namer = await openNamer(t, api, { prefix: '/k8s' })
  t.equal(Path.show(namer.prefix), '/#/k8s')
  await until(watch(t, namer, '/prod/http/web'), 'Bound(10.2.0.1:8080)')
  await until(watch(t, namer, '/default/http/web'), 'Bound(10.0.0.1:8080)')
  t.equal(
    shown(watch(t, namer, '/Prod/HTTP/Web')),
    'Bound(10.2.0.1:8080)',
    'lowercased like Linkerd',
  )
})
