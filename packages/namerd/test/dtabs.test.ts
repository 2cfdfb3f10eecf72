// The dtab API in detail: namerd's own test cases for /api/1/dtabs, then our additions
// (If-Match on DELETE, history, restore).
import { openMemoryStore } from '@switchyard/store'
import t from 'tap'
import { startServer } from './helpers.js'

const bodies: [string, string][] = [
  ['application/json', '[{"prefix":"/yeezy","dst":"/kanye"}]'],
  ['application/json;charset=UTF-8', '[{"prefix":"/yeezy","dst":"/kanye"}]'],
  ['text/plain', '/yeezy => /kanye'],
  ['application/dtab', '/yeezy => /kanye'],
  ['Application/DTAB; charset=utf-8', '/yeezy => /kanye'],
]

const seeded = () =>
  openMemoryStore({ namespaces: { yeezus: '/yeezy => /yeezus', tlop: '/yeezy => /pablo' } })

async function text(base: string, ns: string): Promise<string> {
  return (
    await fetch(`${base}/api/1/dtabs/${ns}`, { headers: { accept: 'application/dtab' } })
  ).text()
}

for (const [type, body] of bodies) {
  t.test(
    `Content-Type ${type}: POST creates, PUT replaces, PUT with If-Match compares`,
    async (t) => {
      const { base } = await startServer(t, { store: seeded() })
      const send = (method: string, ns: string, headers: Record<string, string> = {}) =>
        fetch(`${base}/api/1/dtabs/${ns}`, {
          method,
          headers: { 'content-type': type, ...headers },
          body,
        })

      t.equal((await send('POST', 'graduation')).status, 204)
      t.equal(await text(base, 'graduation'), '/yeezy=>/kanye\n')
      t.equal((await send('PUT', 'tlop')).status, 204, 'PUT without If-Match replaces')
      t.equal((await send('PUT', 'new')).status, 204, 'PUT without If-Match creates')
      t.equal((await send('PUT', 'yeezus', { 'if-match': 'yolo' })).status, 412)
      t.equal(await text(base, 'yeezus'), '/yeezy=>/yeezus\n', 'a refused write changes nothing')
      t.equal((await send('PUT', 'yeezus', { 'if-match': 'AAAAAAAAAAE=' })).status, 204)
      t.equal(await text(base, 'yeezus'), '/yeezy=>/kanye\n')
      t.equal(
        (await send('PUT', 'absent', { 'if-match': 'AAAAAAAAAAE=' })).status,
        404,
        'a CAS needs the namespace',
      )
    },
  )
}

t.test('GET, HEAD and DELETE of a namespace that does not exist are 404', async (t) => {
  const { base } = await startServer(t, { store: seeded() })
  for (const method of ['GET', 'HEAD', 'DELETE']) {
    const res = await fetch(`${base}/api/1/dtabs/graduation`, { method })
    t.equal(res.status, 404, method)
  }
})

t.test('any method on /api/1/dtabs lists, as in namerd', async (t) => {
  const { base } = await startServer(t, { store: seeded() })
  for (const path of ['/api/1/dtabs', '/api/1/dtabs/']) {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${base}${path}`, { method })
      t.equal(await res.text(), '["tlop","yeezus"]\n', `${method} ${path}`)
    }
  }
  const res = await fetch(`${base}/api/1/dtabs/a/b`)
  t.equal(res.status, 400, 'a namespace with a slash, as namerd reads /api/1/dtabs/a/b')
  t.match(await res.json(), { error: 'invalid_namespace' })
})

t.test('a namespace may be 253 characters long', async (t) => {
  const { base } = await startServer(t)
  const ns = 'n'.repeat(253)
  const res = await fetch(`${base}/api/1/dtabs/${ns}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dtab' },
    body: '/a => /b',
  })
  t.equal(res.status, 204)
  t.equal(await text(base, ns), '/a=>/b\n')
  t.equal((await fetch(`${base}/api/1/dtabs/${ns}n`)).status, 400, '254 is too long')
})

t.test('DELETE takes If-Match too', async (t) => {
  const { base } = await startServer(t, { store: seeded() })
  let res = await fetch(`${base}/api/1/dtabs/yeezus`, {
    method: 'DELETE',
    headers: { 'if-match': 'AAAAAAAAAAI=' },
  })
  t.equal(res.status, 412)
  t.match(await res.json(), { error: 'version_mismatch' })
  res = await fetch(`${base}/api/1/dtabs/yeezus`, {
    method: 'DELETE',
    headers: { 'if-match': 'AAAAAAAAAAE=' },
  })
  t.equal(res.status, 204)
  t.equal((await fetch(`${base}/api/1/dtabs/yeezus`)).status, 404)
})

t.test(
  'a write answers with the new version as its ETag, ready for the next If-Match',
  async (t) => {
    const { base } = await startServer(t)
    const put = (ifMatch?: string) =>
      fetch(`${base}/api/1/dtabs/web`, {
        method: 'PUT',
        headers: {
          'content-type': 'application/dtab',
          ...(ifMatch ? { 'if-match': ifMatch } : {}),
        },
        body: '/a => /b',
      })
    const v1 = (await put()).headers.get('etag')!
    t.equal(v1, 'AAAAAAAAAAE=')
    const v2 = (await put(v1)).headers.get('etag')!
    t.equal(v2, 'AAAAAAAAAAI=')
    t.equal((await put(v1)).status, 412)
  },
)

type Entry = {
  version: string
  previous: string | null
  op: string
  dtab: string | null
  who: string | null
  time: string
}

t.test(
  'history lists every change, newest first; restore brings a version back as a new write',
  async (t) => {
    const { base } = await startServer(t)
    const url = `${base}/api/1/dtabs/web`
    const write = async (method: string, body: string, ifMatch?: string) => {
      const res = await fetch(url, {
        method,
        headers: {
          'content-type': 'application/dtab',
          ...(ifMatch ? { 'if-match': ifMatch } : {}),
        },
        body,
      })
      t.equal(res.status, 204, `${method} ${body}`)
      return res.headers.get('etag')!
    }
    const v1 = await write('POST', '/svc => /v1')
    const v2 = await write('PUT', '/svc => /v2', v1)
    const history = async (query = '') =>
      (await (await fetch(`${url}/history${query}`)).json()) as Entry[]

    let h = await history()
    t.match(h, [
      { version: v2, previous: v1, op: 'update', dtab: '/svc=>/v2', who: null },
      { version: v1, previous: null, op: 'create', dtab: '/svc=>/v1', who: null },
    ])
    t.ok(!Number.isNaN(Date.parse(h[0]!.time)))
    t.equal((await history('?limit=1')).length, 1)
    t.equal((await fetch(`${url}/history?limit=0`)).status, 400)

    const restore = (version: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/restore`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ version }),
      })

    let res = await restore(v1)
    t.equal(res.status, 428, 'restoring over a live namespace needs If-Match')
    res = await restore(v1, { 'if-match': v1 })
    t.equal(res.status, 412, 'and a stale If-Match is refused')
    res = await restore(v1, { 'if-match': v2 })
    t.equal(res.status, 204)
    const v3 = res.headers.get('etag')!
    t.equal(await text(base, 'web'), '/svc=>/v1\n')
    h = await history()
    t.match(
      h[0],
      { version: v3, previous: v2, op: 'update', dtab: '/svc=>/v1' },
      'the restore is itself in history',
    )

    t.equal(
      (await restore('AAAAAAAAAJk=', { 'if-match': v3 })).status,
      404,
      'a version not in history',
    )
    t.equal((await fetch(url, { method: 'DELETE' })).status, 204)
    const deletion = (await history())[0]!
    t.equal(deletion.op, 'delete')
    t.equal((await restore(deletion.version)).status, 422, 'a deletion has no dtab to restore')
    res = await restore(v2)
    t.equal(res.status, 204, 'a deleted namespace comes back without If-Match')
    t.equal(await text(base, 'web'), '/svc=>/v2\n')
    t.equal(
      (
        await fetch(`${url}/restore`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"v":1}',
        })
      ).status,
      400,
    )
  },
)
