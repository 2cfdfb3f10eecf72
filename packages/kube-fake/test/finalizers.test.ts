// Finalizers as kube-apiserver's registry has them: a DELETE of an object with finalizers marks
// it (deletionTimestamp) and answers 200 with it; it stays until an update empties its
// finalizers, which deletes it. And Kubernetes namespaces that do not exist, when asked for.
import type { JsonObject } from '@switchyard/kube-fake'
import t from 'tap'
import { DTABS, dtab, json, metaOf, openWatch, rvOf, send, startWithCrds } from './helpers.js'

const held = (name: string) =>
  dtab(name, { metadata: { name, namespace: 'default', finalizers: ['example.com/keep'] } })

t.test(
  'DELETE of an object with a finalizer: 200 with the object marked, a MODIFIED event; it stays',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    const created = json(await send(api, 'POST', DTABS, held('internal')))
    const watch = await openWatch(api, `${DTABS}?watch=1&resourceVersion=${rvOf(created)}`)
    t.teardown(() => watch.close())
    const deleted = await send(api, 'DELETE', `${DTABS}/internal`)
    t.equal(deleted.status, 200)
    const body = json(deleted)
    t.equal(body.kind, 'DTab', 'the object, not a Status')
    t.match(metaOf(body), {
      deletionTimestamp: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      deletionGracePeriodSeconds: 0,
      finalizers: ['example.com/keep'],
    })
    t.not(rvOf(body), rvOf(created), 'a new resourceVersion')
    await watch.waitLines(1)
    t.match(watch.events(), [
      { type: 'MODIFIED', object: { metadata: { deletionTimestamp: String } } },
    ])
    const got = await send(api, 'GET', `${DTABS}/internal`)
    t.equal(got.status, 200, 'still there')
    const again = await send(api, 'DELETE', `${DTABS}/internal`)
    t.equal(again.status, 200)
    t.equal(rvOf(json(again)), rvOf(body), 'a second delete changes nothing')
    const create = await send(api, 'POST', DTABS, dtab('internal'))
    t.equal(create.status, 409, 'the name is still taken')
  },
)

t.test(
  'an update keeps the deletionTimestamp, may not add a finalizer, and deletes the object once they are gone',
  async (t) => {
    const api = await startWithCrds()
    t.teardown(() => api.close())
    await send(api, 'POST', DTABS, held('internal'))
    const marked = json(await send(api, 'DELETE', `${DTABS}/internal`))
    const meta = metaOf(marked)

    const edited = await send(api, 'PUT', `${DTABS}/internal`, {
      ...marked,
      metadata: { ...meta, deletionTimestamp: undefined },
      dentries: [],
    })
    t.equal(edited.status, 200)
    const after = json(edited)
    t.equal(metaOf(after).deletionTimestamp, meta.deletionTimestamp, 'kept')

    const adding = await send(api, 'PUT', `${DTABS}/internal`, {
      ...after,
      metadata: { ...metaOf(after), finalizers: ['example.com/keep', 'example.com/more'] },
    })
    t.equal(adding.status, 422)
    t.match(json(adding), {
      reason: 'Invalid',
      message:
        'DTab.l5d.io "internal" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/more"}',
    })

    const watch = await openWatch(api, `${DTABS}?watch=1&resourceVersion=${rvOf(after)}`)
    t.teardown(() => watch.close())
    const cleared = await send(api, 'PUT', `${DTABS}/internal`, {
      ...after,
      metadata: { ...metaOf(after), finalizers: [] },
    })
    t.equal(cleared.status, 200)
    await watch.waitLines(1)
    const [event] = watch.events()
    t.equal(event?.type, 'DELETED')
    t.ok(Number(rvOf(event?.object)) > Number(rvOf(after)), "the deletion's resourceVersion")
    t.equal((await send(api, 'GET', `${DTABS}/internal`)).status, 404, 'gone')
    t.equal((await send(api, 'POST', DTABS, dtab('internal'))).status, 201, 'the name is free')
  },
)

t.test('an object without finalizers is deleted at once, as before', async (t) => {
  const api = await startWithCrds()
  t.teardown(() => api.close())
  await send(api, 'POST', DTABS, dtab('internal'))
  const deleted = await send(api, 'DELETE', `${DTABS}/internal`)
  t.equal(deleted.status, 200)
  t.match(json(deleted), { kind: 'Status', status: 'Success' })
  t.equal((await send(api, 'GET', `${DTABS}/internal`)).status, 404)
})

t.test(
  'with the namespaces option, a create in a Kubernetes namespace that does not exist is 404',
  async (t) => {
    const api = await startWithCrds({ namespaces: ['default'] })
    t.teardown(() => api.close())
    const path = '/apis/l5d.io/v1alpha1/namespaces/nosuch/dtabs'
    const refused = await send(api, 'POST', path, {
      ...dtab('internal'),
      metadata: { name: 'internal', namespace: 'nosuch' },
    })
    t.equal(refused.status, 404)
    t.equal(
      refused.body,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \\"nosuch\\" not found","reason":"NotFound","details":{"name":"nosuch","kind":"namespaces"},"code":404}\n',
    )
    const list = json(await send(api, 'GET', path))
    t.same(list.items as JsonObject[], [], 'lists there are empty')
    t.equal((await send(api, 'POST', DTABS, dtab('internal'))).status, 201, 'default exists')
    api.addNamespace('nosuch')
    const created = await send(api, 'POST', path, {
      ...dtab('internal'),
      metadata: { name: 'internal', namespace: 'nosuch' },
    })
    t.equal(created.status, 201, 'once it exists')
  },
)
