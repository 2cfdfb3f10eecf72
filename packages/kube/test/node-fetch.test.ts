// Loading @switchyard/kube leaves globalThis.fetch as it was: undici 8, which client-node
// loads, would otherwise install itself under the key Node 22's fetch reads, and Node 22's
// fetch then refused an explicit content-length header ("invalid content-length header"; a
// namerctl test that loads namerd in process failed on Node 22 with it). Each case runs in a
// fresh process, since the key is process-wide and cannot be taken back.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

function run(script: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@switchyard/source', '--input-type=module', '-e', script],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  )
  return { code: r.status, out: r.stdout, err: r.stderr }
}

t.test("loading @switchyard/kube does not put undici 8 under Node's fetch", async (t) => {
  // Node's own undici may install its Agent under the key once fetch is first touched; what
  // must not be there is undici 8's wrapper (Dispatcher1Wrapper) around undici 8's Agent.
  const r = run(`
    const key = Symbol.for('undici.globalDispatcher.1')
    await import('@switchyard/kube')
    console.log(JSON.stringify({ dispatcher: globalThis[key]?.constructor?.name ?? null }))
  `)
  t.equal(r.code, 0, r.err)
  t.not((JSON.parse(r.out) as { dispatcher: string | null }).dispatcher, 'Dispatcher1Wrapper')
})

t.test(
  'after loading it, fetch still sends a request with an explicit content-length',
  async (t) => {
    const r = run(`
    import { createServer } from 'node:http'
    await import('@switchyard/kube')
    const server = createServer((req, res) => {
      let n = 0
      req.on('data', (c) => { n += c.length })
      req.on('end', () => res.end(String(n)))
    })
    await new Promise((r) => server.listen(0, '127.0.0.1', r))
    const res = await fetch('http://127.0.0.1:' + server.address().port + '/', {
      method: 'PUT',
      headers: { 'content-length': '5', 'content-type': 'text/plain' },
      body: Buffer.from('hello'),
    })
    console.log(await res.text())
    server.close()
  `)
    t.equal(r.code, 0, r.err)
    t.equal(r.out.trim(), '5')
  },
)
