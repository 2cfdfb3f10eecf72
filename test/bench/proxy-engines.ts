// Forwarding engines side by side, each with keep-alive connections to three nginx backends:
// the proxy's own HTTP/1.1 engine (src/http1 and `forward`), node's http server in front of
// undici (the engine before it), and http-proxy-3 (node's http client with a keep-alive
// Agent), with nginx as the reference.
// Prints req/s and p99 of `wrk -t1 -c50 -d5s` for each, for docs/decisions.md.
//
//   pnpm exec tsx --conditions=@switchyard/source test/bench/proxy-engines.ts [seconds]
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import {
  Agent,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Addr } from '@switchyard/namers'
import { Pool } from 'undici'
import { Client } from '../../packages/proxy/src/balance/client.js'
import { forward } from '../../packages/proxy/src/forward/forward.js'
import { stripHopByHop } from '../../packages/proxy/src/forward/hop-by-hop.js'
import { Http1Server } from '../../packages/proxy/src/http1/server.js'
import { RetryBudget } from '../../packages/proxy/src/retry/budget.js'
import { type LoadResult, runWrk } from './load.js'

const SECONDS = Number(process.argv[2] ?? 5)
const CONNECTIONS = 50

// http-proxy-3 is a dev dependency of @switchyard/proxy only; load it from there.
interface HttpProxy {
  web(req: IncomingMessage, res: ServerResponse, opts: { target: string }): void
  on(event: 'error', fn: (err: Error, req: IncomingMessage, res: ServerResponse) => void): void
}
const requireFromProxy = createRequire(
  new URL('../../packages/proxy/package.json', import.meta.url),
)
const { createProxyServer } = requireFromProxy('http-proxy-3') as {
  createProxyServer(opts: { agent: Agent; xfwd?: boolean }): HttpProxy
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
}

async function freePort(): Promise<number> {
  const s = createServer()
  const port = await listen(s)
  await new Promise((r) => s.close(r))
  return port
}

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await (await fetch(url)).text()
      return
    } catch {
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  throw new Error(`${url} did not come up`)
}

function nginxConf(dir: string, name: string, body: string): string {
  const file = join(dir, `${name}.conf`)
  writeFileSync(
    file,
    `worker_processes 1; daemon off; pid ${dir}/${name}.pid; error_log ${dir}/${name}.err warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
client_body_temp_path ${dir}/cb_${name}; proxy_temp_path ${dir}/pt_${name};
fastcgi_temp_path ${dir}/ft_${name}; uwsgi_temp_path ${dir}/ut_${name}; scgi_temp_path ${dir}/st_${name};
${body} }\n`,
  )
  return file
}

/** The proxy's engine: its own HTTP/1.1 server and connections (src/http1), `forward`. */
async function switchyardFront(ports: number[]): Promise<{ port: number; close(): Promise<void> }> {
  const client = new Client('/#/bench')
  client.setAddr(Addr.bound(ports.map((port) => ({ ip: '127.0.0.1', port, meta: {} }))))
  const budget = new RetryBudget()
  const server = new Http1Server({
    onRequest: async (tx) => {
      const headers = { ...tx.headers, via: '1.1 switchyard' }
      const r = await forward(client, tx, { headers, path: tx.url, timeoutMs: undefined, budget })
      if (!r.ok && !r.headersSent) tx.respond(r.kind === 'timeout' ? 503 : 502, {}, undefined)
    },
  })
  await server.listen(0, '127.0.0.1')
  return {
    port: (server.net.address() as AddressInfo).port,
    close: async () => {
      await server.close()
      await client.close()
    },
  }
}

/** The engine before it: node's http server in front of undici (a keep-alive Pool per backend). */
async function undiciFront(ports: number[]): Promise<{ port: number; close(): Promise<void> }> {
  const pools = ports.map((p) => new Pool(`http://127.0.0.1:${p}`))
  let next = 0
  const server = createServer({ keepAliveTimeout: 60_000 }, async (req, res) => {
    const headers = stripHopByHop({ ...req.headers }) as Record<string, string | string[]>
    headers.via = '1.1 switchyard'
    const pool = pools[next++ % pools.length]!
    try {
      const r = await pool.request({ method: 'GET', path: req.url ?? '/', headers })
      res.writeHead(r.statusCode, stripHopByHop(r.headers) as Record<string, string | string[]>)
      r.body.pipe(res)
    } catch {
      res.statusCode = 502
      res.end()
    }
  })
  const port = await listen(server)
  return {
    port,
    close: async () => {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
      await Promise.all(pools.map((p) => p.close()))
    },
  }
}

/** The same front with http-proxy-3 and a keep-alive Agent, round-robin over the backends. */
async function httpProxyFront(ports: number[]): Promise<{ port: number; close(): Promise<void> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 })
  const proxy = createProxyServer({ agent })
  proxy.on('error', (_err, _req, res) => {
    if (!res.headersSent) res.writeHead(502)
    res.end()
  })
  const targets = ports.map((p) => `http://127.0.0.1:${p}`)
  let i = 0
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    i = (i + 1) % targets.length
    proxy.web(req, res, { target: targets[i]! })
  })
  const port = await listen(server)
  return {
    port,
    close: async () => {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
      agent.destroy()
    },
  }
}

async function measure(url: string): Promise<LoadResult> {
  await runWrk(url, 1, CONNECTIONS, 2) // warm-up: JIT and connection pools
  return runWrk(url, 1, CONNECTIONS, SECONDS)
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-engines-'))
  const procs: ReturnType<typeof spawn>[] = []
  try {
    const backends = [await freePort(), await freePort(), await freePort()]
    const nginxFront = await freePort()
    const servers = backends
      .map((p) => `server { listen 127.0.0.1:${p}; location / { return 200 "hello world\\n"; } }`)
      .join('\n')
    procs.push(spawn('/usr/sbin/nginx', ['-c', nginxConf(dir, 'backend', servers), '-p', dir]))
    const upstream = `upstream world { ${backends.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 64; }
server { listen 127.0.0.1:${nginxFront}; location / { proxy_pass http://world; proxy_http_version 1.1; proxy_set_header Connection ""; } }`
    procs.push(spawn('/usr/sbin/nginx', ['-c', nginxConf(dir, 'front', upstream), '-p', dir]))
    for (const p of [...backends, nginxFront]) await waitUp(`http://127.0.0.1:${p}/`)

    const rows: [string, LoadResult][] = []
    rows.push(['nginx backend (direct)', await measure(`http://127.0.0.1:${backends[0]}/`)])
    rows.push(['nginx front (1 worker)', await measure(`http://127.0.0.1:${nginxFront}/`)])
    for (const [name, make] of [
      ['switchyard http1 (forward)', switchyardFront],
      ['node http + undici Pool', undiciFront],
      ['http-proxy-3 (keep-alive)', httpProxyFront],
    ] as const) {
      const f = await make(backends)
      await waitUp(`http://127.0.0.1:${f.port}/`)
      rows.push([name, await measure(`http://127.0.0.1:${f.port}/`)])
      await f.close()
    }
    const nginx = rows[1]![1].perSec
    console.log(
      `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, 3 nginx backends, node ${process.version}\n`,
    )
    console.log(
      `${'engine'.padEnd(28)}${'req/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}${'vs nginx'.padStart(10)}`,
    )
    for (const [name, r] of rows) {
      console.log(
        `${name.padEnd(28)}${r.perSec.toFixed(0).padStart(10)}${r.p50Ms.toFixed(2).padStart(9)}${r.p99Ms.toFixed(2).padStart(9)}${String(r.errors).padStart(8)}${`${((100 * r.perSec) / nginx).toFixed(0)}%`.padStart(10)}`,
      )
    }
  } finally {
    for (const p of procs) p.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
