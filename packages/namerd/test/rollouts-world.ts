// A small world for the rollout tests that need traffic: two real backends on 127.0.0.1 (v1
// and v2, whose answers a test can change while they run) behind a real switchyard-proxy (the
// built command), routing `/svc/world` (Host: world) to v1 by its static dtab. v2 is reached
// with an `l5d-dtab` override, as a rollout's smoke requests do.
import { writeFile } from 'node:fs/promises'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { startProxy } from '../../../test/e2e/mesh.js'
import { tempDir } from './helpers.js'

type Tap = Parameters<typeof startProxy>[0]

export interface Backend {
  readonly version: string
  readonly port: number
  /** The concrete id the proxy names it by: `/$/inet/127.0.0.1/<port>`. */
  readonly id: string
  /** Status of every answer (a request to /fail gets 500 whatever this says). */
  status: number
  delayMs: number
  /** Requests it received. */
  received: number
}

/** A backend answering `{"version": ...}`, closed when the test ends. */
export async function backend(t: Tap, version: string): Promise<Backend> {
  const state = { status: 200, delayMs: 0, received: 0 }
  const server = createServer((req, res) => {
    state.received++
    const status = req.url === '/fail' ? 500 : state.status
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ service: 'world', version }))
    }, state.delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const { port } = server.address() as AddressInfo
  return Object.assign(state, { version, port, id: `/$/inet/127.0.0.1/${port}` })
}

export interface World {
  readonly v1: Backend
  readonly v2: Backend
  /** The proxy's router port and admin port. */
  readonly port: number
  readonly adminPort: number
}

/** v1 and v2, and a proxy routing /svc/world to v1. */
export async function world(t: Tap): Promise<World> {
  const v1 = await backend(t, 'v1')
  const v2 = await backend(t, 'v2')
  const dir = await tempDir(t)
  const config = join(dir, 'proxy.yaml')
  await writeFile(
    config,
    [
      'admin: {ip: 127.0.0.1, port: 0}',
      'routers:',
      '  - label: outgoing',
      `    interpreter: {kind: local, dtab: "/svc/world => /$/inet/127.0.0.1/${v1.port}"}`,
      '    servers: [{ip: 127.0.0.1, port: 0}]',
      '',
    ].join('\n'),
  )
  const proxy = await startProxy(t, 'proxy', config)
  return { v1, v2, port: proxy.port, adminPort: proxy.adminPort }
}

/** A GET through the proxy as `world` (fetch cannot set Host); resolves with the status. */
export function send(
  port: number,
  path = '/',
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host: 'world', ...headers } },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}
