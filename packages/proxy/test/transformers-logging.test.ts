// What the proxy logs about Kubernetes, which otherwise fails requests with nothing in its log:
// its io.l5d.k8s namer unable to read the API (a 403, the API server away) and reading again,
// and a daemonset transformer whose Service does not exist (every name through it fails,
// saying so) and then appears. Once per change, however many names and requests, against the
// fake API server.
import { Path } from '@switchyard/dtab'
import { FakeKubeApi, type JsonObject } from '@switchyard/kube-fake'
import { Addr } from '@switchyard/namers'
import { pino } from 'pino'
import t from 'tap'
import { createInterpreter, type Interpreter } from '../src/interpret/index.js'
import { LocalInterpreter } from '../src/interpret/local-interpreter.js'
import { Routes } from '../src/route/index.js'
import { eventually } from './interpret-helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

interface LogLine {
  readonly level: number
  readonly msg: string
  readonly [key: string]: unknown
}

const WARN = 40
const INFO = 30

/** A pino logger (as the proxy's main makes) whose lines the test reads as they are written. */
function memoryLogger() {
  const lines: LogLine[] = []
  const destination = { write: (line: string) => lines.push(JSON.parse(line)) }
  return { logger: pino({ level: 'info' }, destination), lines }
}

async function startApi(t: Teardown): Promise<FakeKubeApi> {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  return api
}

function service(name: string, portName: string, port: number): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { ports: [{ name: portName, port, protocol: 'TCP' }] },
  }
}

function slice(svc: string, ip: string, port: { name: string; port: number }): JsonObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${svc}-abcde`,
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': svc },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true }, nodeName: 'node-1' }],
    ports: [{ ...port, protocol: 'TCP' }],
  }
}

function routesOf(t: Teardown, i: Interpreter): Routes {
  t.teardown(() => i.close())
  const routes = new Routes(i)
  t.teardown(() => routes.close())
  return routes
}

/** The route of `name`, settled; the test keeps it (and its addr watches) open. */
async function routeOf(routes: Routes, name: string) {
  const r = routes.resolve(Path.read(name))
  if (r.type !== 'route') throw new Error('no dtab')
  await r.settled(5000)
  return r
}

const port = (api: FakeKubeApi) => Number(new URL(api.url).port)

t.test(
  "a local interpreter's io.l5d.k8s namer logs a 403 once, and once more when it reads again",
  async (t) => {
    const api = await startApi(t)
    api.put(service('web', 'http', 80))
    api.put(slice('web', '127.0.1.1', { name: 'http', port: 8080 }))
    api.put(service('api', 'http', 80))
    api.put(slice('api', '127.0.1.2', { name: 'http', port: 8080 }))
    api.forbid({ verb: 'list', resource: 'services' })
    const { logger, lines } = memoryLogger()
    const i = new LocalInterpreter({
      dtab: '/svc=>/#/io.l5d.k8s/default/http',
      namers: [{ kind: 'io.l5d.k8s', host: '127.0.0.1', port: port(api) }],
      mount: { k8s: { backoff: { initialMs: 10, maxMs: 40 } } },
      logger,
    })
    const routes = routesOf(t, i)
    await i.ready(5000)
    const web = await routeOf(routes, '/svc/web')
    const apiRoute = await routeOf(routes, '/svc/api')
    await eventually(
      'the names fail with the 403',
      () => web.pick() === undefined && /forbidden: cannot list services/.test(web.reason()),
    )
    const warns = () => lines.filter((l) => l.level === WARN)
    await eventually('a warn', () => warns().length > 0)
    const listed = () => api.requests.filter((r) => r.path.endsWith('/services')).length
    const before = listed()
    await eventually('retries', () => listed() >= before + 6, 5000)
    t.same(
      warns().map((l) => [l.msg, l.resource, l.namespace, l.code]),
      [
        [
          'io.l5d.k8s cannot read services in namespace default: its names keep their last endpoints (or fail, if never read) until it can',
          'services',
          'default',
          'forbidden',
        ],
      ],
      'one warn for two names and every retry',
    )
    t.match(warns()[0]?.err, /grant it in deploy\/base\/rbac\.yaml/)

    api.allowAll()
    await eventually(
      'both names read',
      () => web.pick() !== undefined && apiRoute.pick() !== undefined,
      5000,
    )
    const infos = lines.filter((l) => l.level === INFO && /again/.test(l.msg))
    t.same(
      infos.map((l) => l.msg),
      ['io.l5d.k8s reads services in namespace default again'],
    )
  },
)

const DAEMONSET = {
  kind: 'io.l5d.k8s.daemonset',
  namespace: 'default',
  service: 'l5d',
  port: 'incoming',
  hostNetwork: false,
} as const

t.test(
  'a daemonset transformer whose Service does not exist fails every name saying so, and logs it once',
  async (t) => {
    const api = await startApi(t)
    const { logger, lines } = memoryLogger()
    const i = createInterpreter(
      {
        kind: 'local',
        dtab: '/svc/w=>/$/inet/127.0.1.5/8080;/svc/x=>/$/inet/127.0.1.6/8080',
        transformers: [{ ...DAEMONSET, k8sHost: '127.0.0.1', k8sPort: port(api) }],
      },
      { logger },
    )
    const routes = routesOf(t, i)
    await i.ready(5000)
    const w = await routeOf(routes, '/svc/w')
    const x = await routeOf(routes, '/svc/x')
    const missing =
      "/%/io.l5d.k8s.daemonset/default/incoming/l5d/$/inet/127.0.1.5/8080 failed: the daemonset default/l5d port incoming does not exist (no such Service in that namespace, or no such port on it): check the transformer's namespace, service and port keys"
    await eventually(
      'the name fails, saying why',
      () => w.pick() === undefined && w.reason() === missing,
    )
    t.equal(x.pick(), undefined)
    t.match(x.reason(), /does not exist/, 'every name through it')
    const warns = () => lines.filter((l) => l.level === WARN)
    t.same(
      warns().map((l) => [l.msg, l.transformer, l.namespace, l.service, l.port]),
      [
        [
          'io.l5d.k8s.daemonset: the daemonset Service default/l5d with port incoming does not exist, so every name through interpreter.transformers[0] fails; check its namespace, service and port keys against `kubectl -n default get service l5d -o yaml`',
          'interpreter.transformers[0]',
          'default',
          'l5d',
          'incoming',
        ],
      ],
      'one warn for both names',
    )

    // The Service appears (a port of another name first: still missing, nothing new).
    api.put(service('l5d', 'admin', 9990))
    api.put(slice('l5d', '127.0.1.9', { name: 'admin', port: 9990 }))
    api.put(service('l5d', 'incoming', 4141))
    api.put(slice('l5d', '127.0.1.9', { name: 'incoming', port: 4141 }))
    await eventually('the proxy on the name’s node', () => w.pick() !== undefined, 5000)
    t.same(
      w.pick()?.addr.sample(),
      Addr.bound([{ ip: '127.0.1.9', port: 4141, meta: { nodeName: 'node-1' } }]),
    )
    t.same(
      lines.filter((l) => l.transformer !== undefined).map((l) => [l.level, l.msg]),
      [
        [WARN, warns()[0]?.msg],
        [
          INFO,
          'io.l5d.k8s.daemonset: the daemonset Service default/l5d with port incoming exists now',
        ],
      ],
    )

    // And goes away again: a new change, a new warn.
    api.remove({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'l5d' })
    await eventually('the name fails again', () => w.pick() === undefined && w.reason() === missing)
    t.equal(warns().length, 2)
  },
)

t.test("the daemonset transformer's own reads refused (403) are logged once", async (t) => {
  const api = await startApi(t)
  api.forbid({ verb: 'list', resource: 'endpointslices' })
  const { logger, lines } = memoryLogger()
  const i = createInterpreter(
    {
      kind: 'local',
      dtab: '/svc/w=>/$/inet/127.0.1.5/8080',
      transformers: [{ ...DAEMONSET, k8sHost: '127.0.0.1', k8sPort: port(api) }],
    },
    { logger },
  )
  const routes = routesOf(t, i)
  await i.ready(5000)
  const w = await routeOf(routes, '/svc/w')
  await eventually(
    'the name fails with the 403',
    () =>
      w.pick() === undefined &&
      /the daemonset default\/l5d port incoming: forbidden: cannot list endpointslices/.test(
        w.reason(),
      ),
  )
  await eventually('a warn', () => lines.some((l) => l.level === WARN))
  t.same(
    lines.filter((l) => l.level === WARN).map((l) => [l.namer, l.resource, l.namespace, l.code]),
    [['/#/io.l5d.k8s.daemonset', 'endpointslices', 'default', 'forbidden']],
  )
})
