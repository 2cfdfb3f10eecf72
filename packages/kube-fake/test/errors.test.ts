// Exact status codes and Status bytes of reference §1–§2.3, over raw HTTP.
import type { JsonObject } from '@switchyard/kube-fake'
import t from 'tap'
import { DTABS, dtab, json, rvOf, send, startWithCrds } from './helpers.js'

const status = (fields: string) => `{"kind":"Status","apiVersion":"v1","metadata":{},${fields}}\n`

t.test('create is 201; a second create of the name is 409 AlreadyExists', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const first = await send(api, 'POST', DTABS, dtab('internal'))
  t.equal(first.status, 201)
  t.equal(first.headers['content-type'], 'application/json')
  const again = await send(api, 'POST', DTABS, dtab('internal'))
  t.equal(again.status, 409)
  t.equal(
    again.body,
    status(
      '"status":"Failure","message":"dtabs.l5d.io \\"internal\\" already exists","reason":"AlreadyExists","details":{"name":"internal","group":"l5d.io","kind":"dtabs"},"code":409',
    ),
  )
})

t.test('PUT: stale RV 409, no RV 422, missing object 404, URL name mismatch 400', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const created = json(await send(api, 'POST', DTABS, dtab('internal')))
  const changed = json(await send(api, 'PUT', `${DTABS}/internal`, { ...created, dentries: [] }))
  t.not(rvOf(changed), rvOf(created))

  const stale = await send(api, 'PUT', `${DTABS}/internal`, {
    ...created,
    dentries: [{ prefix: '/a', dst: '/b' }],
  })
  t.equal(stale.status, 409)
  t.equal(
    stale.body,
    status(
      '"status":"Failure","message":"Operation cannot be fulfilled on dtabs.l5d.io \\"internal\\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"internal","group":"l5d.io","kind":"dtabs"},"code":409',
    ),
  )

  const noRv = await send(api, 'PUT', `${DTABS}/internal`, dtab('internal'))
  t.equal(noRv.status, 422)
  t.equal(
    noRv.body,
    status(
      '"status":"Failure","message":"dtabs.l5d.io \\"internal\\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update","reason":"Invalid","details":{"name":"internal","group":"l5d.io","kind":"dtabs","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 0x0: must be specified for an update","field":"metadata.resourceVersion"}]},"code":422',
    ),
  )

  const missing = await send(api, 'PUT', `${DTABS}/gone`, {
    ...dtab('gone'),
    metadata: { name: 'gone', resourceVersion: '5' },
  })
  t.equal(missing.status, 404)
  t.equal(
    missing.body,
    status(
      '"status":"Failure","message":"dtabs.l5d.io \\"gone\\" not found","reason":"NotFound","details":{"name":"gone","group":"l5d.io","kind":"dtabs"},"code":404',
    ),
  )

  const mismatch = await send(api, 'PUT', `${DTABS}/other`, changed)
  t.equal(mismatch.status, 400)
  t.equal(
    mismatch.body,
    status(
      '"status":"Failure","message":"the name of the object (internal) does not match the name on the URL (other)","reason":"BadRequest","code":400',
    ),
  )
})

t.test('a no-op PUT answers 200 with the same RV and moves no revision', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const created = json(await send(api, 'POST', DTABS, dtab('internal')))
  const before = api.revision
  const same = await send(api, 'PUT', `${DTABS}/internal`, created)
  t.equal(same.status, 200)
  t.equal(rvOf(json(same)), rvOf(created))
  t.equal(api.revision, before)
  t.equal((json(same).metadata as JsonObject).generation, 1)
})

t.test('GET and DELETE of a missing object are 404 NotFound', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  for (const method of ['GET', 'DELETE']) {
    const r = await send(api, method, `${DTABS}/internal`)
    t.equal(r.status, 404, method)
    t.equal(json(r).reason, 'NotFound')
    t.equal(json(r).message, 'dtabs.l5d.io "internal" not found')
  }
})

t.test(
  'DELETE is 200 with a success Status carrying the uid; a bad precondition is 409 naming the kind',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const created = json(await send(api, 'POST', DTABS, dtab('internal')))
    const meta = created.metadata as JsonObject
    const refused = await send(api, 'DELETE', `${DTABS}/internal`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { resourceVersion: '999' },
    })
    t.equal(refused.status, 409)
    t.equal(
      refused.body,
      status(
        `"status":"Failure","message":"Operation cannot be fulfilled on DTab.l5d.io \\"internal\\": the ResourceVersion in the precondition (999) does not match the ResourceVersion in record (${meta.resourceVersion}). The object might have been modified","reason":"Conflict","details":{"name":"internal","group":"l5d.io","kind":"DTab"},"code":409`,
      ),
    )
    const ok = await send(api, 'DELETE', `${DTABS}/internal`, {
      preconditions: { resourceVersion: meta.resourceVersion },
    })
    t.equal(ok.status, 200)
    t.equal(
      ok.body,
      `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"internal","group":"l5d.io","kind":"dtabs","uid":"${meta.uid}"}}\n`,
    )
  },
)

t.test('a create carrying a resourceVersion is a 500 Status without reason', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const r = await send(api, 'POST', DTABS, {
    ...dtab('x'),
    metadata: { name: 'x', resourceVersion: '7' },
  })
  t.equal(r.status, 500)
  t.equal(
    r.body,
    status(
      '"status":"Failure","message":"resourceVersion should not be set on objects to be created","code":500',
    ),
  )
})

t.test('names must be DNS subdomains: 422 Invalid naming the kind', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  const r = await send(api, 'POST', DTABS, { ...dtab('Internal'), metadata: { name: 'Internal' } })
  t.equal(r.status, 422)
  const body = json(r)
  t.match(
    body.message,
    /^DTab\.l5d\.io "Internal" is invalid: metadata\.name: Invalid value: "Internal": a lowercase RFC 1123 subdomain must consist of /,
  )
  t.same((body.details as JsonObject).name, 'Internal')
  t.same((body.details as JsonObject).kind, 'DTab')
  t.same(((body.details as JsonObject).causes as JsonObject[])[0]?.field, 'metadata.name')
  t.equal(api.revision, 0, 'nothing written')
})

t.test('an uninstalled CRD answers the plain-text 404 for every verb', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  api.uninstallCrd('dtabs.l5d.io')
  for (const [method, path] of [
    ['GET', DTABS],
    ['GET', `${DTABS}/internal`],
    ['POST', DTABS],
    ['GET', `${DTABS}?watch=1`],
  ] as const) {
    const r = await send(api, method, path, method === 'POST' ? dtab('x') : undefined)
    t.equal(r.status, 404, `${method} ${path}`)
    t.equal(r.headers['content-type'], 'text/plain; charset=utf-8')
    t.equal(r.body, '404 page not found\n')
  }
})

t.test('forbid gives the 403 Status, before the CRD check; allowAll lifts it', async (t) => {
  const api = await startWithCrds({ user: 'system:serviceaccount:default:namerd' })
  t.teardown(() => api.close())
  api.forbid({ verb: 'list', resource: 'dtabs', group: 'l5d.io' })
  api.forbid({ verb: 'delete', resource: 'dtabs' })
  const list = await send(api, 'GET', DTABS)
  t.equal(list.status, 403)
  t.equal(
    list.body,
    status(
      '"status":"Failure","message":"dtabs.l5d.io is forbidden: User \\"system:serviceaccount:default:namerd\\" cannot list resource \\"dtabs\\" in API group \\"l5d.io\\" in the namespace \\"default\\"","reason":"Forbidden","details":{"group":"l5d.io","kind":"dtabs"},"code":403',
    ),
  )
  const del = await send(api, 'DELETE', `${DTABS}/internal`)
  t.equal(
    json(del).message,
    'dtabs.l5d.io "internal" is forbidden: User "system:serviceaccount:default:namerd" cannot delete resource "dtabs" in API group "l5d.io" in the namespace "default"',
  )
  t.same(json(del).details, { name: 'internal', group: 'l5d.io', kind: 'dtabs' })
  api.uninstallCrd('dtabs.l5d.io')
  t.equal((await send(api, 'GET', DTABS)).status, 403, 'authorization runs before the CRD lookup')
  api.allowAll()
  t.equal((await send(api, 'GET', DTABS)).status, 404)
})

t.test(
  'dryRun is refused with 400 (the fake does not implement it) and writes nothing',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const r = await send(api, 'POST', `${DTABS}?dryRun=All`, dtab('internal'))
    t.equal(r.status, 400)
    t.equal(json(r).message, 'dryRun is not implemented by the fake Kubernetes API server')
    api.put(dtab('internal'))
    const del = await send(api, 'DELETE', `${DTABS}/internal`, { dryRun: ['All'] })
    t.equal(del.status, 400)
    t.not(api.get({ apiVersion: 'l5d.io/v1alpha1', kind: 'DTab', name: 'internal' }), null)
  },
)
