// Fifty operators editing one dtab at once, each the namerctl way: read it (with its ETag),
// add a dentry, write it back with If-Match, and on 412 start over. No update may be lost.
import { join } from 'node:path'
import t from 'tap'
import { startProcess, tempDir } from './helpers.js'

const WRITERS = 50

interface Dentry {
  prefix: string
  dst: string
}

t.test(`${WRITERS} concurrent read-modify-write writers lose no update`, async (t) => {
  const dir = await tempDir(t)
  const namerd = await startProcess(t, [
    '--store',
    `file:${join(dir, 'data')}`,
    '--listen',
    '127.0.0.1:0',
  ])
  const url = `${namerd.base}/api/1/dtabs/shared`
  const created = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/dtab' },
    body: '/svc => /#/io.l5d.fs',
  })
  t.equal(created.status, 204)

  /** Each successful write: the version it read, and the version it made. */
  const writes: { read: string; made: string; writer: number }[] = []
  let conflicts = 0

  const writer = async (i: number) => {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(url)
      const read = res.headers.get('etag')!
      const dtab = (await res.json()) as Dentry[]
      dtab.push({ prefix: `/writer/${i}`, dst: `/#/io.l5d.fs/w${i}` })
      const put = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'if-match': read },
        body: JSON.stringify(dtab),
      })
      await put.arrayBuffer()
      if (put.status === 204) {
        writes.push({ read, made: put.headers.get('etag')!, writer: i })
        return
      }
      if (put.status !== 412) throw new Error(`writer ${i}: unexpected ${put.status}`)
      conflicts++
      // Back off a little, as a person or a pipeline would, so every writer gets through.
      await new Promise((r) => setTimeout(r, Math.random() * 5 * Math.min(attempt, 10)))
    }
  }
  await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)))
  t.equal(writes.length, WRITERS, 'every writer succeeded exactly once')
  t.ok(conflicts > 0, `the writers did collide (${conflicts} times), so CAS was exercised`)

  const final = (await (await fetch(url)).json()) as Dentry[]
  t.equal(final.length, WRITERS + 1, 'the dtab holds every dentry')
  t.same(
    new Set(final.map((d) => d.prefix)),
    new Set(['/svc', ...Array.from({ length: WRITERS }, (_, i) => `/writer/${i}`)]),
  )

  const history = (await (await fetch(`${url}/history`)).json()) as {
    version: string
    previous: string | null
    op: string
  }[]
  t.equal(history.length, WRITERS + 1, 'history: the create and one entry per write')
  const byVersion = new Map(history.map((h) => [h.version, h]))
  for (const w of writes) {
    const entry = byVersion.get(w.made)
    t.ok(entry, `writer ${w.writer}'s version ${w.made} is in history`)
    t.equal(entry?.previous, w.read, `writer ${w.writer}'s write is based on the version it read`)
    t.equal(entry?.op, 'update')
  }
  // Newest first, each entry replacing the one below it: one unbroken chain, no fork.
  for (let i = 0; i < history.length - 1; i++) {
    if (history[i]!.previous !== history[i + 1]!.version) t.fail(`history breaks at entry ${i}`)
  }
  t.equal(history.at(-1)!.op, 'create')
  t.equal(await namerd.stop(), 0)
})
