// `l5d-why` on a dtab write: recorded as the history entry's why beside who, for every write
// (create, replace, compare-and-swap, delete, restore); a reason that is not one printable line
// of at most 512 characters is a 400 naming the problem, and nothing is written.
import { connect } from 'node:net'
import { HistoryEntry } from '@switchyard/wire'
import t from 'tap'
import { z } from 'zod'
import { startServer } from './helpers.js'

const History = z.array(HistoryEntry)

async function history(base: string, ns: string) {
  const res = await fetch(`${base}/api/1/dtabs/${ns}/history`)
  return History.parse(await res.json())
}

async function write(
  base: string,
  method: string,
  ns: string,
  body: string | undefined,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${base}/api/1/dtabs/${ns}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/dtab', ...headers },
    body,
  })
  return { status: res.status, etag: res.headers.get('etag'), text: await res.text() }
}

/**
 * A PUT written on a raw socket: fetch and node's http client refuse control characters in a
 * header, but other clients send them, so namerd must answer them itself.
 */
function rawPut(base: string, ns: string, why: Buffer): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base)
  const body = '/svc=>/raw'
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      resolve({ status: Number(text.slice(9, 12)), text: text.slice(text.indexOf('\r\n\r\n') + 4) })
    })
    socket.write(
      Buffer.concat([
        Buffer.from(
          `PUT /api/1/dtabs/${ns} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/dtab\r\ncontent-length: ${body.length}\r\nl5d-why: `,
        ),
        why,
        Buffer.from(`\r\n\r\n${body}`),
      ]),
    )
  })
}

// A header value as bytes: node's fetch refuses characters above U+00FF in a header, as browsers
// do, so UTF-8 text travels as one char per byte (what curl sends for `-H 'l5d-why: réglage'`).
const utf8Bytes = (text: string) => String.fromCharCode(...new TextEncoder().encode(text))

t.test('every kind of write records its l5d-why in history', async (t) => {
  const { base } = await startServer(t)
  const created = await write(base, 'POST', 'web', '/svc=>/srv', { 'l5d-why': 'new service' })
  t.equal(created.status, 204, created.text)
  const replaced = await write(base, 'PUT', 'web', '/svc=>/srv/a', { 'l5d-why': 'replace' })
  t.equal(replaced.status, 204, replaced.text)
  const cas = await write(base, 'PUT', 'web', '/svc=>/srv/b', {
    'l5d-why': '  ticket OPS-12: move to b  ',
    'if-match': replaced.etag!,
  })
  t.equal(cas.status, 204, cas.text)
  const restored = await fetch(`${base}/api/1/dtabs/web/restore`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'if-match': cas.etag!,
      'l5d-why': 'rollback to v1 (dashboard)',
    },
    body: JSON.stringify({ version: created.etag }),
  })
  t.equal(restored.status, 204, await restored.text())
  const noWhy = await write(base, 'PUT', 'web', '/svc=>/srv/c')
  t.equal(noWhy.status, 204)
  const deleted = await write(base, 'DELETE', 'web', undefined, { 'l5d-why': 'retired' })
  t.equal(deleted.status, 204, deleted.text)

  const entries = await history(base, 'web')
  t.same(
    entries.map((e) => [e.op, e.why ?? null]),
    [
      ['delete', 'retired'],
      ['put', null],
      ['update', 'rollback to v1 (dashboard)'],
      ['update', 'ticket OPS-12: move to b'],
      ['put', 'replace'],
      ['create', 'new service'],
    ],
    'newest first; surrounding blanks trimmed; a write without the header has no why',
  )
  t.equal(entries[2]!.dtab, '/svc=>/srv', 'the restore brought back the first version')
})

t.test('a UTF-8 reason is kept as written; a blank one records nothing', async (t) => {
  const { base } = await startServer(t)
  const r = await write(base, 'PUT', 'web', '/svc=>/srv', {
    'l5d-why': utf8Bytes('réglage 5 % → v2'),
  })
  t.equal(r.status, 204, r.text)
  const blank = await write(base, 'PUT', 'web', '/svc=>/srv/b', { 'l5d-why': '   ' })
  t.equal(blank.status, 204, blank.text)
  const [second, first] = await history(base, 'web')
  t.equal(first!.why, 'réglage 5 % → v2')
  t.equal(second!.why, undefined)
})

t.test('a bad l5d-why is a 400 naming the problem, and nothing is written', async (t) => {
  const { base } = await startServer(t)
  const made = await write(base, 'POST', 'web', '/svc=>/srv')
  t.equal(made.status, 204)

  const cases: [string, string, RegExp][] = [
    ['too long', 'x'.repeat(513), /513 characters long; at most 512/],
    ['a tab inside', 'a\tb', /control character \(U\+0009\) at character 2/],
    ['a C1 control', utf8Bytes('a\u0085b'), /control character \(U\+0085\)/],
    ['a line separator', utf8Bytes('a\u2028b'), /control character \(U\+2028\)/],
    ['bytes that are not UTF-8', 'caf\u00e9', /not UTF-8 text/],
  ]
  for (const [what, value, message] of cases) {
    for (const method of ['PUT', 'POST', 'DELETE']) {
      const r = await write(
        base,
        method,
        method === 'POST' ? 'other' : 'web',
        method === 'DELETE' ? undefined : '/svc=>/x',
        { 'l5d-why': value },
      )
      t.equal(r.status, 400, `${what}: ${method} refused`)
      const body = JSON.parse(r.text) as { error: string; message: string }
      t.equal(body.error, 'invalid_parameter')
      t.match(body.message, /^header l5d-why /)
      t.match(body.message, message, `${what}: ${method} names the problem`)
    }
    const restore = await fetch(`${base}/api/1/dtabs/web/restore`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'if-match': made.etag!, 'l5d-why': value },
      body: JSON.stringify({ version: made.etag }),
    })
    t.equal(restore.status, 400, `${what}: restore refused`)
    t.match(await restore.text(), message)
  }
  // ESC (a terminal escape, for `namerctl history` to print) and DEL, sent raw: node's HTTP
  // parser refuses them before namerd sees them (a 400 saying the request is malformed); the
  // check in why-header.ts covers what the parser lets through (tab, C1, U+2028 above).
  for (const [what, bytes] of [
    ['ESC', Buffer.from('red \u001b[31m')],
    ['DEL', Buffer.from('a\u007fb')],
  ] as const) {
    const r = await rawPut(base, 'web', bytes)
    t.equal(r.status, 400, `${what} refused`)
    t.match(r.text, /malformed request|control character/, `${what}: says why`)
  }
  // Two l5d-why headers (any case): one reason per write, not "a, b" recorded as one.
  for (const second of ['l5d-why: b', 'L5D-Why: b']) {
    const r = await rawPut(base, 'web', Buffer.from(`a\r\n${second}`))
    t.equal(r.status, 400, `two headers (${second}) refused`)
    t.match(r.text, /header l5d-why was sent 2 times: send one l5d-why header/)
  }
  t.equal((await history(base, 'web')).length, 1, 'web is as it was')
  t.equal((await fetch(`${base}/api/1/dtabs/other`)).status, 404, 'other was never created')

  // 512 characters (not bytes) is the limit: 512 two-byte characters pass.
  const edge = await write(base, 'PUT', 'web', '/svc=>/y', {
    'l5d-why': utf8Bytes('é'.repeat(512)),
  })
  t.equal(edge.status, 204, edge.text)
  t.equal((await history(base, 'web'))[0]!.why, 'é'.repeat(512))
})
