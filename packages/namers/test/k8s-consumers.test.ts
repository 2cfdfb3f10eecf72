// io.l5d.k8s where it is used, each program a real process run from source: namerd's bind,
// addr, resolve and delegate (on the memory store), and switchyard-proxy's local interpreter
// routing requests to backends the fake API server's EndpointSlices name.
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { type Teardown, tempDir } from './helpers.js'
import { service, slice, startApi, WEB } from './k8s-helpers.js'

const portOf = (url: string) => Number(new URL(url).port)

/** An HTTP server on 127.0.0.1 answering its own name. */
async function backend(t: Teardown, name: string): Promise<number> {
  const server: Server = createServer((_req, res) => res.end(name))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return (server.address() as AddressInfo).port
}

const source = (pkg: string) => fileURLToPath(new URL(`../../${pkg}/src/main.ts`, import.meta.url))

/**
 * Runs a program from source (namerd, switchyard-proxy) with `args`, killed when the test
 * ends; resolves with the port of the log line `msg` (`"address":"127.0.0.1:N"`).
 */
async function startProgram(
  t: Teardown,
  main: string,
  args: readonly string[],
  msg: string,
): Promise<number> {
  const child = spawn(
    process.execPath,
    [`--import=${import.meta.resolve('tsx')}`, '--conditions=@switchyard/source', main, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  let out = ''
  child.stderr.on('data', (d) => {
    out += d
  })
  const line = new RegExp(`"address":"127\\.0\\.0\\.1:(\\d+)"[^\\n]*"msg":"${msg}"`)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${main} did not start:\n${out}`)), 30_000)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (d: string) => {
      out += d
      const m = line.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.on('exit', (code) => reject(new Error(`${main} exited (${code}):\n${out}`)))
  })
}

t.test('namerd binds, resolves, delegates and serves addrs through io.l5d.k8s', async (t) => {
  const api = await startApi(t)
  api.put(WEB)
  api.put(slice('web-a', 'web', [{ ip: '10.0.0.1', nodeName: 'node-1' }]))
  api.put(service('backup', [{ name: 'http', port: 80 }]))
  api.put(slice('backup-a', 'backup', ['10.1.0.1']))
  const dir = await tempDir(t)
  const config = join(dir, 'namerd.yaml')
  await writeFile(
    config,
    `namers:\n  - {kind: io.l5d.k8s, host: 127.0.0.1, port: ${portOf(api.url)}}\n`,
  )
  const port = await startProgram(
    t,
    source('namerd'),
    ['--store', 'memory', '--listen', '127.0.0.1:0', '--config', config],
    'namerd listening',
  )
  const base = `http://127.0.0.1:${port}`
  const created = await fetch(`${base}/api/1/dtabs/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/dtab' },
    body: '/svc => /#/io.l5d.k8s/default/http | /#/io.l5d.k8s/default/http/backup',
  })
  t.equal(created.status, 204)
  const get = async (path: string) => (await fetch(`${base}/api/1/${path}`)).text()

  const web =
    '{"type":"bound","addrs":[{"ip":"10.0.0.1","port":8080,"meta":{"nodeName":"node-1"}}],"meta":{}}'
  t.equal(
    await get('bind/internal?path=/svc/web/api'),
    `{"type":"leaf","bound":{"addr":${web},"id":"/#/io.l5d.k8s/default/http/web","path":"/api"}}\n`,
  )
  t.equal(await get('addr/internal?path=/%23/io.l5d.k8s/default/http/web'), `${web}\n`)
  t.equal(await get('resolve/internal?path=/svc/web'), `${web}\n`)
  t.match(
    await get('delegate/internal?path=/svc/web'),
    `"bound":{"addr":${web},"id":"/#/io.l5d.k8s/default/http/web"`,
  )
  t.equal(await get('addr/internal?path=/%23/io.l5d.k8s/default/http/nosuch'), '{"type":"neg"}\n')

  // A Service that does not exist: once its watch says so (within namerd's one-second rebind),
  // the Alt falls through to the backup, as Linkerd's namer made it.
  const bindNosuch = () => get('bind/internal?path=/svc/nosuch')
  const start = Date.now()
  let answer = await bindNosuch()
  while (!answer.includes('/backup') && Date.now() - start < 10_000) {
    await sleep(100)
    answer = await bindNosuch()
  }
  t.match(answer, '"id":"/#/io.l5d.k8s/default/http/backup","path":"/nosuch"')
})

t.test("the proxy's local interpreter routes by io.l5d.k8s and follows the slices", async (t) => {
  const api = await startApi(t)
  const a = await backend(t, 'pod-a')
  const b = await backend(t, 'pod-b')
  const backup = await backend(t, 'backup')
  api.put(WEB)
  api.put(slice('web-a', 'web', ['127.0.0.1'], { ports: [{ name: 'http', port: a }] }))
  const dir = await tempDir(t)
  const config = join(dir, 'proxy.yaml')
  await writeFile(
    config,
    `admin: {ip: 127.0.0.1, port: 0}
namers:
  - {kind: io.l5d.k8s, host: 127.0.0.1, port: ${portOf(api.url)}}
routers:
  - dtab: /svc => /#/io.l5d.k8s/default/http | /$/inet/127.0.0.1/${backup}
    servers: [{ip: 127.0.0.1, port: 0}]
`,
  )
  const port = await startProgram(t, source('proxy'), ['--config', config], 'router listening')
  // node:http, not fetch: fetch will not send a Host header of our choosing.
  const ask = (host: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          body += d
        })
        res.on('end', () => resolve(`${res.statusCode} ${body}`))
      })
      req.on('error', reject)
      req.end()
    })
  t.equal(await ask('web'), '200 pod-a')
  // The pod is replaced by one on another port: the next requests go there.
  api.put(slice('web-a', 'web', ['127.0.0.1'], { ports: [{ name: 'http', port: b }] }))
  const start = Date.now()
  while ((await ask('web')) !== '200 pod-b' && Date.now() - start < 10_000) await sleep(50)
  t.equal(await ask('web'), '200 pod-b')
  // A Service that does not exist falls through the Alt to the /$/inet backup; so does one
  // that goes away.
  t.equal(await ask('nosuch'), '200 backup')
  api.remove({ apiVersion: 'v1', kind: 'Service', namespace: 'default', name: 'web' })
  while ((await ask('web')) !== '200 backup' && Date.now() - start < 20_000) await sleep(50)
  t.equal(await ask('web'), '200 backup')
})
