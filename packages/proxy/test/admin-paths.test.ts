// The proxy's admin port answers namerd's names for its health and metrics too (/ready,
// /metrics), and GET / lists what is there, on a proxy started as users start it
// (bin/switchyard-proxy.js), so one probe or scrape config fits both daemons.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startBin } from '../../namerd/test/bin-helpers.js'
import { tempDir } from './interpret-helpers.js'

const PROXY_BIN = fileURLToPath(new URL('../bin/switchyard-proxy.js', import.meta.url))

/** A proxy on `interpreter`; resolves with its admin base URL once it listens. */
async function startProxy(t: Parameters<typeof startBin>[0], interpreter: string) {
  const dir = await tempDir(t)
  const file = join(dir, 'proxy.yaml')
  await writeFile(
    file,
    `admin: {port: 0}\nrouters:\n  - label: out\n    interpreter: ${interpreter}\n    servers: [{port: 0}]\n`,
  )
  const proxy = startBin(t, PROXY_BIN, ['--config', file])
  const { address } = (await proxy.logLine('admin listening')) as { address: string }
  return `http://${address}`
}

const LOCAL = '{kind: local, dtab: "/svc => /$/inet/127.0.0.1/1"}'

t.test("health and metrics answer under the proxy's names and namerd's", async (t) => {
  const base = await startProxy(t, LOCAL)
  const ping = await fetch(`${base}/admin/ping`)
  t.equal(await ping.text(), 'pong')
  for (const path of ['/admin/ready', '/ready']) {
    const res = await fetch(`${base}${path}`)
    t.equal(res.status, 200, path)
    t.equal(await res.text(), 'ready\n', path)
  }
  for (const path of ['/admin/metrics/prometheus', '/metrics']) {
    const res = await fetch(`${base}${path}`)
    t.equal(res.status, 200, path)
    t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/, path)
    t.match(await res.text(), /^# TYPE \S+ (counter|gauge|histogram)$/m, path)
  }
})

t.test(
  '/ready, like /admin/ready, is 503 with the reason while a router has no dtab',
  async (t) => {
    // Port 1 on loopback: nothing there, so the router never gets its dtab.
    const base = await startProxy(
      t,
      '{kind: io.l5d.namerd.http, dst: "http://127.0.0.1:1", namespace: internal}',
    )
    for (const path of ['/admin/ready', '/ready']) {
      const res = await fetch(`${base}${path}`)
      t.equal(res.status, 503, path)
      t.match(await res.text(), /^waiting for a dtab: out\n {2}out: /, path)
    }
  },
)

t.test('GET / lists the paths: plain text for curl, HTML for a browser', async (t) => {
  const base = await startProxy(t, LOCAL)
  const plain = await fetch(`${base}/`, { headers: { accept: '*/*' } })
  t.equal(plain.status, 200)
  t.match(plain.headers.get('content-type'), /^text\/plain/)
  t.equal(plain.headers.get('vary'), 'accept')
  const text = await plain.text()
  for (const path of [
    '/admin/ping',
    '/admin/ready, /ready',
    '/admin/metrics/prometheus, /metrics',
    '/admin/metrics.json',
    '/admin/routers.json',
    '/delegator.json?path=/svc/<name>',
  ])
    t.match(text, `\n  ${path}  `, path)
  t.notMatch(text, /<(!doctype|a |table)/i, 'no HTML')

  const browser = await fetch(`${base}/`, { headers: { accept: 'text/html' } })
  t.equal(browser.status, 200)
  t.match(browser.headers.get('content-type'), /^text\/html/)
  const html = await browser.text()
  t.match(html, /^<!doctype html>/)
  t.match(html, '<a href="/metrics">/metrics</a>')
  t.match(html, '<a href="/admin/routers.json">/admin/routers.json</a>')
})
