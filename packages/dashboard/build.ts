// Builds the dashboard's static files into dist/ (run by `pnpm build`): one bundle of the app
// (Preact, the dtab parser, the wire schemas), one stylesheet, the page, each also gzip- and
// brotli-compressed, and manifest.json, which namerd serves from. The names carry no hash: the
// page asks for `app.js?v=<hash>`, so a new build is never mixed with a cached old one.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build, type Plugin } from 'esbuild'

const here = fileURLToPath(new URL('.', import.meta.url))
const out = join(here, 'dist')

export interface ManifestEntry {
  readonly type: string
  readonly etag: string
  readonly bytes: number
  readonly gzipBytes: number
  readonly brotliBytes: number
}

// zod's classic namespace re-exports every locale (about 250 KB of the bundle); the page speaks
// English only, so the locales index is cut to English when bundled.
const englishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";\n',
      loader: 'js',
    }))
  },
}

const result = await build({
  entryPoints: [join(here, 'src/main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  conditions: ['@switchyard/source'],
  legalComments: 'none',
  write: false,
  outdir: out,
  metafile: true,
  logLevel: 'warning',
  plugins: [englishOnly],
})

const digest = (data: Buffer | string): string =>
  createHash('sha256').update(data).digest('base64url').slice(0, 16)

const files = new Map<string, { data: Buffer; type: string }>()
for (const file of result.outputFiles) {
  const name = file.path.slice(out.length + 1).replace(/^main\./, 'app.')
  const type = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8'
  files.set(name, { data: Buffer.from(file.contents), type })
}
const css = readFileSync(join(here, 'src/style.css'))
files.set('style.css', { data: css, type: 'text/css; charset=utf-8' })

const version = (name: string): string => digest(files.get(name)?.data ?? '')
const page = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('%APP_JS%', `app.js?v=${version('app.js')}`)
  .replace('%STYLE_CSS%', `style.css?v=${version('style.css')}`)
files.set('index.html', { data: Buffer.from(page), type: 'text/html; charset=utf-8' })

// Each file is replaced by a rename, and the manifest last, never by emptying dist/ first: a
// namerd starting during a build (tests build while others run) reads whole files, old or new.
mkdirSync(out, { recursive: true })
const put = (name: string, data: Buffer | string): void => {
  const file = join(out, name)
  if (existsSync(file) && readFileSync(file).equals(Buffer.from(data))) return
  writeFileSync(`${file}.tmp-${process.pid}`, data)
  renameSync(`${file}.tmp-${process.pid}`, file)
}
const manifest: Record<string, ManifestEntry> = {}
for (const [name, { data, type }] of files) {
  const gz = gzipSync(data, { level: 9 })
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  })
  put(name, data)
  put(`${name}.gz`, gz)
  put(`${name}.br`, br)
  manifest[name] = {
    type,
    etag: `"${digest(data)}"`,
    bytes: data.length,
    gzipBytes: gz.length,
    brotliBytes: br.length,
  }
}
put('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`)
const total = Object.values(manifest).reduce((sum, e) => sum + e.gzipBytes, 0)
process.stdout.write(`dashboard: ${Object.keys(manifest).length} files, ${total} bytes gzipped\n`)
