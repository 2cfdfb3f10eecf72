// How namerd serves the dashboard's files (routes/dashboard.ts, dashboard/assets.ts), over real
// HTTP on loopback: the security headers on every answer, ETag and 304, the encoding a client
// accepts (q=0 is a refusal), `?v=` immutable caching, another dashboard.path, the page off,
// files not built, `/` still namerd's index for curl, and hostile paths that must never reach a
// file outside dist/ nor answer 500. Most tests serve a small dist/ written into a temp dir, so
// they pin the server and not the current build; one reads the real build.
import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import t from 'tap'
import { loadAssets } from '../src/dashboard/assets.js'
import { NAMERD_BIN, startBin } from './bin-helpers.js'
import { startServer, tempDir } from './helpers.js'

type T = Parameters<typeof tempDir>[0]

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
const APP_JS = 'console.log("the fixture app");\n'.repeat(40)
const STYLE = 'body { color: black }\n'
const PAGE =
  '<!doctype html><title>fixture</title><link rel="stylesheet" href="style.css?v=s1"><script type="module" src="app.js?v=a1"></script>'
/** Beside dist/, never to be served. */
const SECRET = 'the secret beside dist'

/** A dist/ as build.ts writes it (files, .gz, .br, manifest.json) in a temp dir; a secret beside it. */
async function fixtureDist(t: T, files = true): Promise<string> {
  const root = await tempDir(t, 'dashboard-serving-')
  writeFileSync(join(root, 'secret.txt'), SECRET)
  const dir = join(root, 'dist')
  mkdirSync(dir)
  if (!files) return dir
  const entries: Record<string, { type: string; etag: string; bytes: number }> = {}
  const add = (name: string, type: string, etag: string, body: string) => {
    const data = Buffer.from(body)
    writeFileSync(join(dir, name), data)
    writeFileSync(join(dir, `${name}.gz`), gzipSync(data))
    writeFileSync(join(dir, `${name}.br`), brotliCompressSync(data))
    entries[name] = { type, etag: `"${etag}"`, bytes: data.length }
  }
  add('app.js', 'text/javascript; charset=utf-8', 'a1', APP_JS)
  add('style.css', 'text/css; charset=utf-8', 's1', STYLE)
  add('index.html', 'text/html; charset=utf-8', 'i1', PAGE)
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(entries))
  return dir
}

async function serve(t: T, path = '/', files = true): Promise<string> {
  const assets = loadAssets(await fixtureDist(t, files))
  const { base } = await startServer(t, { dashboard: { path, assets } })
  return base
}

interface Raw {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: Buffer
}

/** A request with exactly this path and these headers (fetch would normalise the path and
 * add an Accept-Encoding of its own). */
function raw(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Raw> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

const header = (r: Raw, name: string): string => String(r.headers[name] ?? '')

t.test('the page and its files carry a strict CSP and the security headers', async (t) => {
  const base = await serve(t)
  for (const path of ['/', '/app.js', '/style.css']) {
    const r = await raw(base, path, { accept: BROWSER })
    t.equal(r.status, 200, path)
    const csp = header(r, 'content-security-policy')
    t.match(csp, /(^|; )script-src 'self'(;|$)/, `${path}: scripts only from namerd`)
    t.match(csp, /(^|; )style-src 'self'(;|$)/, `${path}: no inline styles`)
    t.match(csp, /(^|; )connect-src 'self'(;|$)/, `${path}: talks only to namerd`)
    t.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, `${path}: never framed`)
    t.match(csp, /(^|; )object-src 'none'(;|$)/, path)
    t.notMatch(csp, /unsafe-inline|unsafe-eval|\*/, `${path}: nothing unsafe, no wildcard`)
    t.equal(header(r, 'x-content-type-options'), 'nosniff', path)
    t.equal(header(r, 'x-frame-options'), 'DENY', path)
    t.equal(header(r, 'referrer-policy'), 'no-referrer', path)
  }
  const page = await raw(base, '/', { accept: BROWSER })
  t.match(header(page, 'content-type'), /^text\/html; charset=utf-8/)
  t.equal(page.body.toString(), PAGE)
  t.equal(header(page, 'cache-control'), 'no-cache', 'the page is revalidated every time')
  t.match(header(await raw(base, '/app.js'), 'content-type'), /^text\/javascript/)
  t.match(header(await raw(base, '/style.css'), 'content-type'), /^text\/css/)
})

t.test('a file is sent once: its ETag answers 304 with no body', async (t) => {
  const base = await serve(t)
  for (const [path, accept] of [
    ['/', BROWSER],
    ['/app.js', '*/*'],
  ] as const) {
    const first = await raw(base, path, { accept })
    const etag = header(first, 'etag')
    t.match(etag, /^"[^"]+"$/, `${path}: a strong ETag`)
    const again = await raw(base, path, { accept, 'if-none-match': etag })
    t.equal(again.status, 304, `${path}: not modified`)
    t.equal(again.body.length, 0, `${path}: no body`)
    t.equal(header(again, 'etag'), etag, `${path}: the same ETag`)
    const other = await raw(base, path, { accept, 'if-none-match': '"something-else"' })
    t.equal(other.status, 200, `${path}: another ETag gets the file`)
    const listed = await raw(base, path, { accept, 'if-none-match': `"x", ${etag}` })
    t.equal(listed.status, 304, `${path}: the ETag in a list of ETags`)
    const weak = await raw(base, path, { accept, 'if-none-match': `W/${etag}` })
    t.equal(weak.status, 304, `${path}: a weak comparison (If-None-Match) matches W/`)
  }
})

t.test('the encoding is the best the client accepts, q=0 refusing one', async (t) => {
  const base = await serve(t)
  const cases: [string | undefined, string | null][] = [
    [undefined, null],
    ['identity', null],
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['br; q=0.0, gzip;q=0', null],
    ['BR', 'br'],
    ['deflate', null],
    ['gzip;q=0.5', 'gzip'],
  ]
  for (const [given, expected] of cases) {
    const headers: Record<string, string> = given === undefined ? {} : { 'accept-encoding': given }
    const r = await raw(base, '/app.js', headers)
    t.equal(r.status, 200, `${given}`)
    const encoding = r.headers['content-encoding'] ?? null
    t.equal(encoding, expected, `Accept-Encoding: ${given} -> ${expected ?? 'identity'}`)
    const body =
      encoding === 'br'
        ? brotliDecompressSync(r.body)
        : encoding === 'gzip'
          ? gunzipSync(r.body)
          : r.body
    t.equal(body.toString(), APP_JS, `${given}: the file itself`)
    t.equal(Number(header(r, 'content-length')), r.body.length, `${given}: its length`)
    t.match(header(r, 'vary'), /accept-encoding/i, `${given}: caches keep encodings apart`)
  }
})

t.test('?v= of the current version is cached for a year; any other v is revalidated', async (t) => {
  const base = await serve(t)
  const current = await raw(base, '/app.js?v=a1')
  t.equal(current.status, 200)
  t.equal(header(current, 'cache-control'), 'public, max-age=31536000, immutable')
  for (const path of ['/app.js', '/app.js?v=old', '/app.js?v=a1&v=a1', '/app.js?v=%22a1%22']) {
    const r = await raw(base, path)
    t.equal(r.status, 200, path)
    t.equal(header(r, 'cache-control'), 'no-cache', `${path}: not immutable`)
  }
  const css = await raw(base, '/style.css?v=s1')
  t.equal(header(css, 'cache-control'), 'public, max-age=31536000, immutable')
})

t.test('HEAD answers the headers of the file without its body', async (t) => {
  const base = await serve(t)
  const r = await raw(base, '/app.js', { 'accept-encoding': 'gzip' }, 'HEAD')
  t.equal(r.status, 200)
  t.equal(r.body.length, 0)
  t.equal(header(r, 'content-encoding'), 'gzip')
  t.match(header(r, 'content-security-policy'), /script-src 'self'/)
})

t.test('at dashboard.path /dashboard/ the page moves; / is the index again', async (t) => {
  const base = await serve(t, '/dashboard/')
  const page = await raw(base, '/dashboard/', { accept: BROWSER })
  t.equal(page.status, 200)
  t.equal(page.body.toString(), PAGE)
  const js = await raw(base, '/dashboard/app.js')
  t.equal(js.status, 200)
  t.equal(js.body.toString(), APP_JS)

  const bare = await raw(base, '/dashboard', { accept: BROWSER })
  t.equal(bare.status, 308, '/dashboard sends the browser to /dashboard/ (its files are relative)')
  t.equal(header(bare, 'location'), '/dashboard/')

  const index = await raw(base, '/', { accept: BROWSER })
  t.equal(index.status, 200)
  t.notMatch(index.body.toString(), 'fixture', '/ is not the page')
  t.match(index.body.toString(), '/api/1/dtabs', '/ is namerd’s index')
  t.match(
    index.body.toString(),
    /<tr><td><a href="\/dashboard\/">\/dashboard\/<\/a><\/td><td>the dashboard: /,
    'its first row links the dashboard at its path',
  )
  const text = await raw(base, '/admin')
  t.match(text.body.toString(), /\n\n {2}\/dashboard\/ +the dashboard: /, '/admin names it too')
  t.equal((await raw(base, '/app.js')).status, 404, 'the files are not at / too')
})

t.test('/ for curl is still namerd’s index; a browser gets the page', async (t) => {
  const base = await serve(t)
  for (const accept of [undefined, '*/*', 'application/json', 'text/plain']) {
    const r = await raw(base, '/', accept === undefined ? {} : { accept })
    t.equal(r.status, 200, `${accept}`)
    t.match(r.body.toString(), '/api/1/dtabs', `Accept: ${accept}: the index`)
    t.notMatch(r.body.toString(), 'fixture', `Accept: ${accept}: not the page`)
  }
  const browser = await raw(base, '/', { accept: BROWSER })
  t.equal(browser.body.toString(), PAGE)
})

t.test('files not built: the page answers 503 naming pnpm build; the API works', async (t) => {
  const base = await serve(t, '/', false)
  const r = await raw(base, '/', { accept: BROWSER })
  t.equal(r.status, 503)
  const text = r.body.toString()
  t.match(text, 'not built')
  t.match(text, 'pnpm build')
  t.match(text, '/admin', 'says where the index is')
  t.equal((await raw(base, '/app.js')).status, 404)
  t.equal((await raw(base, '/', { accept: '*/*' })).status, 200, 'curl still gets the index')
  t.equal((await raw(base, '/api/1/dtabs')).status, 200, 'the API is served')

  const moved = await serve(t, '/dashboard/', false)
  const at = await raw(moved, '/dashboard/', { accept: BROWSER })
  t.equal(at.status, 503)
  t.match(at.body.toString(), 'pnpm build')
})

t.test('loadAssets says what is missing: no manifest, a file the manifest names', async (t) => {
  const empty = loadAssets(await fixtureDist(t, false))
  t.equal(empty.ok, false)
  if (!empty.ok) t.match(empty.problem, /not built in .*run pnpm build/)

  const dir = await fixtureDist(t)
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ 'gone.js': { type: 'text/javascript', etag: '"g"', bytes: 1 } }),
  )
  const incomplete = loadAssets(dir)
  t.equal(incomplete.ok, false)
  if (!incomplete.ok) t.match(incomplete.problem, /incomplete.*run pnpm build/)

  writeFileSync(join(dir, 'manifest.json'), '{"app.js": 3}')
  const bad = loadAssets(dir)
  t.equal(bad.ok, false, 'a manifest of the wrong shape is not trusted')

  // A manifest that names a file outside dist/ is skipped, never read.
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      '../secret.txt': { type: 'text/plain', etag: '"x"', bytes: 1 },
      'index.html': { type: 'text/html', etag: '"i1"', bytes: 1 },
    }),
  )
  const outside = loadAssets(dir)
  t.equal(outside.ok, true)
  if (outside.ok) t.same([...outside.files.keys()], ['index.html'])
})

t.test('hostile paths never serve a file outside dist/ and never answer 500', async (t) => {
  for (const at of ['/', '/dashboard/']) {
    const base = await serve(t, at)
    const paths = [
      '/..%2f..%2fetc/passwd',
      '/..%2fsecret.txt',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/app.js%00',
      '/app.js%00.html',
      '/app.js/',
      '/app.js/..',
      '//app.js',
      '///etc/passwd',
      '/%5c..%5csecret.txt',
      '/secret.txt',
      '/manifest.json',
      '/app.js.gz',
      '/app.js.br',
      '/index.html',
      `/${'a'.repeat(8000)}`,
      `/${'a'.repeat(20_000)}`,
      `/app.js?v=${'x'.repeat(8000)}`,
      '/app.js?v=%ff%fe',
      '/%ff',
      '/%',
    ]
    for (const p of paths) {
      const path = at === '/' ? p : `${at.slice(0, -1)}${p}`
      for (const accept of [BROWSER, '*/*']) {
        const r = await raw(base, path, { accept })
        const shown = path.length > 60 ? `${path.slice(0, 60)}...` : path
        t.ok(r.status < 500, `${shown} (${accept.slice(0, 9)}): ${r.status}, not a server error`)
        const body = r.body.toString()
        t.notMatch(body, SECRET, `${shown}: not the file beside dist/`)
        t.notMatch(body, /root:.*:0:0:/, `${shown}: not /etc/passwd`)
        t.notMatch(body, /"bytes":/, `${shown}: not the manifest`)
      }
    }
  }
})

t.test('with auth on, the page and its files need no token (the page asks for one)', async (t) => {
  const assets = loadAssets(await fixtureDist(t))
  const { base } = await startServer(t, {
    dashboard: { path: '/', assets },
    auth: { tokens: [{ name: 'ops', token: 'secret-token', scope: 'write' }] },
  })
  t.equal((await raw(base, '/', { accept: BROWSER })).status, 200)
  t.equal((await raw(base, '/app.js')).status, 200)
  t.equal((await raw(base, '/api/1/dtabs')).status, 401, 'the API still wants a token')
})

t.test(
  'namerd as started by users: the built page at /, --no-dashboard, dashboard.path',
  async (t) => {
    const start = async (args: string[], env: NodeJS.ProcessEnv = process.env) => {
      const namerd = startBin(
        t,
        NAMERD_BIN,
        ['--store', 'memory', '--listen', '127.0.0.1:0', ...args],
        {
          env,
        },
      )
      const { address } = (await namerd.logLine('namerd listening')) as { address: string }
      return `http://${address}`
    }

    const on = await start([])
    const page = await raw(on, '/', { accept: BROWSER, 'accept-encoding': 'br' })
    t.equal(page.status, 200, 'the real build is served (tap builds it first)')
    const html = brotliDecompressSync(page.body).toString()
    const js = /src="(app\.js\?v=[^"]+)"/.exec(html)?.[1]
    const css = /href="(style\.css\?v=[^"]+)"/.exec(html)?.[1]
    t.ok(js, 'the page names its script with ?v=')
    t.ok(css, 'the page names its stylesheet with ?v=')
    t.notMatch(html, /<script>|<style>|style="/, 'nothing inline, which the CSP would block')
    for (const file of [js, css]) {
      const r = await raw(on, `/${file}`, { 'accept-encoding': 'gzip' })
      t.equal(r.status, 200, `${file}`)
      t.equal(header(r, 'cache-control'), 'public, max-age=31536000, immutable', `${file}`)
      t.equal(header(r, 'content-encoding'), 'gzip')
    }

    const off = await start(['--no-dashboard'])
    const index = await raw(off, '/', { accept: BROWSER })
    t.equal(index.status, 200)
    t.notMatch(index.body.toString(), /app\.js/, '--no-dashboard: / is the index for browsers too')
    t.match(index.body.toString(), '/api/1/dtabs')
    t.equal((await raw(off, '/app.js')).status, 404)

    const envOff = await start([], { ...process.env, SWITCHYARD_NAMERD_DASHBOARD: 'false' })
    t.notMatch((await raw(envOff, '/', { accept: BROWSER })).body.toString(), /app\.js/, 'env off')

    const dir = await tempDir(t, 'dashboard-serving-config-')
    const config = join(dir, 'namerd.yaml')
    writeFileSync(config, 'store: memory\ndashboard:\n  path: /dashboard\n')
    const moved = await start(['--config', config])
    const redirect = await raw(moved, '/dashboard', { accept: BROWSER })
    t.equal(redirect.status, 308)
    t.equal(header(redirect, 'location'), '/dashboard/')
    const there = await raw(moved, '/dashboard/', { accept: BROWSER })
    t.equal(there.status, 200)
    t.match(there.body.toString(), /app\.js\?v=/)
    t.notMatch((await raw(moved, '/', { accept: BROWSER })).body.toString(), /app\.js/)
  },
)
