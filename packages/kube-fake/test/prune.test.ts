// Schema pruning per the installed CRD, on write and on read (reference §1 field validation, §5):
// the narrow-schema data loss a real 1.26 cluster showed, reproduced step by step.
import type { JsonObject } from '@switchyard/kube-fake'
import t from 'tap'
import { DTABS, json, metaOf, rvOf, send, startWithCrds } from './helpers.js'

const NAMERD_BODY = {
  apiVersion: 'l5d.io/v1alpha1',
  kind: 'DTab',
  metadata: { name: 'internal', namespace: 'default' },
  dentries: [{ prefix: '/svc', dst: '/#/io.l5d.k8s/default/http' }],
}

function dtabsCrd(schema: JsonObject): JsonObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'dtabs.l5d.io' },
    spec: {
      group: 'l5d.io',
      scope: 'Namespaced',
      names: { plural: 'dtabs', singular: 'dtab', kind: 'DTab' },
      versions: [
        { name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: schema } },
      ],
    },
  }
}

const NARROW = dtabsCrd({ type: 'object' })

t.test(
  "namerd's create body keeps dentries under deploy/crd's schema, served with sorted keys",
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const r = await send(api, 'POST', DTABS, NAMERD_BODY)
    t.equal(r.status, 201)
    t.equal(r.headers.warning, undefined)
    const got = json(await send(api, 'GET', `${DTABS}/internal`))
    t.same(got.dentries, [{ dst: '/#/io.l5d.k8s/default/http', prefix: '/svc' }])
    t.same(Object.keys(got), ['apiVersion', 'dentries', 'kind', 'metadata'])
    t.same(Object.keys((got.dentries as JsonObject[])[0] ?? {}), ['dst', 'prefix'])
    const meta = metaOf(got)
    t.equal(meta.generation, 1)
    t.match(meta.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    t.match(meta.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  },
)

t.test(
  'a too-narrow schema: the stored object is served without dentries (same RV), new writes lose them',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const created = json(await send(api, 'POST', DTABS, NAMERD_BODY))
    api.installCrd(NARROW)

    const read = json(await send(api, 'GET', `${DTABS}/internal`))
    t.equal(read.dentries, undefined, 'pruned on read')
    t.equal(rvOf(read), rvOf(created), 'a read does not write')

    const other = await send(api, 'POST', DTABS, { ...NAMERD_BODY, metadata: { name: 'other' } })
    t.equal(other.status, 201)
    t.same(other.warnings, ['299 - "unknown field \\"dentries\\""'])
    t.equal(json(other).dentries, undefined)

    const strict = await send(api, 'POST', `${DTABS}?fieldValidation=Strict`, {
      ...NAMERD_BODY,
      metadata: { name: 'strict' },
    })
    t.equal(strict.status, 400)
    t.equal(
      strict.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"DTab in version \\"v1alpha1\\" cannot be handled as a DTab: strict decoding error: unknown field \\"dentries\\"","reason":"BadRequest","code":400}\n',
    )

    const ignored = await send(api, 'POST', `${DTABS}?fieldValidation=Ignore`, {
      ...NAMERD_BODY,
      metadata: { name: 'ignored' },
    })
    t.equal(ignored.status, 201)
    t.equal(ignored.headers.warning, undefined)

    // A metadata-only merge patch under the narrow schema persists the loss (generation stays 1).
    const labelled = await send(
      api,
      'PATCH',
      `${DTABS}/internal`,
      { metadata: { labels: { a: 'b' } } },
      {
        'content-type': 'application/merge-patch+json',
      },
    )
    t.equal(labelled.status, 200)
    t.equal(metaOf(json(labelled)).generation, 1)

    await api.installCrdsFrom(new URL('../../../deploy/crd', import.meta.url).pathname)
    const restored = json(await send(api, 'GET', `${DTABS}/other`))
    t.equal(restored.dentries, undefined, 'created under the narrow schema: never stored')
    const lost = json(await send(api, 'GET', `${DTABS}/internal`))
    t.equal(lost.dentries, undefined, 'the metadata write persisted the loss')
  },
)

t.test('putting the wide schema back makes unwritten objects whole again', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  await send(api, 'POST', DTABS, NAMERD_BODY)
  api.installCrd(NARROW)
  t.equal(
    api.get({ apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', name: 'internal' })?.dentries,
    undefined,
  )
  await api.installCrdsFrom(new URL('../../../deploy/crd', import.meta.url).pathname)
  t.same(api.get({ apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', name: 'internal' })?.dentries, [
    { dst: '/#/io.l5d.k8s/default/http', prefix: '/svc' },
  ])
})

t.test(
  'unknown fields are dropped at every level with one Warning each; preserve-unknown-fields keeps them',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const r = await send(api, 'POST', DTABS, {
      ...NAMERD_BODY,
      spec: { x: 1 },
      metadata: { name: 'internal', bogus: 'y' },
      dentries: [{ prefix: '/svc', dst: '/a', weight: 2 }],
    })
    t.equal(r.status, 201)
    t.same(r.warnings.sort(), [
      '299 - "unknown field \\"dentries[0].weight\\""',
      '299 - "unknown field \\"metadata.bogus\\""',
      '299 - "unknown field \\"spec\\""',
    ])
    const body = json(r)
    t.equal(body.spec, undefined)
    t.same(body.dentries, [{ dst: '/a', prefix: '/svc' }])
    t.equal(metaOf(body).bogus, undefined)

    const history = await send(
      api,
      'POST',
      '/apis/switchyard.io/v1alpha1/namespaces/default/dtabhistories',
      {
        apiVersion: 'switchyard.io/v1alpha1',
        kind: 'DTabHistory',
        metadata: { name: 'internal' },
        entries: [{ version: '3', dtab: '/a=>/b', anything: { nested: true } }],
        extra: 1,
      },
    )
    t.equal(history.status, 201)
    t.same(json(history).entries, [{ anything: { nested: true }, dtab: '/a=>/b', version: '3' }])
    t.equal(json(history).extra, undefined)
    t.same(history.warnings, ['299 - "unknown field \\"extra\\""'])
  },
)

t.test(
  'pruning follows the schema: additionalProperties, nested preserve-unknown-fields, embedded resources',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    api.installCrd({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Cluster',
        names: { plural: 'widgets', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: {
                      byName: {
                        type: 'object',
                        additionalProperties: {
                          type: 'object',
                          properties: { n: { type: 'integer' } },
                        },
                      },
                      free: {
                        type: 'object',
                        'x-kubernetes-preserve-unknown-fields': true,
                        properties: {
                          strict: { type: 'object', properties: { k: { type: 'string' } } },
                        },
                      },
                      list: { type: 'array', items: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    })
    const stored = api.put({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: {
        byName: { a: { n: 1, drop: 2 }, b: { n: 2 } },
        free: { anything: [1, { x: 2 }], strict: { k: 'v', drop: 3 } },
        list: ['x', 'y'],
        unknown: true,
      },
    })
    t.same(stored.spec, {
      byName: { a: { n: 1 }, b: { n: 2 } },
      free: { anything: [1, { x: 2 }], strict: { k: 'v' } },
      list: ['x', 'y'],
    })
    t.equal(metaOf(stored).namespace, undefined, 'cluster-scoped objects have no namespace')
    const r = await send(api, 'GET', '/apis/example.com/v1/widgets/w')
    t.equal(r.status, 200)
    t.equal(
      (await send(api, 'GET', '/apis/example.com/v1/namespaces/default/widgets/w')).status,
      404,
    )
  },
)
