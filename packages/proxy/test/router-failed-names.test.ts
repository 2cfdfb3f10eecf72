// A name whose namer cannot reach its source (the io.l5d.k8s namer with the Kubernetes API
// away, or refused by RBAC) is a 502 that says so, with the namer's cause, where it used to
// read "no endpoints" as if the Service had no ready pods. A Service with no ready pods still
// reads "no endpoints". The real namer against the fake API server, the real proxy.
import { FakeKubeApi } from '@switchyard/kube-fake'
import t from 'tap'
import { deadPort } from './forward-helpers.js'
import { localConfig, runProxy, send } from './router-helpers.js'

const ID = '/#/io.l5d.k8s/default/http/world'

/** `l5d-err` decoded as Java's URLDecoder would (`+` is a space). */
const l5dErr = (h: Record<string, string | string[] | undefined>) =>
  decodeURIComponent(String(h['l5d-err'] ?? '').replace(/\+/g, ' '))

function k8sConfig(port: number) {
  return localConfig(
    '/svc => /#/io.l5d.k8s/default/http',
    {},
    { namers: [{ kind: 'io.l5d.k8s', host: '127.0.0.1', port }] },
  )
}

t.test('the Kubernetes API unreachable: the 502 names the failed name and why', async (t) => {
  const port = await deadPort()
  const p = await runProxy(t, k8sConfig(port))
  const r = await send(p.port, { headers: { host: 'world' } })
  t.equal(r.status, 502)
  t.ok(r.body.startsWith('Unable to route request!\n\nservice name: /svc/world\n'), r.body)
  t.match(
    r.body,
    new RegExp(
      `\\nreason: ${ID} failed: the Kubernetes API at http://127\\.0\\.0\\.1:${port} is unreachable[^\\n]*\\ndtab:\\n`,
    ),
  )
  t.notMatch(r.body, 'no endpoints')
  t.equal(l5dErr(r.headers), r.body, 'l5d-err carries the same message')
  t.equal(r.headers['l5d-retryable'], 'true', 'it never reached a backend')
})

t.test('RBAC refusing the namer: the 502 carries the 403 and what to grant', async (t) => {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  api.forbid({ verb: '*', resource: 'services' })
  const p = await runProxy(t, k8sConfig(Number(new URL(api.url).port)))
  const r = await send(p.port, { headers: { host: 'world' } })
  t.equal(r.status, 502)
  t.match(r.body, new RegExp(`\\nreason: ${ID} failed: forbidden: [^\\n]*\\(RBAC\\)`))
  t.match(r.body, 'grant it in deploy/base/rbac.yaml')
  t.match(l5dErr(r.headers), `reason: ${ID} failed: forbidden: `)
})

t.test('a Service with no ready pods is still "no endpoints"', async (t) => {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  api.put({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'world', namespace: 'default' },
    spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  })
  const p = await runProxy(t, k8sConfig(Number(new URL(api.url).port)))
  const r = await send(p.port, { headers: { host: 'world' } })
  t.equal(r.status, 502)
  t.match(r.body, '\nreason: no endpoints\n')
})
