// GET /api/1/whoami: what the caller may do, for the dashboard to ask for a token only when one
// is needed and to disable what a read token cannot do. Open to all; a wrong token is a 401.
import { Whoami } from '@switchyard/wire'
import t from 'tap'
import { startServer } from './helpers.js'

const TOKENS = [
  { name: 'ci', token: 'w-secret', scope: 'write' as const },
  { name: 'viewer', token: 'r-secret', scope: 'read' as const },
]

async function ask(base: string, token?: string) {
  const res = await fetch(`${base}/api/1/whoami`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })
  return { status: res.status, body: (await res.json()) as unknown, res }
}

t.test('without tokens configured, anyone may do everything', async (t) => {
  const { base } = await startServer(t)
  const { status, body, res } = await ask(base)
  t.equal(status, 200)
  t.equal(res.headers.get('content-type'), 'application/json')
  t.same(Whoami.parse(body), {
    name: null,
    scope: 'write',
    readGuarded: false,
    writeGuarded: false,
  })
})

t.test('with tokens: no token is scope none, and each token is named with its scope', async (t) => {
  const { base } = await startServer(t, { auth: { tokens: TOKENS } })
  t.same((await ask(base)).body, {
    name: null,
    scope: 'none',
    readGuarded: true,
    writeGuarded: true,
  })
  t.same((await ask(base, 'r-secret')).body, {
    name: 'viewer',
    scope: 'read',
    readGuarded: true,
    writeGuarded: true,
  })
  t.same((await ask(base, 'w-secret')).body, {
    name: 'ci',
    scope: 'write',
    readGuarded: true,
    writeGuarded: true,
  })
})

t.test('with anonymous reads, no token may read but not write', async (t) => {
  const { base } = await startServer(t, { auth: { tokens: TOKENS, anonymousReads: true } })
  t.same((await ask(base)).body, {
    name: null,
    scope: 'read',
    readGuarded: false,
    writeGuarded: true,
  })
})

t.test(
  'a wrong or malformed token is a 401 with a challenge, not an anonymous answer',
  async (t) => {
    const { base } = await startServer(t, { auth: { tokens: TOKENS, anonymousReads: true } })
    const wrong = await ask(base, 'not-a-token')
    t.equal(wrong.status, 401)
    t.match(wrong.res.headers.get('www-authenticate'), /error="invalid_token"/)
    t.match(wrong.body, { error: 'unauthorized', message: /not valid/ })
    const res = await fetch(`${base}/api/1/whoami`, { headers: { authorization: 'Basic abc' } })
    t.equal(res.status, 401)
  },
)

t.test('hostile: an over-long or control-character token is refused, never echoed', async (t) => {
  const { base } = await startServer(t, { auth: { tokens: TOKENS } })
  for (const token of ['x'.repeat(8000), 'a\u0001b']) {
    const res = await fetch(`${base}/api/1/whoami`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch((err: unknown) => err as Error)
    // fetch itself refuses a control character in a header; namerd must refuse the rest.
    if (res instanceof Error) continue
    t.ok(res.status === 401 || res.status === 431, `status ${res.status}`)
    t.notMatch(await res.text(), token.slice(0, 100))
  }
})
