// The whole proxy in this process, started the way main.ts starts it (startProxy with a checked
// config), real backends that record what reached them, and a client that can send any
// headers (repeated ones, no Host, a chosen Host), which fetch cannot.
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http'
import { connect } from 'node:net'
import { pino } from 'pino'
import { ProxyConfig, type ProxyConfig as ProxyConfigType } from '../src/config/schema.js'
import { type RunningProxy, startProxy } from '../src/proxy.js'
import { type Backend, backend } from './forward-helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  /** The raw header lines, for headers that repeat. */
  readonly rawHeaders: string[]
}

export interface RecordingBackend extends Backend {
  readonly seen: Seen[]
}

/** A backend that records every request and answers `name`, or what `reply` writes. */
export async function recordingBackend(
  t: Teardown,
  name: string,
  reply?: (req: Seen, res: import('node:http').ServerResponse) => void,
): Promise<RecordingBackend> {
  const seen: Seen[] = []
  const b = await backend((req, res) => {
    const s: Seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
    }
    seen.push(s)
    req.resume()
    req.on('end', () => {
      if (reply) reply(s, res)
      else {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end(name)
      }
    })
  }, name)
  t.teardown(() => b.close())
  return Object.assign(b, { seen })
}

export const inet = (port: number) => `/$/inet/127.0.0.1/${port}`

/** One router on 127.0.0.1:0 with a local interpreter and `dtab`, the admin on 127.0.0.1:0. */
export function localConfig(
  dtab: string,
  router: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): ProxyConfigType {
  return ProxyConfig.parse({
    admin: { ip: '127.0.0.1', port: 0 },
    ...top,
    routers: [
      {
        label: 'outgoing',
        interpreter: { kind: 'local', dtab },
        servers: [{ ip: '127.0.0.1', port: 0 }],
        ...router,
      },
    ],
  })
}

export interface TestProxy {
  readonly running: RunningProxy
  /** `http://127.0.0.1:<port>` of the first router's first server. */
  readonly url: string
  readonly port: number
  /** `http://127.0.0.1:<port>` of the admin server. */
  readonly admin: string
}

/** Starts the proxy and waits until every router has its dtab (unless `waitReady` is false). */
export async function runProxy(
  t: Teardown,
  config: ProxyConfigType,
  options: { baseDir?: string; waitReady?: boolean } = {},
): Promise<TestProxy> {
  const running = await startProxy(config, {
    logger: pino({ level: 'silent' }),
    baseDir: options.baseDir ?? process.cwd(),
  })
  t.teardown(() => running.close())
  if (options.waitReady !== false) {
    await Promise.all(running.routers.map((r) => r.interpreter.ready(5000)))
  }
  const address = running.routers[0]!.addresses()[0]!
  return {
    running,
    url: `http://${address}`,
    port: Number(address.slice(address.lastIndexOf(':') + 1)),
    admin: `http://${running.admin}`,
  }
}

export interface Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/**
 * One request to `port`. `host: undefined` in `headers` sends no Host header at all; array
 * values are sent as repeated header lines.
 */
export function send(
  port: number,
  options: { path?: string; method?: string; headers?: OutgoingHttpHeaders; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers }
    const noHost = 'host' in headers && headers.host === undefined
    if (noHost) delete headers.host
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers,
        setHost: !noHost,
        agent: false,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          body += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * Writes `bytes` as they are to `port` (for what node's client cannot send: an empty Host, two
 * Hosts) and resolves with everything that comes back once the proxy ends the connection.
 */
export function sendRaw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(bytes))
    let out = ''
    s.on('data', (d: Buffer) => {
      out += d.toString()
    })
    s.on('end', () => resolve(out))
    s.on('error', reject)
  })
}

/** The `l5d-*` headers (and `via`) of a request as the backend saw them. */
export function l5dHeaders(h: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {}
  for (const [k, v] of Object.entries(h)) if (k.startsWith('l5d-') || k === 'via') out[k] = v
  return out
}

export type { Backend }
