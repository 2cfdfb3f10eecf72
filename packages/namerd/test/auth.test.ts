// Bearer tokens: 401 for no or a bad token, 403 for a token without the scope, both with
// WWW-Authenticate; open on loopback with no tokens, as namerd; refusing to start off loopback
// without a write token unless --insecure.
import t from 'tap'
import { runNamerd, startProcess, startServer } from './helpers.js'

const WRITE = `${'w'.repeat(16)}-write-secret`
const READ = `${'r'.repeat(16)}-read-secret`
const tokens = [
  { name: 'ci', scope: 'write' as const, token: WRITE },
  { name: 'grafana', scope: 'read' as const, token: READ },
]

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
) {
  const write = method === 'PUT' || method === 'POST'
  const res = await fetch(`${base}${path}`, {
    method,
    headers: write ? { 'content-type': 'application/dtab', ...headers } : headers,
    body: write ? '/a => /b' : undefined,
  })
  const text = await res.text()
  return { status: res.status, challenge: res.headers.get('www-authenticate'), text }
}

t.test('with no tokens everything is open, as in namerd', async (t) => {
  const { base } = await startServer(t)
  t.equal((await call(base, 'PUT', '/api/1/dtabs/web')).status, 204)
  t.equal((await call(base, 'GET', '/api/1/dtabs/web')).status, 200)
  t.equal(
    (await call(base, 'GET', '/api/1/dtabs/web', bearer('whatever-it-is-ignored'))).status,
    200,
  )
})

t.test('a write token guards writes, and reads too: every token can read', async (t) => {
  const { base } = await startServer(t, { auth: { tokens: [tokens[0]!] } })
  let r = await call(base, 'PUT', '/api/1/dtabs/web')
  t.equal(r.status, 401, 'no token')
  t.equal(r.challenge, 'Bearer realm="namerd"')
  t.match(JSON.parse(r.text), { error: 'unauthorized', message: /Authorization: Bearer/ })

  r = await call(base, 'PUT', '/api/1/dtabs/web', bearer('not-the-token-at-all'))
  t.equal(r.status, 401, 'a wrong token')
  t.equal(r.challenge, 'Bearer realm="namerd", error="invalid_token"')

  r = await call(base, 'PUT', '/api/1/dtabs/web', { authorization: `Basic ${btoa('ci:x')}` })
  t.equal(r.status, 401, 'not a bearer token')
  t.equal(r.challenge, 'Bearer realm="namerd", error="invalid_request"')

  t.equal((await call(base, 'PUT', '/api/1/dtabs/web', bearer(WRITE))).status, 204)
  t.equal(
    (await call(base, 'GET', '/api/1/dtabs/web')).status,
    401,
    'no anonymous reads by default',
  )
  const history = JSON.parse(
    (await call(base, 'GET', '/api/1/dtabs/web/history', bearer(WRITE))).text,
  ) as {
    who: string
  }[]
  t.equal(history[0]!.who, 'ci', 'history names the token that wrote')
})

t.test('with a read token, reads need a token too, and a read token cannot write', async (t) => {
  const { base } = await startServer(t, { auth: { tokens } })
  t.equal((await call(base, 'PUT', '/api/1/dtabs/web', bearer(WRITE))).status, 204)

  let r = await call(base, 'GET', '/api/1/dtabs/web')
  t.equal(r.status, 401)
  t.equal(r.challenge, 'Bearer realm="namerd"')
  t.equal((await call(base, 'GET', '/api/1/dtabs/web', bearer(READ))).status, 200)
  t.equal(
    (await call(base, 'GET', '/api/1/dtabs/web', bearer(WRITE))).status,
    200,
    'write implies read',
  )
  t.equal((await call(base, 'GET', '/api/1/dtabs/web?watch=1', {})).status, 401, 'watches too')
  t.equal((await call(base, 'GET', '/api/1/delegate/web?path=/a')).status, 401, 'resolution too')

  r = await call(base, 'PUT', '/api/1/dtabs/web', bearer(READ))
  t.equal(r.status, 403)
  t.equal(r.challenge, 'Bearer realm="namerd", error="insufficient_scope", scope="write"')
  t.same(JSON.parse(r.text), {
    error: 'forbidden',
    message: 'the token "grafana" may read but not write',
  })
  t.equal((await call(base, 'DELETE', '/api/1/dtabs/web', bearer(READ))).status, 403)

  for (const path of ['/admin/ping', '/ready', '/metrics']) {
    t.equal((await call(base, 'GET', path)).status, 200, `${path} is open`)
  }
})

t.test('anonymousReads opens reads for Linkerd 1 proxies, which cannot send a token', async (t) => {
  const { base } = await startServer(t, { auth: { tokens, anonymousReads: true } })
  t.equal((await call(base, 'PUT', '/api/1/dtabs/web')).status, 401)
  t.equal((await call(base, 'PUT', '/api/1/dtabs/web', bearer(WRITE))).status, 204)
  t.equal((await call(base, 'GET', '/api/1/dtabs/web')).status, 200)
  t.equal((await call(base, 'GET', '/api/1/bind/web?path=/a')).status, 200)
})

t.test('off loopback, namerd refuses to start without a write token', async (t) => {
  const refused = await runNamerd(['--store', 'memory', '--listen', '0.0.0.0:0'])
  t.equal(refused.code, 2)
  t.match(
    refused.stderr,
    /refusing to serve on 0\.0\.0\.0, which is not a loopback address, without a write token/,
  )
  t.match(refused.stderr, /--insecure/)

  const readOnly = await runNamerd(['--store', 'memory', '--listen', '0.0.0.0:0'], {
    SWITCHYARD_NAMERD_TOKENS: `grafana:read:${READ}`,
  })
  t.equal(readOnly.code, 2, 'a read token is not enough')

  const insecure = await startProcess(t, [
    '--store',
    'memory',
    '--listen',
    '0.0.0.0:0',
    '--insecure',
  ])
  t.match(insecure.output.join('\n'), /--insecure: writes need no token/)
  t.equal(await insecure.stop(), 0)

  const guarded = await startProcess(t, ['--store', 'memory', '--listen', '0.0.0.0:0'], {
    SWITCHYARD_NAMERD_TOKENS: `ci:write:${WRITE},grafana:read:${READ}`,
  })
  const base = guarded.base.replace('0.0.0.0', '127.0.0.1')
  t.equal((await call(base, 'PUT', '/api/1/dtabs/web')).status, 401)
  t.equal((await call(base, 'PUT', '/api/1/dtabs/web', bearer(WRITE))).status, 204)
  t.equal((await call(base, 'GET', '/api/1/dtabs/web', bearer(READ))).status, 200)
  t.equal(await guarded.stop(), 0)
})
