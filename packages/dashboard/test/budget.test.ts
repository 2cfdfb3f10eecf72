// The built page's budget (issue 16: "the whole page under 200 KB compressed; nothing loaded from
// the internet at run time"), checked on what `pnpm build` wrote to dist/ (tap builds first):
// the manifest's sizes are the files' real sizes, their gzipped sum is under 200 KB, and no file
// names another origin to load from. The browser side of the same promise (every request the
// page really makes goes to namerd) is in test/browser/accessibility.test.ts.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import t from 'tap'
import { z } from 'zod'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
/** 200 KB, counted in thousands so the budget is never read more generously than it was meant. */
const BUDGET = 200_000

const Manifest = z.record(
  z.string(),
  z.strictObject({
    type: z.string(),
    etag: z.string(),
    bytes: z.int().nonnegative(),
    gzipBytes: z.int().nonnegative(),
    brotliBytes: z.int().nonnegative(),
  }),
)
const manifest = Manifest.parse(JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8')))
const read = (name: string) => readFileSync(join(dist, name))

t.test(
  'the manifest lists the page, its script and its stylesheet, at their real sizes',
  async (t) => {
    t.same(Object.keys(manifest).sort(), ['app.js', 'index.html', 'style.css'])
    for (const [name, entry] of Object.entries(manifest)) {
      const plain = read(name)
      const gz = read(`${name}.gz`)
      t.equal(entry.bytes, plain.length, `${name}: ${plain.length} bytes`)
      t.equal(entry.gzipBytes, gz.length, `${name}.gz: ${gz.length} bytes`)
      t.ok(gunzipSync(gz).equals(plain), `${name}.gz is ${name} compressed`)
      t.ok(entry.brotliBytes <= entry.gzipBytes, `${name}: brotli is no bigger than gzip`)
    }
  },
)

t.test('the whole page is under 200 KB gzipped', async (t) => {
  const total = Object.values(manifest).reduce((sum, e) => sum + e.gzipBytes, 0)
  const each = Object.entries(manifest)
    .map(([name, e]) => `${name} ${(e.gzipBytes / 1000).toFixed(1)} KB`)
    .join(', ')
  t.ok(total < BUDGET, `${(total / 1000).toFixed(1)} KB of ${BUDGET / 1000} KB (${each})`)
})

/** Every http(s):// or protocol-relative //host URL in `text`. */
const urls = (text: string) =>
  [...text.matchAll(/(?:https?:)?\/\/[a-z0-9[][^\s"'`<>)]*/gi)].map((m) => m[0])

t.test('index.html loads only its own files, from namerd', async (t) => {
  const html = read('index.html').toString('utf8')
  t.same(urls(html), [], 'no URL of another origin')
  const loads = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? '')
  t.same(
    loads.sort(),
    ['data:,', expect(html, /app\.js\?v=[\w-]+/), expect(html, /style\.css\?v=[\w-]+/)].sort(),
    `exactly the icon placeholder, app.js and style.css, relative to the page: ${loads.join(' ')}`,
  )
  t.notMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script (the CSP forbids it)')
  t.notMatch(html, /<style/, 'no inline style (the CSP forbids it)')
})

t.test('style.css loads nothing: no @import, no url() but data:', async (t) => {
  const css = read('style.css').toString('utf8')
  t.notMatch(css, /@import/)
  const refs = [...css.matchAll(/url\(\s*['"]?([^'")]*)/g)].map((m) => m[1] ?? '')
  t.same(
    refs.filter((r) => !r.startsWith('data:')),
    [],
    'no url() to fetch',
  )
  t.same(urls(css), [])
})

// The bundle holds some URLs as plain strings that nothing fetches: zod's JSON-schema ids, the
// DOM's XML namespaces (Preact), zod's IPv6 check (it parses `http://[<addr>]` with URL). Any
// other URL is new and must be looked at: it could be something the page loads at run time.
const NOT_FETCHED = new Set([
  'http://json-schema.org/draft-04/schema#',
  'http://json-schema.org/draft-07/schema#',
  'https://json-schema.org/draft/2020-12/schema',
  'http://www.w3.org/1998/Math/MathML',
  'http://www.w3.org/1999/xhtml',
  'http://www.w3.org/2000/svg',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the bundle's text, not a template
  'http://[${e}]',
])

t.test('app.js names no origin it could load from', async (t) => {
  const js = read('app.js').toString('utf8')
  const found = urls(js).filter((u) => /^https?:/i.test(u))
  const unknown = [...new Set(found)].filter((u) => !NOT_FETCHED.has(u))
  t.same(
    unknown,
    [],
    `no URL but known non-fetched strings (found: ${[...new Set(found)].join(' ')})`,
  )
  for (const [what, re] of [
    ['WebSocket', /\bnew WebSocket\b/],
    ['EventSource', /\bnew EventSource\b/],
    ['sendBeacon', /\bsendBeacon\(/],
    ['importScripts', /\bimportScripts\(/],
    ['dynamic import()', /\bimport\(/],
    ['XMLHttpRequest', /\bXMLHttpRequest\b/],
  ] as const) {
    t.notMatch(js, re, `no ${what}`)
  }
})

/** The match of `re` in `text` (the test fails naming `re` when there is none). */
function expect(text: string, re: RegExp): string {
  const m = text.match(re)
  if (m === null) throw new Error(`index.html: no ${re}`)
  return m[0]
}
