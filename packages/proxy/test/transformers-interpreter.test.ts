// Transformers applied to real interpreters (local with the fs namer and /$/inet, and namerd
// over HTTP): every bound id gets `/%/<prefix>` in front, and its Addr is mapped live. The
// daemonset's proxies come from a test double here (transformers-k8s.test.ts uses the real
// io.l5d.k8s namer against the fake API server).
import { writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { bound as boundName, Dtab, NameTree, Path } from '@switchyard/dtab'
import { buildServer } from '@switchyard/namerd'
import { Addr, type AddrNamer, type Endpoint, type MutableVar, Var } from '@switchyard/namers'
import { pino } from 'pino'
import t from 'tap'
import {
  createInterpreter,
  type DaemonSetSource,
  type DaemonSetTarget,
  type Interpreter,
  type InterpreterSpec,
  TransformerError,
} from '../src/interpret/index.js'
import { k8sDaemonSetSource } from '../src/interpret/transformers/index.js'
import { Routes } from '../src/route/index.js'
import { eventually, memoryStore, putDtab, tempDir } from './interpret-helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

const ep = (ip: string, port: number, meta: Record<string, unknown> = {}): Endpoint => ({
  ip,
  port,
  meta,
})

/** A daemonset whose proxies the test sets, recording what the transformer asked for. */
function fakeDaemonSet(initial: Addr = Addr.pending) {
  const addr: MutableVar<Addr> = Var.mutable<Addr>(initial, { equals: Addr.equals })
  const opened: DaemonSetTarget[] = []
  let closed = 0
  const source: DaemonSetSource = (target) => {
    opened.push(target)
    return {
      addr,
      ready: Promise.resolve(),
      close: async () => {
        closed++
      },
    }
  }
  return {
    source,
    addr,
    opened,
    get closed() {
      return closed
    },
  }
}

function track(t: Teardown, i: Interpreter): Interpreter {
  t.teardown(() => i.close())
  return i
}

function routesOf(t: Teardown, i: Interpreter): Routes {
  const routes = new Routes(i)
  t.teardown(() => routes.close())
  return routes
}

function pickId(routes: Routes, name: string, local = Dtab.empty): string | undefined {
  const r = routes.resolve(Path.read(name), local)
  if (r.type !== 'route') throw new Error('no dtab')
  return r.pick()?.idText
}

const DAEMONSET = {
  kind: 'io.l5d.k8s.daemonset',
  namespace: 'default',
  service: 'l5d',
  port: 'incoming',
  hostNetwork: false,
} as const
const LOCALNODE = { kind: 'io.l5d.k8s.localnode', hostNetwork: false } as const
const DS_PREFIX = '/%/io.l5d.k8s.daemonset/default/incoming/l5d'

t.test('localnode keeps this node’s /$/inet names; the others leave the union', async (t) => {
  const i = track(
    t,
    createInterpreter(
      {
        kind: 'local',
        dtab: '/svc/world=>/$/inet/127.0.1.10/8080 & /$/inet/127.0.2.10/8080',
        transformers: [LOCALNODE],
      },
      { transformers: { env: { POD_IP: '127.0.1.7' } } },
    ),
  )
  await i.ready(5000)
  const routes = routesOf(t, i)
  const route = routes.resolve(Path.read('/svc/world'))
  if (route.type !== 'route') throw new Error('no dtab')
  await route.settled(2000)
  const ids = new Set<string>()
  for (let n = 0; n < 50; n++) ids.add(route.pick()?.idText ?? 'none')
  t.same(
    [...ids],
    ['/%/io.l5d.k8s.localnode/127.0.1.7/$/inet/127.0.1.10/8080'],
    'only the endpoint in POD_IP’s /24, under the prefixed id',
  )
  const far = i.addr(Path.read('/%/io.l5d.k8s.localnode/127.0.1.7/$/inet/127.0.2.10/8080'))
  const off = far.subscribe(() => {})
  t.teardown(off)
  t.same(far.sample(), Addr.neg, 'the other node’s name is Neg, so it leaves the union')
})

t.test('localnode: an Alt falls through to the branch on this node', async (t) => {
  const i = track(
    t,
    createInterpreter(
      {
        kind: 'local',
        dtab: '/svc/world=>/$/inet/127.0.2.10/8080 | /$/inet/127.0.1.10/8080',
        transformers: [LOCALNODE],
      },
      { transformers: { env: { POD_IP: '127.0.1.7' } } },
    ),
  )
  await i.ready(5000)
  const routes = routesOf(t, i)
  const route = routes.resolve(Path.read('/svc/world'))
  if (route.type !== 'route') throw new Error('no dtab')
  await route.settled(2000)
  t.equal(route.pick()?.idText, '/%/io.l5d.k8s.localnode/127.0.1.7/$/inet/127.0.1.10/8080')
})

t.test('daemonset over the fs namer: proxies of the endpoints’ nodes, followed live', async (t) => {
  const dir = await tempDir(t)
  const file = (lines: string) => writeFile(join(dir, 'world'), lines)
  await file('127.0.1.10 8080\n')
  const ds = fakeDaemonSet()
  const i = track(
    t,
    createInterpreter(
      { kind: 'local', dtab: '/svc=>/#/io.l5d.fs', transformers: [DAEMONSET] },
      {
        namers: [{ kind: 'io.l5d.fs', rootDir: dir }],
        transformers: { daemonSet: ds.source },
      },
    ),
  )
  await i.ready(5000)
  t.equal(ds.addr.observers, 0, 'nothing is watched before a name is routed')
  const routes = routesOf(t, i)
  const route = routes.resolve(Path.read('/svc/world'))
  if (route.type !== 'route') throw new Error('no dtab')
  const leaf = route.leaves[0]!
  t.equal(leaf.idText, `${DS_PREFIX}/#/io.l5d.fs/world`, 'the id carries the daemonset prefix')
  t.same(
    ds.opened,
    [{ namespace: 'default', port: 'incoming', service: 'l5d', connection: { kind: 'default' } }],
    'the daemonset is looked up on the default connection',
  )

  await eventually('the world file is read', () => leaf.addr.sample().type === 'pending')
  t.same(leaf.addr.sample(), Addr.pending, 'pending while the daemonset has not answered')

  ds.addr.set(Addr.bound([ep('127.0.1.1', 4141), ep('127.0.2.1', 4141)]))
  t.same(leaf.addr.sample(), Addr.bound([ep('127.0.1.1', 4141)]), 'the proxy on node 1')

  await file('127.0.1.10 8080\n127.0.2.10 8080\n')
  await eventually('an endpoint on node 2 adds node 2’s proxy', () =>
    Addr.equals(leaf.addr.sample(), Addr.bound([ep('127.0.1.1', 4141), ep('127.0.2.1', 4141)])),
  )

  ds.addr.set(Addr.bound([ep('127.0.2.1', 4141)]))
  t.same(leaf.addr.sample(), Addr.bound([ep('127.0.2.1', 4141)]), 'node 1’s proxy went away')

  ds.addr.set(Addr.bound([ep('127.0.3.1', 4141)]))
  t.same(leaf.addr.sample(), Addr.neg, 'no proxy on any endpoint’s node: Neg')
  t.equal(pickId(routes, '/svc/world'), undefined, 'so the name does not route')

  await i.close()
  t.equal(ds.closed, 1, 'closing the interpreter stops the daemonset watch')
})

t.test('routes share one transformed addr per id, and the delegator shows the id', async (t) => {
  const ds = fakeDaemonSet(Addr.bound([ep('127.0.1.1', 4141)]))
  const i = track(
    t,
    createInterpreter(
      { kind: 'local', dtab: '/svc/world=>/$/inet/127.0.1.10/8080', transformers: [DAEMONSET] },
      { transformers: { daemonSet: ds.source } },
    ),
  )
  await i.ready(5000)
  const routes = routesOf(t, i)
  const id = `${DS_PREFIX}/$/inet/127.0.1.10/8080`
  const a = routes.resolve(Path.read('/svc/world'))
  const b = routes.resolve(Path.read('/svc/world'), Dtab.read('/x=>/y'))
  if (a.type !== 'route' || b.type !== 'route') throw new Error('no dtab')
  t.equal(a.leaves[0]!.addr, b.leaves[0]!.addr, 'one var for both routes')
  t.equal(ds.addr.observers, 1, 'one subscription to the daemonset for both routes')
  await a.settled(2000)
  t.equal(a.pick()?.idText, id)
  const explained = JSON.parse(await routes.explainSettled(Path.read('/svc/world'))) as {
    delegate: { bound: { id: string; addr: unknown } }
  }
  t.equal(explained.delegate.bound.id, id, 'the delegator shows the transformed id')
  t.same(explained.delegate.bound.addr, {
    type: 'bound',
    addrs: [{ ip: '127.0.1.1', port: 4141, meta: {} }],
    meta: {},
  })
})

t.test('transformers apply in order: the last one’s prefix is outermost', async (t) => {
  const ds = fakeDaemonSet(Addr.bound([ep('127.0.1.1', 4141), ep('127.0.2.1', 4141)]))
  const i = track(
    t,
    createInterpreter(
      {
        kind: 'local',
        dtab: '/svc/world=>/$/inet/127.0.2.10/8080',
        transformers: [LOCALNODE, DAEMONSET],
      },
      { transformers: { env: { POD_IP: '127.0.2.99' }, daemonSet: ds.source } },
    ),
  )
  await i.ready(5000)
  const routes = routesOf(t, i)
  const route = routes.resolve(Path.read('/svc/world'))
  if (route.type !== 'route') throw new Error('no dtab')
  await route.settled(2000)
  const leaf = route.pick()
  t.equal(
    leaf?.idText,
    `${DS_PREFIX}/%/io.l5d.k8s.localnode/127.0.2.99/$/inet/127.0.2.10/8080`,
    'daemonset(localnode(id))',
  )
  t.same(leaf?.addr.sample(), Addr.bound([ep('127.0.2.1', 4141)]))
})

t.test('a missing POD_IP or NODE_NAME stops the start with the downward-API snippet', async (t) => {
  const spec = (hostNetwork: boolean): InterpreterSpec => ({
    kind: 'local',
    dtab: '',
    transformers: [{ kind: 'io.l5d.k8s.localnode', hostNetwork }],
  })
  t.throws(() => createInterpreter(spec(false), { transformers: { env: {} } }), {
    name: 'TransformerError',
    code: 'missing_env',
    message:
      /interpreter\.transformers\[0\] \(io\.l5d\.k8s\.localnode, hostNetwork: false\) needs the environment variable POD_IP.*is not set.*fieldPath: status\.podIP/s,
  })
  t.throws(() => createInterpreter(spec(true), { transformers: { env: { POD_IP: '10.0.0.1' } } }), {
    code: 'missing_env',
    message:
      /NODE_NAME.*- name: NODE_NAME\n {2}valueFrom:\n {4}fieldRef:\n {6}fieldPath: spec\.nodeName/s,
  })
  t.throws(() => createInterpreter(spec(false), { transformers: { env: { POD_IP: 'fd00::5' } } }), {
    code: 'bad_env',
    message: /POD_IP is "fd00::5", not an IPv4 address.*hostNetwork: true/,
  })
  t.throws(
    () => createInterpreter(spec(true), { transformers: { env: { NODE_NAME: 'node a/b' } } }),
    { code: 'bad_env', message: /NODE_NAME is "node a\/b"/ },
  )
  const err = t.throws(() => createInterpreter(spec(false), { transformers: { env: {} } }))
  t.ok(err instanceof TransformerError)
  const i = track(
    t,
    createInterpreter(spec(true), { transformers: { env: { NODE_NAME: 'node-a' } } }),
  )
  await i.ready(5000)
  t.pass('with NODE_NAME set it starts')
})

t.test('a daemonset source that cannot start makes ready() reject with its reason', async (t) => {
  let closed = false
  const i = createInterpreter(
    { kind: 'local', dtab: '/svc/w=>/$/inet/127.0.0.1/1', transformers: [DAEMONSET] },
    {
      transformers: {
        daemonSet: () => ({
          addr: Var.value<Addr>(Addr.pending),
          ready: Promise.reject(new Error('no Kubernetes configuration found')),
          close: async () => {
            closed = true
          },
        }),
      },
    },
  )
  await t.rejects(i.ready(1000), {
    name: 'TransformerError',
    code: 'kube_config',
    message:
      'interpreter.transformers[0] (io.l5d.k8s.daemonset): no Kubernetes configuration found; for this transformer, kubectl proxy is `k8sHost: 127.0.0.1, k8sPort: 8001`',
  })
  await i.close()
  t.ok(closed, 'and close() still closes it')
})

t.test('with no k8sHost/k8sPort and no Kubernetes configuration, the start fails', async (t) => {
  const home = await tempDir(t)
  const i = createInterpreter(
    { kind: 'local', dtab: '/svc/w=>/$/inet/127.0.0.1/1', transformers: [DAEMONSET] },
    {
      transformers: {
        daemonSet: k8sDaemonSetSource({ environment: { env: {}, home, inClusterPrefix: home } }),
      },
    },
  )
  t.teardown(() => i.close())
  await t.rejects(i.ready(1000), {
    code: 'kube_config',
    message:
      /^interpreter\.transformers\[0\] \(io\.l5d\.k8s\.daemonset\): no Kubernetes configuration found: .*KUBECONFIG.*k8sHost: 127\.0\.0\.1, k8sPort: 8001`$/,
  })
})

t.test(
  'k8sHost and k8sPort make a plain-HTTP connection, as Linkerd’s kubectl-proxy default',
  async (t) => {
    const cases = [
      [{}, { kind: 'default' }],
      [{ k8sPort: 8002 }, { kind: 'url', url: 'http://localhost:8002' }],
      [{ k8sHost: '10.0.0.1' }, { kind: 'url', url: 'http://10.0.0.1:8001' }],
      [
        { k8sHost: 'fd00::1', k8sPort: 9 },
        { kind: 'url', url: 'http://[fd00::1]:9' },
      ],
    ] as const
    for (const [keys, connection] of cases) {
      const ds = fakeDaemonSet()
      const i = track(
        t,
        createInterpreter(
          {
            kind: 'local',
            dtab: '/svc/w=>/$/inet/127.0.0.1/1',
            transformers: [{ ...DAEMONSET, ...keys }],
          },
          { transformers: { daemonSet: ds.source } },
        ),
      )
      await i.ready(5000)
      const routes = routesOf(t, i)
      pickId(routes, '/svc/w')
      t.same(ds.opened[0]?.connection, connection, JSON.stringify(keys))
    }
  },
)

/** A namer in namerd whose endpoints carry `nodeName`, as the io.l5d.k8s namer's do. */
function podsNamer(pods: MutableVar<Addr>): AddrNamer {
  return {
    lookup: (path) =>
      path.length === 0 ? NameTree.Neg : NameTree.leaf(boundName(['#', 'pods', path[0]!])),
    addr: () => pods,
  }
}

/** namerd in this process with the pods namer at `/#/pods`; records request URLs. */
async function startPodsNamerd(t: Teardown, pods: MutableVar<Addr>) {
  const server = await buildServer({
    logger: pino({ level: 'silent' }),
    store: memoryStore(t),
    namers: [{ prefix: ['#', 'pods'], namer: podsNamer(pods) }],
  })
  const requests: string[] = []
  server.app.server.on('request', (req: { url?: string }) => requests.push(req.url ?? ''))
  await server.app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => server.close(50))
  const port = (server.app.server.address() as AddressInfo).port
  return { base: `http://127.0.0.1:${port}`, requests }
}

t.test(
  'namerd interpreter: addrs from namerd keep nodeName, and the daemonset maps them',
  async (t) => {
    const pods = Var.mutable<Addr>(Addr.bound([ep('10.9.0.5', 8080, { nodeName: 'node-b' })]), {
      equals: Addr.equals,
    })
    const namerd = await startPodsNamerd(t, pods)
    await putDtab(namerd.base, 'internal', '/svc=>/#/pods')
    const ds = fakeDaemonSet(
      Addr.bound([
        ep('192.168.0.1', 4141, { nodeName: 'node-a' }),
        ep('192.168.0.2', 4141, { nodeName: 'node-b' }),
      ]),
    )
    const i = track(
      t,
      createInterpreter(
        {
          kind: 'namerd',
          dst: namerd.base,
          namespace: 'internal',
          retry: { baseSeconds: 0.05, maxSeconds: 0.1 },
          transformers: [{ ...DAEMONSET, hostNetwork: true }],
        },
        { transformers: { daemonSet: ds.source } },
      ),
    )
    await i.ready(5000)
    const routes = routesOf(t, i)
    const route = routes.resolve(Path.read('/svc/world'))
    if (route.type !== 'route') throw new Error('no dtab')
    await route.settled(5000)
    const leaf = route.pick()
    t.equal(leaf?.idText, `${DS_PREFIX}/#/pods/world`)
    t.same(
      leaf?.addr.sample(),
      Addr.bound([ep('192.168.0.2', 4141, { nodeName: 'node-b' })]),
      'the proxy on node-b, matched by the nodeName namerd sent',
    )
    t.ok(
      namerd.requests.some((u) => u.includes(`path=${encodeURIComponent('/#/pods/world')}`)),
      'namerd is asked for the untransformed id',
    )
    pods.set(Addr.bound([ep('10.9.0.6', 8080, { nodeName: 'node-a' })]))
    await eventually('a pod moved to node-a goes through node-a’s proxy', () =>
      Addr.equals(
        leaf!.addr.sample(),
        Addr.bound([ep('192.168.0.1', 4141, { nodeName: 'node-a' })]),
      ),
    )
  },
)
