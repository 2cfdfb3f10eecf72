// `pnpm demo`: the main job. Starts namerd on the embedded file store, walks a blue-green
// rollout of `world` through its API (create, the tester's override, 10%, 100%, roll back from
// history), then keeps namerd running with commands to try, until Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const dataDir = resolve(process.env.SWITCHYARD_DEMO_DATA ?? join(root, 'data', 'demo'))
const interactive =
  process.stdout.isTTY && process.env.CI !== 'true' && !process.argv.includes('--once')

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const step = (title: string) => console.log(`\n${bold(`== ${title}`)}`)

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => res(port))
    })
  })
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`namerd exited with code ${child.exitCode}`)
    try {
      if ((await fetch(`${base}/ready`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('namerd did not become ready in 10 s')
}

/** Sends one request and prints it as the equivalent curl command and its answer. */
async function call(
  base: string,
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const headers = init.headers ?? {}
  const flags = Object.entries(headers)
    .map(([k, v]) => ` -H '${k}: ${v}'`)
    .join('')
  const data = init.body === undefined ? '' : ` --data '${init.body}'`
  console.log(`$ curl${method === 'GET' ? '' : ` -X ${method}`}${flags}${data} '${base}${path}'`)
  const res = await fetch(`${base}${path}`, { method, headers, body: init.body })
  const text = await res.text()
  const etag = res.headers.get('etag')
  console.log(`  ${res.status} ${res.statusText}${etag ? `   ETag: ${etag}` : ''}`)
  for (const line of text.trimEnd().split('\n')) if (line) console.log(`  ${line}`)
  return { status: res.status, etag, text }
}

const internal = [
  '/srv/world-v1 => /$/inet/127.0.0.1/8081',
  '/srv/world-v2 => /$/inet/127.0.0.1/8082',
  '/host         => /srv',
  '/tmp          => /srv',
  '/svc          => /host',
  '/host/world   => /srv/world-v1',
].join(';\n')

mkdirSync(dataDir, { recursive: true })
const port = await freePort()
const base = `http://127.0.0.1:${port}`
const namerd = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--conditions=@switchyard/source',
    join(root, 'packages/namerd/src/main.ts'),
    '--listen',
    `127.0.0.1:${port}`,
    '--store',
    `file:${dataDir}`,
    '--log-level',
    'warn',
  ],
  { stdio: ['ignore', 'inherit', 'inherit'], cwd: root },
)
const stop = () => {
  if (namerd.exitCode === null) namerd.kill('SIGTERM')
}
process.on('SIGINT', () => {
  stop()
  console.log('\nstopped namerd')
})

try {
  await waitReady(base, namerd)
  console.log(`namerd is serving the file store in ${dataDir} on ${base}`)
  const ns = 'internal'
  const dtabPath = `/api/1/dtabs/${ns}`
  const existing = await fetch(`${base}${dtabPath}`, { method: 'HEAD' })
  if (existing.status === 200) await call(base, 'DELETE', dtabPath)

  step('1. Create the namespace: world is served by world-v1')
  const created = await call(base, 'POST', dtabPath, {
    body: internal,
    headers: { 'Content-Type': 'application/dtab' },
  })
  let current = await call(base, 'GET', dtabPath, { headers: { Accept: 'application/dtab' } })

  step('2. A tester sends one request to world-v2 with an override; everyone else stays on v1')
  await call(
    base,
    'GET',
    `/api/1/delegate/${ns}?path=/svc/world&dtab=${encodeURIComponent('/host/world=>/tmp/world-v2')}`,
  )

  step('3. Shift 10% to world-v2: a compare-and-swap on the version just read')
  const dtab10 = internal.replace(
    '/host/world   => /srv/world-v1',
    '/host/world   => 1 * /tmp/world-v2 & 9 * /tmp/world-v1',
  )
  current = await call(base, 'PUT', dtabPath, {
    body: dtab10,
    headers: { 'Content-Type': 'application/dtab', 'If-Match': current.etag ?? '' },
  })
  await call(base, 'GET', dtabPath, { headers: { Accept: 'application/dtab' } })
  console.log(
    '(namerd prints weights as Finagle does: 1 * ... & 9 * ... is stored as ... & 9.00*...)',
  )

  step('4. A writer holding the old version is refused, and nothing changes')
  await call(base, 'PUT', dtabPath, {
    body: internal,
    headers: { 'Content-Type': 'application/dtab', 'If-Match': created.etag ?? '' },
  })

  step('5. 100% to world-v2, falling back to v1 if v2 has no endpoints')
  const dtab100 = internal.replace(
    '/host/world   => /srv/world-v1',
    '/host/world   => /tmp/world-v2 | /tmp/world-v1',
  )
  current = await call(base, 'PUT', dtabPath, {
    body: dtab100,
    headers: { 'Content-Type': 'application/dtab', 'If-Match': current.etag ?? '' },
  })
  await call(base, 'GET', `/api/1/bind/${ns}?path=/svc/world`)

  step('6. Trouble: roll back to the version created in step 1, from history, in one step')
  await call(base, 'GET', `${dtabPath}/history?limit=3`)
  await call(base, 'POST', `${dtabPath}/restore`, {
    body: JSON.stringify({ version: created.etag }),
    headers: { 'Content-Type': 'application/json', 'If-Match': current.etag ?? '' },
  })
  await call(base, 'GET', dtabPath, { headers: { Accept: 'application/dtab' } })

  if (!interactive) {
    stop()
  } else {
    step('namerd keeps running; try it (Ctrl-C stops it)')
    console.log(`  curl ${base}/api/1/dtabs`)
    console.log(
      `  curl -N '${base}/api/1/dtabs/${ns}?watch=1'          # then change the dtab from another shell`,
    )
    console.log(`  curl '${base}/api/1/delegate/${ns}?path=/svc/world'`)
    console.log(
      `  pnpm explain examples/blue-green.dtab /svc/world      # the same delegation, offline`,
    )
  }
} catch (err) {
  stop()
  console.error(`demo failed: ${(err as Error).message}`)
  process.exitCode = 1
}
