// The route debugger (`/delegator.json`) and the bind work limit, through the real admin
// server: a dtab parameter that makes the delegation exceed the limit is the caller's mistake,
// a 400 with the limit's message, as namerd's delegate answers (`bind_work_limit`); a router
// dtab that exceeds it is not the caller's doing and shows as one exception node.
import t from 'tap'
import { inet, localConfig, recordingBackend, runProxy } from './router-helpers.js'

const SELF_UNION = '/svc/world => /svc/world/a & /svc/world/b'
const LIMIT =
  'Bind work limit reached: binding /svc/world needs more than 1000000 steps (a dentry whose union refers to its own prefix doubles the work at each level)'

async function proxy(t: Parameters<typeof runProxy>[0], extraDtab = '') {
  const world = await recordingBackend(t, 'world')
  const hello = await recordingBackend(t, 'hello')
  return runProxy(
    t,
    localConfig(`/svc/world => ${inet(world.port)}; /svc/hello => ${inet(hello.port)}${extraDtab}`),
  )
}

const query = (path: string, dtab?: string) =>
  `/delegator.json?path=${encodeURIComponent(path)}${dtab === undefined ? '' : `&dtab=${encodeURIComponent(dtab)}`}`

async function post(admin: string, body: Record<string, string>) {
  return fetch(`${admin}/delegator.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

t.test(
  'a dtab parameter that makes the delegation exceed the work limit is a 400 with its message',
  async (t) => {
    const p = await proxy(t)
    for (const dtab of [SELF_UNION, '/ => /a & /b', `/svc/hello => /svc/hello; ${SELF_UNION}`]) {
      const started = performance.now()
      const get = await fetch(`${p.admin}${query('/svc/world', dtab)}`)
      t.equal(get.status, 400, `GET dtab=${dtab}`)
      t.match(get.headers.get('content-type'), /^text\/plain/)
      t.equal(await get.text(), `Invalid dtab: ${LIMIT}\n`)
      t.ok(performance.now() - started < 5000, 'answered within the work bound')
      const posted = await post(p.admin, { namespace: 'outgoing', path: '/svc/world', dtab })
      t.equal(posted.status, 400, `POST dtab=${dtab}`)
      t.equal(await posted.text(), `Invalid dtab: ${LIMIT}\n`)
    }
    // The admin is still there, and a delegation within the limit is answered as before.
    const ok = await fetch(`${p.admin}${query('/svc/world', '/svc/world => /svc/hello')}`)
    t.equal(ok.status, 200)
    // Both dentries match: the override first, the router's dtab as its fallback.
    t.match(await ok.json(), { type: 'alt', path: '/svc/world', alt: [{ path: '/svc/hello' }, {}] })
    t.equal((await fetch(`${p.admin}/admin/ping`)).status, 200)
  },
)

t.test(
  'a router dtab that exceeds the work limit shows as one exception node, with or without a dtab parameter',
  async (t) => {
    const p = await proxy(t, `; ${SELF_UNION}`)
    const exception = { type: 'exception', path: '/svc/world', message: LIMIT }
    const plain = await fetch(`${p.admin}${query('/svc/world')}`)
    t.equal(plain.status, 200)
    t.match(await plain.json(), exception)
    // The parameter is not to blame: the router's dtab alone reaches the limit.
    const withDtab = await fetch(`${p.admin}${query('/svc/world', '/svc/other => /svc/hello')}`)
    t.equal(withDtab.status, 200)
    t.match(await withDtab.json(), exception)
    const posted = await post(p.admin, { path: '/svc/world', dtab: SELF_UNION })
    t.equal(posted.status, 200)
    t.match(await posted.json(), exception)
    // Other names still delegate.
    const hello = await fetch(`${p.admin}${query('/svc/hello')}`)
    t.equal(hello.status, 200)
    t.match(await hello.json(), { type: 'delegate', path: '/svc/hello' })
  },
)
