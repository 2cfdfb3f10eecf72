// The io.l5d.k8s namer says when it cannot read the API (a 403 from RBAC, the API server away)
// and when it can again: one warn per change of state, one info on recovery, for each resource
// and namespace, however many Services are watched and however often the loops retry.
import { setTimeout as sleep } from 'node:timers/promises'
import { Path } from '@switchyard/dtab'
import t from 'tap'
import { mountNamers } from '../src/config.js'
import { FailureLog } from '../src/k8s/failure-log.js'
import type { K8sNamer } from '../src/k8s/namer.js'
import type { NamerLogger } from '../src/logger.js'
import { eventually } from './helpers.js'
import { openNamer, service, shown, slice, startApi, until, WEB, watch } from './k8s-helpers.js'

interface Line {
  readonly level: 'warn' | 'info'
  readonly fields: Record<string, unknown>
  readonly message: string
}

function recorder(): { logger: NamerLogger; lines: Line[] } {
  const lines: Line[] = []
  return {
    lines,
    logger: {
      warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
      info: (fields, message) => lines.push({ level: 'info', fields, message }),
    },
  }
}

const FAST = { initialMs: 10, maxMs: 40 }
const API = service('api', [{ name: 'http', port: 80, targetPort: 8080 }])

t.test(
  'a 403 on EndpointSlices is one warn naming the resource, namespace and RBAC; granting it, one info',
  async (t) => {
    const api = await startApi(t)
    api.put(WEB)
    api.put(API)
    api.put(slice('web-a', 'web', ['10.0.0.1']))
    api.put(slice('api-a', 'api', ['10.0.0.2']))
    api.forbid({ verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io' })
    const { logger, lines } = recorder()
    // Through mountNamers, as namerd and the proxy mount their namers.
    const mounted = await mountNamers(
      [{ kind: 'io.l5d.k8s', host: '127.0.0.1', port: Number(new URL(api.url).port) }],
      { logger, k8s: { backoff: FAST } },
    )
    t.teardown(() => mounted.close())
    const namer = mounted.namers[0]!.namer as K8sNamer
    const web = watch(t, namer, '/default/http/web')
    const apiName = watch(t, namer, '/default/http/api')
    await eventually(
      'the names fail with the 403',
      () => /^Failed\(forbidden: cannot list endpointslices/.test(shown(web)),
      5000,
    )
    await eventually('a warn', () => lines.length > 0)
    // Both Services' loops retry many times meanwhile.
    const listed = () => api.requests.filter((r) => r.path.endsWith('/endpointslices')).length
    const before = listed()
    await eventually('retries', () => listed() >= before + 6, 5000)
    t.same(
      lines.map((l) => [l.level, l.fields.resource, l.fields.namespace, l.fields.code]),
      [['warn', 'endpointslices', 'default', 'forbidden']],
      'one warn for two Services and every retry',
    )
    t.equal(lines[0]?.fields.namer, '/#/io.l5d.k8s')
    t.match(lines[0]?.message, /io\.l5d\.k8s cannot read endpointslices in namespace default/)
    t.match(String(lines[0]?.fields.err), /grant it in deploy\/base\/rbac\.yaml/)
    t.match(String(lines[0]?.fields.selector), /kubernetes\.io\/service-name=(web|api)/)

    api.allowAll()
    await until(web, 'Bound(10.0.0.1:8080)')
    await until(apiName, 'Bound(10.0.0.2:8080)')
    t.same(
      lines.map((l) => [l.level, l.fields.resource, l.fields.namespace]),
      [
        ['warn', 'endpointslices', 'default'],
        ['info', 'endpointslices', 'default'],
      ],
      'one info once both read again',
    )
    t.match(lines[1]?.message, /io\.l5d\.k8s reads endpointslices in namespace default again/)
    t.match(String(lines[1]?.fields.was), /forbidden/)
  },
)

t.test(
  'the API server away after a first read: a warn per resource, then an info per resource',
  async (t) => {
    const api = await startApi(t)
    api.put(WEB)
    api.put(slice('web-a', 'web', ['10.0.0.1']))
    const { logger, lines } = recorder()
    const namer = await openNamer(t, api, { logger, backoff: FAST })
    const web = watch(t, namer, '/default/http/web')
    await until(web, 'Bound(10.0.0.1:8080)')
    t.same(lines, [], 'nothing while it reads')

    await api.down()
    await eventually('both loops stale', () => lines.length >= 2, 10_000)
    await sleep(300) // many retries at 10-40 ms
    t.same(lines.map((l) => [l.level, l.fields.resource, l.fields.code]).sort(), [
      ['warn', 'endpointslices', 'unavailable'],
      ['warn', 'services', 'unavailable'],
    ])
    for (const l of lines) t.match(String(l.fields.err), /is unreachable/)
    t.equal(shown(web), 'Bound(10.0.0.1:8080)', 'the last good set stays meanwhile')

    await api.up()
    await eventually('both infos', () => lines.length >= 4, 10_000)
    t.same(
      lines
        .slice(2)
        .map((l) => [l.level, l.fields.resource])
        .sort(),
      [
        ['info', 'endpointslices'],
        ['info', 'services'],
      ],
    )
  },
)

t.test('a loop closed while failing logs no recovery', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.forbid({ verb: 'list', resource: 'services' })
  const { logger, lines } = recorder()
  const namer = await openNamer(t, api, { logger, backoff: FAST, lingerMs: 0 })
  const v = namer.addr(Path.read('/default/http/web'))
  const stop = v.subscribe(() => {})
  await eventually('a warn', () => lines.length === 1, 5000)
  stop()
  await eventually('the watch closed', () => namer.state().watches.length === 0, 5000)
  api.allowAll()
  await sleep(200)
  t.same(
    lines.map((l) => l.level),
    ['warn'],
  )
})

t.test('without a logger nothing is logged and nothing breaks', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.forbid({ verb: 'list', resource: 'services' })
  const namer = await openNamer(t, api, { backoff: FAST })
  const web = watch(t, namer, '/default/http/web')
  await eventually(
    'the name fails with the 403',
    () => /^Failed\(forbidden: cannot list services/.test(shown(web)),
    5000,
  )
})

t.test('what counts as a change of state', async (t) => {
  const { logger, lines } = recorder()
  const log = new FailureLog(logger, '/#/io.l5d.k8s')
  const slices = { resource: 'endpointslices', namespace: 'default', selector: 's' }
  const other = { resource: 'endpointslices', namespace: 'prod', selector: 's' }
  const reset = { code: 'unavailable', message: 'unreachable: ECONNRESET' }
  const refused = { code: 'unavailable', message: 'unreachable: ECONNREFUSED' }
  const forbidden = { code: 'forbidden', message: 'forbidden: grant it' }
  const said = () => lines.map((l) => `${l.level} ${l.fields.namespace} ${l.fields.code ?? ''}`)

  log.failed(1, slices, reset)
  log.failed(1, slices, refused)
  log.failed(2, slices, refused)
  t.same(said(), ['warn default unavailable'], 'another message of the same kind is no new line')
  log.failed(3, other, refused)
  t.same(said().at(-1), 'warn prod unavailable', 'another namespace is')
  log.failed(1, slices, forbidden)
  t.same(said().at(-1), 'warn default forbidden', 'and so is another kind')
  log.recovered(1, slices)
  log.recovered(3, other)
  t.same(said().slice(3), ['info prod '], 'recovered once no loop of it fails')
  log.recovered(2, slices)
  t.same(said().slice(4), ['info default '])
  t.equal(lines.at(-1)?.fields.was, refused.message, 'the info says what it was')
  log.recovered(2, slices)
  log.failed(4, slices, forbidden)
  log.forget(4)
  log.recovered(4, slices)
  t.same(said().slice(5), ['warn default forbidden'], 'a forgotten loop recovers silently')
})
