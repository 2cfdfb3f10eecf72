// Dtabs that once stopped namerd: a self-referring union (exponential binding), a weight that
// overflows a double (stored as Infinity, then unreadable), thousands of nested parentheses
// (a stack overflow). Each is refused with a 400 when it is the request's, and a stored one
// fails only the names it reaches.
import t from 'tap'
import { startServer } from './helpers.js'

const SELF_UNION = '/svc/world => /svc/world/a & /svc/world/b'
const LIMIT_MESSAGE = (path: string) =>
  `Bind work limit reached: binding ${path} needs more than 1000000 steps (a dentry whose union refers to its own prefix doubles the work at each level)`

/** A namerd in this process, and requests to it that give up after 10 s (namerd froze before). */
async function namerd(t: Parameters<typeof startServer>[0]) {
  const app = await startServer(t)
  const request = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(`${app.base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) })
    return { status: r.status, headers: r.headers, body: await r.text() }
  }
  const put = (ns: string, dtab: string) =>
    request(`/api/1/dtabs/${ns}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/dtab' },
      body: dtab,
    })
  return { ...app, request, put }
}

const q = (s: string) => encodeURIComponent(s)

t.test('a stored self-referring union fails its own name; other names still resolve', async (t) => {
  const { request, put } = await namerd(t)
  const r = await put('web', `${SELF_UNION}; /svc/hello => /$/inet/127.0.0.1/8080`)
  t.equal(r.status, 204, 'a loop is legal dtab syntax, as in Finagle')

  for (const api of ['resolve', 'bind']) {
    const failed = await request(`/api/1/${api}/web?path=/svc/world`)
    t.equal(failed.status, 500, `${api} of the looping name`)
    t.same(JSON.parse(failed.body), { error: 'bind_failed', message: LIMIT_MESSAGE('/svc/world') })
  }
  const hello = await request('/api/1/resolve/web?path=/svc/hello')
  t.equal(hello.status, 200)
  t.equal(
    hello.body,
    '{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8080,"meta":{}}],"meta":{}}\n',
  )

  const delegated = await request('/api/1/delegate/web?path=/svc/world')
  t.equal(delegated.status, 200, 'delegate shows the failure as an exception node')
  t.equal(
    delegated.body,
    `{"type":"exception","path":"/svc/world","message":"${LIMIT_MESSAGE('/svc/world')}"}`,
  )
  t.equal((await request('/api/1/dtabs/web')).status, 200, 'the namespace still reads')
})

t.test(
  'a self-referring union in ?dtab= is a 400, and namerd answers the next request',
  async (t) => {
    const { request, put } = await namerd(t)
    t.equal((await put('web', '/svc/hello => /$/inet/127.0.0.1/8080')).status, 204)
    const extra = q('/ => /a & /b')
    for (const api of ['resolve', 'bind']) {
      const r = await request(`/api/1/${api}/web?path=/svc/world&dtab=${extra}`)
      t.equal(r.status, 400, api)
      t.same(JSON.parse(r.body), { error: 'bind_work_limit', message: LIMIT_MESSAGE('/svc/world') })
    }
    const delegated = await request(`/api/1/delegate/web?path=/svc/world&dtab=${extra}`)
    t.equal(delegated.status, 400)
    t.same(JSON.parse(delegated.body), {
      error: 'bind_work_limit',
      message: LIMIT_MESSAGE('/svc/world'),
    })
    const posted = await request('/api/1/delegate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: 'web', dtab: SELF_UNION, path: '/svc/world' }),
    })
    t.equal(posted.status, 400, 'a POSTed dtab is the request’s too')
    t.match(JSON.parse(posted.body), { error: 'bind_work_limit' })

    // Both at once: the hostile request does not hold up the plain one.
    const [hostile, plain] = await Promise.all([
      request(`/api/1/resolve/web?path=/svc/world&dtab=${extra}`),
      request('/api/1/resolve/web?path=/svc/hello'),
    ])
    t.equal(hostile.status, 400)
    t.equal(plain.status, 200)
  },
)

t.test('the namespace is to blame when its own dtab loops, whatever ?dtab= adds', async (t) => {
  const { request, put } = await namerd(t)
  t.equal((await put('web', SELF_UNION)).status, 204)
  const r = await request(`/api/1/resolve/web?path=/svc/world&dtab=${q('/x => /y')}`)
  t.equal(r.status, 500)
  t.match(JSON.parse(r.body), { error: 'bind_failed' })
})

const NINES = '9'.repeat(400)

t.test(
  'a weight that overflows a double is refused with its offset; nothing is stored',
  async (t) => {
    const { request, put } = await namerd(t)
    const dtab = `/svc => ${NINES} * /b & /c`
    let r = await put('web', dtab)
    t.equal(r.status, 400)
    t.equal(r.headers.get('dtab-error-offset'), '8')
    t.equal(
      r.body,
      `weight too large: ${NINES} is not a finite number at '/svc => [9]${NINES.slice(1)} * /b & /c'`,
    )
    t.equal((await request('/api/1/dtabs/web')).status, 404, 'nothing stored')

    // Over an existing dtab: it stays as it was.
    t.equal((await put('web', '/svc => /b')).status, 204)
    t.equal((await put('web', dtab)).status, 400)
    r = await request('/api/1/dtabs/web', { headers: { accept: 'application/dtab' } })
    t.equal(r.body, '/svc=>/b\n')

    r = await request('/api/1/dtabs/other', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ prefix: '/svc', dst: `${NINES} * /b & /c` }]),
    })
    t.equal(r.status, 400, 'in JSON too')
    t.match(JSON.parse(r.body), { error: 'invalid_dtab', message: /weight too large/ })
    t.equal((await request('/api/1/dtabs/other')).status, 404)

    r = await request(`/api/1/resolve/web?path=/svc&dtab=${q(dtab)}`)
    t.equal(r.status, 400, 'as ?dtab=')
    t.match(JSON.parse(r.body), { error: 'invalid_dtab', offset: 8 })
  },
)

t.test(
  'thousands of nested parentheses are a 400 with the offset, not a stack overflow',
  async (t) => {
    const { request, put } = await namerd(t)
    const deep = `/svc => ${'('.repeat(5_000)}/a${')'.repeat(5_000)}`
    let r = await put('web', deep)
    t.equal(r.status, 400)
    t.equal(r.headers.get('dtab-error-offset'), String(8 + 100))
    t.match(r.body, /^nesting too deep: more than 100 levels of '\(' at /)
    t.equal((await request('/api/1/dtabs/web')).status, 404, 'nothing stored')

    r = await request('/api/1/dtabs/web', {
      method: 'POST',
      headers: { 'content-type': 'application/dtab' },
      body: deep,
    })
    t.equal(r.status, 400)
    t.match(JSON.parse(r.body), { error: 'invalid_dtab', offset: 108 })

    r = await request(`/api/1/resolve/web?path=/svc&dtab=${q(deep)}`)
    t.equal(r.status, 400)
    t.match(JSON.parse(r.body), { error: 'invalid_dtab', offset: 108 })
    r = await request(`/api/1/delegate?path=/svc&dtab=${q(deep)}`)
    t.equal(r.status, 400)
    t.match(r.body, /^Invalid dtab: nesting too deep/)
    // 100 levels are fine.
    r = await put('web', `/svc => ${'('.repeat(100)}/a & /b${')'.repeat(100)}`)
    t.equal(r.status, 204)
  },
)

/** `/s0 => /$/inet/127.0.0.1/8 & (... & /s1)`: `levels` unions deep, `rewrites` times. */
function deepChain(rewrites: number, levels: number): string {
  return Array.from({ length: rewrites }, (_, k) => {
    const next = k + 1 < rewrites ? `/s${k + 1}` : '/$/inet/127.0.0.1/9'
    const open = '/$/inet/127.0.0.1/8 & ('.repeat(levels - 1)
    return `/s${k} => ${open}/$/inet/127.0.0.1/8 & ${next}${')'.repeat(levels - 1)}`
  }).join(';\n')
}

t.test(
  'the deepest tree a bind can return is rendered by bind, resolve and delegate',
  async (t) => {
    const { request, put } = await namerd(t)
    // 9 rewrites through unions nested 99 deep: about 900 levels, under the bind's 1,000.
    t.equal((await put('deep', deepChain(9, 99))).status, 204)
    const bound = await request('/api/1/bind/deep?path=/s0')
    t.equal(bound.status, 200)
    type Node = { type: string; union?: { tree: Node }[] }
    let depth = 0
    for (let n = JSON.parse(bound.body) as Node; n.type === 'union'; n = n.union![1]!.tree) depth++
    t.ok(depth > 850, `a bound tree ${depth} unions deep`)
    t.equal((await request('/api/1/resolve/deep?path=/s0')).status, 200)
    const delegated = await request('/api/1/delegate/deep?path=/s0')
    t.equal(delegated.status, 200)
    t.not(JSON.parse(delegated.body).type, 'exception')

    // 20 rewrites of 100 levels would be 2,000: the name fails, namerd does not.
    t.equal((await put('deeper', deepChain(20, 100))).status, 204)
    const failed = await request('/api/1/bind/deeper?path=/s0')
    t.equal(failed.status, 500)
    t.same(JSON.parse(failed.body), {
      error: 'bind_failed',
      message: 'Bind work limit reached: binding /s0 nests deeper than 1000 levels',
    })
  },
)
