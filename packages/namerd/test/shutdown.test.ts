// Stopping: SIGTERM (or SIGINT) ends every watch stream cleanly, so watchers see the end of
// the body rather than a reset, and namerd exits with status 0.
import { connect } from 'node:net'
import t from 'tap'
import { LineReader, startProcess, startServer } from './helpers.js'

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} with watchers open: the streams end cleanly and namerd exits 0`, async (t) => {
    const namerd = await startProcess(t, ['--store', 'memory', '--listen', '127.0.0.1:0'])
    const api = `${namerd.base}/api/1`
    await fetch(`${api}/dtabs/web`, {
      method: 'PUT',
      headers: { 'content-type': 'application/dtab' },
      body: '/a => /b',
    })
    const streams = await Promise.all(
      [
        `${api}/dtabs/web?watch=1`,
        `${api}/dtabs?watch=1`,
        `${api}/bind/web?path=/a&watch=1`,
        `${api}/dtabs/absent?watch=1`,
      ].map(async (url) => new LineReader(await fetch(url))),
    )
    for (const s of streams.slice(0, 3)) t.not(await s.next(), null)

    const exited = namerd.stop(signal)
    for (const s of streams) t.equal(await s.next(), null, 'the body ends, no error')
    t.equal(await exited, 0)
    t.match(namerd.output.join('\n'), /"watchers":4,"msg":"stopping: draining watchers"/)
    t.match(namerd.output.join('\n'), /"msg":"stopped"/)
  })
}

t.test('a watcher that does not read cannot hold the shutdown past the grace period', async (t) => {
  const { base, server } = await startServer(t)
  await fetch(`${base}/api/1/dtabs/web`, {
    method: 'PUT',
    headers: { 'content-type': 'application/dtab' },
    body: `/a => /${'b'.repeat(1 << 20)}`,
  })
  const { port } = new URL(base)
  const socket = connect(Number(port), '127.0.0.1')
  socket.write('GET /api/1/dtabs/web?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n')
  socket.pause()
  t.teardown(() => socket.destroy())
  while (server.context.watchers.size === 0) await new Promise((r) => setTimeout(r, 10))

  const started = Date.now()
  await server.close(300)
  t.ok(Date.now() - started < 2000, `closed in ${Date.now() - started} ms`)
  t.equal(server.context.watchers.size, 0)
})
