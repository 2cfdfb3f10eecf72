// io.l5d.k8s in a `namers:` config, as Linkerd configured it.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bind, Dtab, interpreterLookup, NameTree, Path } from '@switchyard/dtab'
import t from 'tap'
import { Addr } from '../src/addr.js'
import { mountNamers, NamersConfigError, parseNamersConfig } from '../src/config.js'
import { k8sConnection } from '../src/k8s/connection.js'
import { createAddrResolver } from '../src/resolver.js'
import { tempDir } from './helpers.js'
import { slice, startApi, until, WEB } from './k8s-helpers.js'

const issues = (input: unknown): readonly string[] => {
  try {
    parseNamersConfig(input)
  } catch (err) {
    if (err instanceof NamersConfigError) return err.issues
    throw err
  }
  throw new Error('expected a NamersConfigError')
}

t.test("Linkerd's io.l5d.k8s keys parse", async (t) => {
  t.same(parseNamersConfig([{ kind: 'io.l5d.k8s' }]), [{ kind: 'io.l5d.k8s' }])
  const full = {
    kind: 'io.l5d.k8s',
    host: 'localhost',
    port: 8001,
    prefix: '/io.l5d.k8s',
    labelSelector: 'version',
    experimental: true,
    transformers: [],
  }
  t.same(parseNamersConfig([full]), [full])
  t.same(parseNamersConfig([{ kind: 'io.l5d.k8s', labelSelector: 'app.kubernetes.io/version' }]), [
    { kind: 'io.l5d.k8s', labelSelector: 'app.kubernetes.io/version' },
  ])
})

t.test(
  'host and port mean plain HTTP there (kubectl proxy); neither, the default connection',
  async (t) => {
    t.same(k8sConnection({}), { kind: 'default' })
    t.same(k8sConnection({ host: 'localhost', port: 8001 }), {
      kind: 'url',
      url: 'http://localhost:8001',
    })
    t.same(k8sConnection({ host: '10.0.0.1' }), { kind: 'url', url: 'http://10.0.0.1:8001' })
    t.same(k8sConnection({ port: 9001 }), { kind: 'url', url: 'http://localhost:9001' })
    t.same(k8sConnection({ host: '::1' }), { kind: 'url', url: 'http://[::1]:8001' })
    t.same(k8sConnection({ host: '[::1]', port: 1 }), { kind: 'url', url: 'http://[::1]:1' })
  },
)

t.test('config errors name the key and what to write', async (t) => {
  t.same(issues([{ kind: 'io.l5d.k8s', port: 0 }]), [
    'namers[0].port: must be a port number from 1 to 65535, e.g. 8001',
  ])
  t.same(issues([{ kind: 'io.l5d.k8s', port: '8001' }]), [
    'namers[0].port: must be a port number from 1 to 65535, e.g. 8001',
  ])
  t.same(issues([{ kind: 'io.l5d.k8s', host: 'http://localhost' }]), [
    'namers[0].host: give the host alone, without a scheme (e.g. localhost, not http://localhost)',
  ])
  t.same(issues([{ kind: 'io.l5d.k8s', host: 'a b' }]), [
    'namers[0].host: "a b" is neither a host name nor an IP address',
  ])
  t.match(issues([{ kind: 'io.l5d.k8s', labelSelector: 'version=v1' }]), [
    /^namers\[0\]\.labelSelector: not a label key: "version=v1" is not a label name/,
  ])
  t.same(issues([{ kind: 'io.l5d.k8s', transformers: [{ kind: 'io.l5d.localhost' }] }]), [
    'namers[0].transformers: per-namer transformers are not supported: configure them under the proxy interpreter (interpreter.transformers)',
  ])
  t.same(issues([{ kind: 'io.l5d.k8s', rootDir: '/x' }]), ['namers[0]: unknown key "rootDir"'])
  t.same(issues([{ kind: 'io.l5d.k8s' }, { kind: 'io.l5d.k8s', host: 'other' }]), [
    'namers[1].prefix: Namers must not have overlapping prefixes: /#/io.l5d.k8s & /#/io.l5d.k8s',
  ])
  t.match(issues([{ kind: 'io.l5d.k8s.external' }]), [
    /unknown namer kind "io.l5d.k8s.external"; known kinds: io.l5d.fs, io.l5d.k8s/,
  ])
})

t.test(
  'a mounted io.l5d.k8s namer feeds interpreterLookup and the resolver, beside io.l5d.fs',
  async (t) => {
    const api = await startApi(t)
    api.put(WEB)
    api.put(slice('web-a', 'web', ['10.0.0.1']))
    const disco = await tempDir(t)
    await writeFile(join(disco, 'legacy'), '10.9.0.1 80\n')
    const port = Number(new URL(api.url).port)
    const mounted = await mountNamers([
      { kind: 'io.l5d.fs', rootDir: disco },
      { kind: 'io.l5d.k8s', host: '127.0.0.1', port },
    ])
    t.teardown(() => mounted.close())
    t.same(
      mounted.namers.map((m) => Path.show(m.prefix)),
      ['/#/io.l5d.fs', '/#/io.l5d.k8s'],
    )
    const dtab = Dtab.read('/svc => /#/io.l5d.fs | /#/io.l5d.k8s/default/http')
    const bound = bind(interpreterLookup(dtab, mounted.namers), NameTree.read('/svc/web'))
    const id = bound.type === 'leaf' ? bound.value.id : Path.empty
    t.equal(Path.show(id), '/#/io.l5d.k8s/default/http/web')
    const resolver = createAddrResolver(mounted.namers)
    const web = resolver.addr(id)
    t.teardown(web.subscribe(() => {}))
    await until(web, 'Bound(10.0.0.1:8080)')
    t.equal(
      Addr.show(resolver.addr(Path.read('/#/io.l5d.fs/legacy')).sample()),
      'Bound(10.9.0.1:80)',
    )
  },
)

t.test('with neither host nor port: the in-cluster account, else the kubeconfig', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(slice('web-a', 'web', ['10.0.0.1']))
  const dir = await tempDir(t)
  const kubeconfig = await api.writeKubeconfig(dir)
  const environment = { env: { KUBECONFIG: kubeconfig }, home: dir, inClusterPrefix: dir }
  const mounted = await mountNamers([{ kind: 'io.l5d.k8s' }], { k8s: { environment } })
  t.teardown(() => mounted.close())
  const web = createAddrResolver(mounted.namers).addr(Path.read('/#/io.l5d.k8s/default/http/web'))
  t.teardown(web.subscribe(() => {}))
  await until(web, 'Bound(10.0.0.1:8080)')

  // Nowhere to find a configuration: the namer cannot open, and says what to do.
  await t.rejects(
    mountNamers([{ kind: 'io.l5d.k8s' }], {
      k8s: { environment: { env: {}, home: dir, inClusterPrefix: dir } },
    }),
    {
      name: 'K8sNamerError',
      message:
        /^io\.l5d\.k8s: no Kubernetes configuration found: .*set KUBECONFIG.*`host: 127\.0\.0\.1, port: 8001`$/,
    },
  )
})
