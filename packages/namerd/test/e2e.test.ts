// namerd as a real process (run from source with tsx, no build needed), driven over HTTP the
// way namerctl, Linkerd 1 and people with curl drive namerd (namerd-wire.md §1).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { LineReader, startProcess } from './helpers.js'

const run = promisify(execFile)

const dtab = 'application/dtab'
const json = 'application/json'

t.test('the memory store: namerd example exchanges, byte for byte', async (t) => {
  const namerd = await startProcess(t, ['--store', 'memory', '--listen', '127.0.0.1:0'])
  const api = `${namerd.base}/api/1`
  const post = (ns: string, body: string, type = dtab) =>
    fetch(`${api}/dtabs/${ns}`, { method: 'POST', headers: { 'content-type': type }, body })

  t.equal((await post('yeezus', '/yeezy => /yeezus')).status, 204, 'create is 204')
  t.equal((await post('tlop', '/yeezy => /pablo')).status, 204)
  t.equal(
    (await post('yeezus', '/yeezy => /yeezus')).status,
    409,
    'creating an existing namespace is 409',
  )

  let res = await fetch(`${api}/dtabs`)
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), json)
  t.equal(await res.text(), '["tlop","yeezus"]\n', 'the list is sorted, newline-terminated')

  res = await fetch(`${api}/dtabs/yeezus`)
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), json, 'JSON by default, without a charset')
  t.equal(res.headers.get('etag'), 'AAAAAAAAAAE=', "the memory store's first version, unquoted")
  t.equal(await res.text(), '[{"prefix":"/yeezy","dst":"/yeezus"}]\n')

  res = await fetch(`${api}/dtabs/yeezus`, { headers: { accept: dtab } })
  t.equal(res.headers.get('content-type'), dtab)
  t.equal(await res.text(), '/yeezy=>/yeezus\n', 'Dtab.show: no spaces')

  for (const [accept, type] of [
    ['application/dtab;q=0.9, application/json', dtab],
    ['text/plain;q=0.9, application/json', 'text/plain'],
    ['application/xml, text/html, text/plain', 'text/plain'],
    ['application/json;q=0.1, application/dtab', json],
    ['image/png', json],
  ]) {
    res = await fetch(`${api}/dtabs/yeezus`, { headers: { accept: accept! } })
    t.equal(res.headers.get('content-type'), type, `Accept: ${accept} → the first type recognised`)
    await res.arrayBuffer()
  }

  res = await fetch(`${api}/dtabs/yeezus`, { method: 'HEAD' })
  t.equal(res.status, 200)
  t.equal(res.headers.get('etag'), 'AAAAAAAAAAE=')
  t.equal(await res.text(), '')

  // Delegation, as namerd's own tests show it.
  res = await fetch(`${api}/delegate/yeezus?path=/yeezy`)
  t.equal(res.headers.get('content-type'), json)
  t.equal(
    await res.text(),
    '{"type":"delegate","path":"/yeezy","delegate":{"type":"neg","path":"/yeezus","dentry":{"prefix":"/yeezy","dst":"/yeezus"}}}',
  )
  res = await fetch(`${api}/delegate?dtab=/foo=>/bar&path=/foo`)
  t.equal(
    await res.text(),
    '{"type":"delegate","path":"/foo","delegate":{"type":"neg","path":"/bar","dentry":{"prefix":"/foo","dst":"/bar"}}}',
  )
  res = await fetch(`${api}/delegate/yeezus?path=/yeezy&dtab=/yeezy=>/bar`)
  t.equal(
    await res.text(),
    '{"type":"alt","path":"/yeezy","alt":[' +
      '{"type":"neg","path":"/bar","dentry":{"prefix":"/yeezy","dst":"/bar"}},' +
      '{"type":"neg","path":"/yeezus","dentry":{"prefix":"/yeezy","dst":"/yeezus"}}]}',
    'the extra dtab comes after the namespace, so it is tried first',
  )

  res = await fetch(`${api}/dtabs/yeezus`, {
    method: 'PUT',
    headers: { 'content-type': json, 'if-match': 'yolo' },
    body: '[{"prefix":"/yeezy","dst":"/kanye"}]',
  })
  t.equal(res.status, 412, 'If-Match: yolo is 412')
  t.same(await res.json(), {
    error: 'version_mismatch',
    message:
      'namespace "yeezus" changed since version yolo was read, now at AAAAAAAAAAE=; read it again and retry',
  })

  res = await fetch(`${api}/dtabs/yeezus`, {
    method: 'PUT',
    headers: { 'content-type': `${json};charset=UTF-8`, 'if-match': 'AAAAAAAAAAE=' },
    body: '[{"prefix":"/yeezy","dst":"/kanye"}]',
  })
  t.equal(res.status, 204, 'a PUT with the current version is 204')
  res = await fetch(`${api}/dtabs/yeezus`, { headers: { accept: 'text/plain' } })
  t.equal(res.headers.get('etag'), 'AAAAAAAAAAI=')
  t.equal(await res.text(), '/yeezy=>/kanye\n')

  res = await fetch(`${api}/dtabs/yeezus`, {
    method: 'PUT',
    headers: { 'content-type': dtab, 'if-match': '"AAAAAAAAAAI="' },
    body: '/yeezy => 1 * /tmp/v2 & 9 * /tmp/v1',
  })
  t.equal(res.status, 204, 'a quoted If-Match still matches (lenient Base64)')
  res = await fetch(`${api}/dtabs/yeezus`, { headers: { accept: dtab } })
  t.equal(
    await res.text(),
    '/yeezy=>/tmp/v2 & 9.00*/tmp/v1\n',
    'weights print as Finagle prints them',
  )

  res = await fetch(`${api}/bind/default?path=/foo&dtab=/foo=>/$/inet/127.0.0.1/1`)
  t.equal(
    await res.text(),
    '{"type":"leaf","bound":{"addr":{"type":"bound","addrs":[{"ip":"127.0.0.1","port":1,"meta":{}}],"meta":{}},' +
      '"id":"/$/inet/127.0.0.1/1","path":"/"}}\n',
  )

  res = await fetch(`${api}/dtabs/yeezus`, { method: 'DELETE' })
  t.equal(res.status, 204)
  res = await fetch(`${api}/dtabs/yeezus`)
  t.equal(res.status, 404)
  t.same(await res.json(), {
    error: 'namespace_not_found',
    message: 'namespace "yeezus" does not exist',
  })

  t.equal(await (await fetch(`${namerd.base}/admin/ping`)).text(), 'pong')
  t.equal((await fetch(`${namerd.base}/ready`)).status, 200)
  const metrics = await (await fetch(`${namerd.base}/metrics`)).text()
  t.match(
    metrics,
    /namerd_http_requests_total\{method="PUT",route="\/api\/1\/dtabs\/:ns",status="412"\} 1/,
  )
  t.match(metrics, /namerd_store_operation_duration_seconds_count\{op="update"\} 3/)
  t.match(metrics, /namerd_store_errors_total\{op="update",code="version_mismatch"\} 1/)

  t.equal(await namerd.stop(), 0)
})

t.test(
  'a watch is chunked, one JSON document and a newline per state, never repeated',
  async (t) => {
    const namerd = await startProcess(t, ['--store', 'memory', '--listen', '127.0.0.1:0'])
    const api = `${namerd.base}/api/1`
    const put = async (ns: string, body: string) => {
      const res = await fetch(`${api}/dtabs/${ns}`, {
        method: 'PUT',
        headers: { 'content-type': dtab },
        body,
      })
      t.equal(res.status, 204)
    }
    await put('yeezus', '/yeezy => /yeezus')
    await put('tlop', '/yeezy => /pablo')

    const list = await fetch(`${api}/dtabs?watch=true`)
    t.equal(list.status, 200)
    t.equal(list.headers.get('transfer-encoding'), 'chunked')
    t.equal(list.headers.get('content-type'), json)
    const lists = new LineReader(list)
    t.equal(await lists.next(), '["tlop","yeezus"]')

    const one = await fetch(`${api}/dtabs/yeezus?watch=T`, { headers: { accept: dtab } })
    t.equal(one.headers.get('content-type'), dtab, 'the watch negotiates its codec too')
    const dtabs = new LineReader(one)
    t.equal(await dtabs.next(), '/yeezy=>/yeezus')

    await put('graduation', '/a => /b')
    t.equal(await lists.next(), '["graduation","tlop","yeezus"]')

    await put('yeezus', '/yeezy => /kanye')
    await put('yeezus', '/yeezy => /kanye')
    await put('yeezus', '/yeezy=>/kanye')
    await put('yeezus', '/yeezy => /ye')
    t.equal(await dtabs.next(), '/yeezy=>/kanye')
    t.equal(await dtabs.next(), '/yeezy=>/ye', 'the same dtab written three times is sent once')
    t.equal(await lists.quiet(200), true, 'rewriting a namespace does not change the list')

    await lists.cancel()
    await dtabs.cancel()
    t.equal(await namerd.stop(), 0)
  },
)

t.test('bad input gets the right status and says what was wrong', async (t) => {
  const namerd = await startProcess(t, ['--store', 'memory', '--listen', '127.0.0.1:0'])
  const api = `${namerd.base}/api/1`
  // Bytes, not a string: fetch would add `text/plain;charset=UTF-8` to a string body.
  const send = (method: string, ns: string, body: string, type?: string) =>
    fetch(`${api}/dtabs/${ns}`, {
      method,
      headers: type ? { 'content-type': type } : {},
      body: new TextEncoder().encode(body),
    })

  let res = await send('POST', 'web', '/svc => /host ; /x =>> /y', dtab)
  t.equal(res.status, 400)
  t.same(
    await res.json(),
    {
      error: 'invalid_dtab',
      message: "simple expected but '>' found at '/svc => /host ; /x =>[>] /y'",
      offset: 21,
    },
    "POST: Finagle's message and the offset, as JSON (namerd sent nothing)",
  )

  res = await send('PUT', 'web', '/svc => /host ; /x =>> /y', 'text/plain')
  t.equal(res.status, 400)
  t.equal(
    await res.text(),
    "simple expected but '>' found at '/svc => /host ; /x =>[>] /y'",
    "PUT: namerd's text",
  )
  t.equal(res.headers.get('dtab-error-offset'), '21', 'and the offset in a header')

  res = await send('POST', 'web', '[{"prefix":"/a","dst":"/b"},null]', json)
  t.equal(res.status, 400)
  t.equal(await res.text(), 'The dtab contains invalid dentries: [{"prefix":"/a","dst":"/b"},null]')

  res = await send('POST', 'web', '[{"prefix":"a","dst":"/b"}]', json)
  t.equal(res.status, 400)
  t.same(await res.json(), {
    error: 'invalid_dtab',
    message: "dentry 0: invalid prefix: '/' expected but 'a' found at '[a]'",
  })

  res = await send('PUT', 'web', '/a => /b', 'application/xml')
  t.equal(res.status, 400)
  t.equal(await res.text(), 'Invalid Content-Type "application/xml". ')

  res = await send('POST', 'web', '/a => /b')
  t.equal(res.status, 400, 'POST without a Content-Type')
  t.equal(((await res.json()) as { error: string }).error, 'unsupported_content_type')

  res = await send('POST', 'web', `/a => /b;${'/c => /d;'.repeat(200_000)}`, dtab)
  t.equal(res.status, 413)
  t.same(await res.json(), {
    error: 'body_too_large',
    message: 'the request body is larger than the limit of 1048576 bytes',
  })

  res = await send('PUT', 'a%20b', '/a => /b', dtab)
  t.equal(res.status, 400, 'a namespace our stores cannot hold')
  t.match(await res.json(), { error: 'invalid_namespace' })

  res = await fetch(`${api}/bind/default?path=invalid`)
  t.equal(res.status, 400)
  t.equal(await res.text(), "Invalid path: invalid / '/' expected but 'i' found at '[i]nvalid'")

  res = await fetch(`${api}/dtabsexpialidocious`)
  t.equal(res.status, 404)
  t.same(await res.json(), {
    error: 'not_found',
    message: 'no such route: GET /api/1/dtabsexpialidocious',
  })

  res = await fetch(`${api}/delegate`, { method: 'DELETE' })
  t.equal(res.status, 405)
  res = await fetch(`${api}/delegate`, {
    method: 'POST',
    headers: { 'content-type': json },
    body: '{"path":"/a"}',
  })
  t.equal(res.status, 400)
  t.equal(await res.text(), 'Malformed delegation request: {"path":"/a"}')

  t.equal(await namerd.stop(), 0)
})

t.test('as a user would, with curl', async (t) => {
  const namerd = await startProcess(t, ['--store', 'memory', '--listen', '127.0.0.1:0'])
  const url = `${namerd.base}/api/1/dtabs/web`
  const curl = async (...args: string[]) => (await run('curl', ['-s', ...args])).stdout

  const created = await curl(
    '-i',
    '-X',
    'POST',
    '-H',
    'Content-Type: application/dtab',
    '--data',
    '/svc => /#/io.l5d.fs',
    url,
  )
  t.match(created, /^HTTP\/1\.1 204 No Content\r\n/)

  const got = await curl('-i', '-H', 'Accept: application/dtab', url)
  t.match(got, /\r\netag: AAAAAAAAAAE=\r\n/i)
  t.match(got, /\r\n\r\n\/svc=>\/#\/io\.l5d\.fs\n$/)

  const stale = await curl(
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '-X',
    'PUT',
    '-H',
    'Content-Type: application/dtab',
    '-H',
    'If-Match: yolo',
    '--data',
    '/svc => /x',
    url,
  )
  t.equal(stale, '412')

  // curl -N prints each state as it comes; --max-time ends it.
  const watching = curl('-N', '--max-time', '2', `${url}?watch=1`).catch(
    (err: { stdout: string }) => err.stdout,
  )
  await new Promise((r) => setTimeout(r, 500))
  await curl(
    '-X',
    'PUT',
    '-H',
    'Content-Type: application/dtab',
    '-H',
    'If-Match: AAAAAAAAAAE=',
    '--data',
    '/svc => /#/io.l5d.fs/web',
    url,
  )
  t.equal(
    await watching,
    '[{"prefix":"/svc","dst":"/#/io.l5d.fs"}]\n[{"prefix":"/svc","dst":"/#/io.l5d.fs/web"}]\n',
  )
  t.equal(await namerd.stop(), 0)
})
