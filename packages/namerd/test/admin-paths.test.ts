// namerd's operations paths under both daemons' names, and GET / listing them, on a namerd
// started as users start it (bin/namerd.js), so a probe or scrape config written for the proxy
// (/admin/ready, /admin/metrics/prometheus) works on namerd unchanged, and the reverse.
import t from 'tap'
import { NAMERD_BIN, startBin } from './bin-helpers.js'

async function startNamerd(t: Parameters<typeof startBin>[0]): Promise<string> {
  const namerd = startBin(t, NAMERD_BIN, ['--store', 'memory', '--listen', '127.0.0.1:0'])
  const { address } = (await namerd.logLine('namerd listening')) as { address: string }
  return `http://${address}`
}

t.test("health and metrics answer under namerd's names and the proxy's", async (t) => {
  const base = await startNamerd(t)
  for (const path of ['/admin/ping']) {
    const res = await fetch(`${base}${path}`)
    t.equal(res.status, 200, path)
    t.equal(await res.text(), 'pong', path)
  }
  for (const path of ['/ready', '/admin/ready']) {
    const res = await fetch(`${base}${path}`)
    t.equal(res.status, 200, path)
    t.match(res.headers.get('content-type'), /^text\/plain/, path)
    t.equal(await res.text(), 'ready\n', path)
  }
  for (const path of ['/metrics', '/admin/metrics/prometheus']) {
    const res = await fetch(`${base}${path}`)
    t.equal(res.status, 200, path)
    t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/, path)
    t.match(await res.text(), /^# TYPE namerd_http_requests_total counter$/m, path)
  }
})

t.test(
  'GET / and /admin list the paths: plain text for curl, HTML at /admin for a browser (/ is its dashboard)',
  async (t) => {
    const base = await startNamerd(t)
    const plain = await fetch(`${base}/`, { headers: { accept: '*/*' } })
    t.equal(plain.status, 200)
    t.match(plain.headers.get('content-type'), /^text\/plain/)
    t.equal(plain.headers.get('vary'), 'accept')
    const text = await plain.text()
    for (const path of [
      '/admin/ping',
      '/ready, /admin/ready',
      '/metrics, /admin/metrics/prometheus',
      '/api/1/dtabs',
      '/api/1/delegate/<ns>?path=/svc/<name>',
    ])
      t.match(text, `\n  ${path}  `, path)
    t.notMatch(text, /<(!doctype|a |table)/i, 'no HTML')

    t.equal(await (await fetch(`${base}/admin`, { headers: { accept: '*/*' } })).text(), text)

    const browser = await fetch(`${base}/admin`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    })
    t.equal(browser.status, 200)
    t.match(browser.headers.get('content-type'), /^text\/html/)
    const html = await browser.text()
    t.match(html, /^<!doctype html>/)
    t.match(html, '<a href="/admin/ready">/admin/ready</a>')
    t.match(html, '<code>/api/1/dtabs/&lt;ns&gt;/history</code>')
  },
)
