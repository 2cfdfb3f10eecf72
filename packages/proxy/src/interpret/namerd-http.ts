// The HTTP side of talking to namerd: one-shot GETs and watch streams (namerd-wire.md §1.3:
// 200, chunked, one document and `\n` per state; an error is a text line, then the end).
// Lines are split from the bytes, never from chunk boundaries. Node's own http client: the
// proxy carries no second HTTP stack for a handful of long-lived requests.
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http'
import { StringDecoder } from 'node:string_decoder'
import type { ConnectionOptions } from 'node:tls'
import { describeTlsError } from '../tls/tls-errors.js'
import { InterpreterError } from './errors.js'

/** The request header with which a watcher names itself in namerd's propagation status. */
export const WATCHER_ID_HEADER = 'l5d-watcher-id'
/** The request header with which a watcher names its admin address, for namerd's rollouts. */
export const WATCHER_ADMIN_HEADER = 'l5d-watcher-admin'

export interface NamerdEndpoint {
  /** Base URL, e.g. `http://127.0.0.1:4180` (a path prefix is kept). */
  readonly dst: string
  readonly token?: string
  readonly watcherId?: string
  /**
   * The admin address (`host:port`) sent with every watch. A promise: the proxy knows its
   * admin port only once it listens (port 0), and a watch waits that moment rather than go
   * without it, since namerd records the address when a watch starts.
   */
  readonly watcherAdmin?: Promise<string | undefined>
  readonly agents: NamerdAgents
}

/**
 * The interpreter's `tls:` loaded (tls/client-tls.ts's ClientTls): the options of a connection
 * to `host` (trusted CAs, the name to verify, a client certificate, validation on or off).
 */
export interface NamerdTls {
  /** Fresh per connection: the files are re-read when they change (checked at most every 2 s). */
  connectOptions(host: string): ConnectionOptions
  /** A TLS failure said plainly (expired, wrong name, unknown CA); undefined if not one. */
  describe(err: unknown, peer: string): string | undefined
  /** describe(), with the dates of a certificate out of its validity (one more handshake). */
  describeWithDates(
    err: unknown,
    host: string,
    port: number,
    peer: string,
  ): Promise<string | undefined>
}

/** Keep-alive connections to namerd; the https one (and TLS) only once an https URL is used. */
export class NamerdAgents {
  readonly http = new Agent({ keepAlive: true })
  readonly #tls: NamerdTls | undefined
  #https: Agent | undefined

  constructor(tls?: NamerdTls) {
    this.#tls = tls
  }

  async forUrl(url: string): Promise<{ agent: Agent; request: typeof httpRequest }> {
    if (!url.startsWith('https:')) return { agent: this.http, request: httpRequest }
    const https = await import('node:https')
    const tls = this.#tls
    // One namerd per interpreter. Connections are kept alive, but each new one takes its TLS
    // options from the interpreter's tls now, not from when the agent was made: a rotated CA
    // or client certificate is used without a restart, as router clients' are. No TLS session
    // is resumed, so a new trust applies to every new connection. Without tls, the system's
    // CAs and the URL's host name, as any https client.
    this.#https ??= new (class extends https.Agent {
      override createConnection(
        options: Parameters<Agent['createConnection']>[0],
        callback?: Parameters<Agent['createConnection']>[1],
      ) {
        const host = String(options.hostname ?? options.host ?? '').replace(/^\[|\]$/g, '')
        const fresh = tls?.connectOptions(host)
        return super.createConnection(
          fresh === undefined ? options : { ...options, ...fresh },
          callback,
        )
      }
    })({ keepAlive: true, maxCachedSessions: 0 })
    return { agent: this.#https, request: https.request }
  }

  /** What went wrong reaching `url`: a TLS failure said plainly, else the error's message. */
  describe(err: Error, url: string): string {
    return this.#describe(err, url, this.#tlsDescribe(err, peerOf(url)))
  }

  /**
   * describe(), and for a certificate out of its validity its dates (`has expired (not after
   * ...)`), read with one more handshake as router clients do.
   */
  async describeWithDates(err: Error, url: string): Promise<string> {
    const u = new URL(url)
    const code = (err as NodeJS.ErrnoException).code
    if (
      u.protocol !== 'https:' ||
      this.#tls === undefined ||
      (code !== 'CERT_HAS_EXPIRED' && code !== 'CERT_NOT_YET_VALID')
    ) {
      return this.describe(err, url)
    }
    const peer = peerOf(url)
    const port = Number(peer.slice(peer.lastIndexOf(':') + 1))
    const host = u.hostname.replace(/^\[|\]$/g, '')
    const said = await this.#tls.describeWithDates(err, host, port, peer)
    return this.#describe(err, url, said)
  }

  /** Whether `describe` words `err` itself (a TLS failure), so its cause need not follow. */
  isTlsFailure(err: Error, url: string): boolean {
    return new URL(url).protocol === 'https:' && this.#tlsDescribe(err, peerOf(url)) !== undefined
  }

  #describe(err: Error, url: string, tls: string | undefined): string {
    if (new URL(url).protocol !== 'https:') return err.message
    if (tls !== undefined) return tls
    // A node server refuses a client certificate it does not trust by closing the connection
    // after the handshake, with no alert: all this side sees is the hang-up.
    if ((err as NodeJS.ErrnoException).code === 'ECONNRESET')
      return `${err.message} (namerd closed the TLS connection: if it requires client certificates, check that tls.clientAuth's certificate is signed by the CA namerd trusts, its tls.caCertPath)`
    return err.message
  }

  #tlsDescribe(err: Error, peer: string): string | undefined {
    return this.#tls?.describe(err, peer) ?? describeTlsError(err, peer)
  }

  destroy(): void {
    this.http.destroy()
    this.#https?.destroy()
  }
}

/** `host:port` of a URL, the port filled in from the scheme. */
function peerOf(url: string): string {
  const u = new URL(url)
  return `${u.hostname}:${u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80'}`
}

/** How long namerd may take to answer (connect included); a watch body may then idle forever. */
export const HEADERS_TIMEOUT_MS = 30_000

/**
 * `namerd at <host>:<port>`, the prefix of every failure to reach namerd: a bare
 * `connect ECONNREFUSED 10.0.0.7:4180` in a 503 or a log does not say it was namerd that
 * could not be reached, nor which one.
 */
export function namerdAt(url: string): string {
  const u = new URL(url)
  const port = u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80'
  return `namerd at ${u.hostname}:${port}`
}

/** A GET; resolves with the response once its head is in. */
async function get(
  ep: NamerdEndpoint,
  url: string,
  watch: boolean,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const { agent, request } = await ep.agents.forUrl(url)
  const admin = watch ? await ep.watcherAdmin : undefined
  return new Promise((resolve, reject) => {
    const headers = headersFor(ep, watch, admin)
    const req = request(url, { method: 'GET', headers, agent, signal })
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${HEADERS_TIMEOUT_MS} ms`))
    }, HEADERS_TIMEOUT_MS)
    req.once('response', (res) => {
      clearTimeout(timer)
      resolve(res)
    })
    req.once('error', (err) => {
      clearTimeout(timer)
      // An abort is the caller's own doing, and is recognised as such: passed on as it is.
      if (signal.aborted) {
        reject(err)
        return
      }
      // A TLS failure is worded whole (an expired certificate with its date): node's own
      // message, as the cause, would only repeat it ('has expired: certificate has expired').
      const tls = ep.agents.isTlsFailure(err, url)
      void ep.agents.describeWithDates(err, url).then((said) => {
        reject(
          new InterpreterError(
            'namerd_unreachable',
            `${namerdAt(url)}: ${said}`,
            tls ? undefined : err,
          ),
        )
      })
    })
    req.end()
  })
}

async function text(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8')
  let out = ''
  for await (const chunk of res) out += chunk as string
  return out
}

/** `<dst>/api/1/<rest>`, with `rest` already encoded. */
export function apiUrl(dst: string, rest: string): string {
  return `${dst.replace(/\/+$/, '')}/api/1/${rest}`
}

function headersFor(
  ep: NamerdEndpoint,
  watch: boolean,
  admin: string | undefined,
): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' }
  if (ep.token !== undefined) h.authorization = `Bearer ${ep.token}`
  if (watch && ep.watcherId !== undefined) h[WATCHER_ID_HEADER] = ep.watcherId
  if (watch && admin !== undefined) h[WATCHER_ADMIN_HEADER] = admin
  return h
}

const MAX_ERROR_BODY = 512

async function errorBody(res: IncomingMessage): Promise<string> {
  const body = await text(res).catch(() => '')
  return body.length > MAX_ERROR_BODY ? `${body.slice(0, MAX_ERROR_BODY)}…` : body.trim()
}

export interface OneShot {
  readonly status: number
  readonly etag: string | undefined
  readonly text: string
}

export async function getOnce(
  ep: NamerdEndpoint,
  url: string,
  signal: AbortSignal,
): Promise<OneShot> {
  const res = await get(ep, url, false, signal)
  return { status: res.statusCode ?? 0, etag: res.headers.etag, text: await text(res) }
}

/**
 * Opens a watch on `url`: `onOpen` once the 200 arrives, `onLine` for each line. Resolves when
 * namerd ends the stream; rejects on a connection error, an abort, or a status other than 200.
 */
export async function readWatch(
  ep: NamerdEndpoint,
  url: string,
  signal: AbortSignal,
  onOpen: () => void,
  onLine: (line: string) => void,
): Promise<void> {
  const res = await get(ep, url, true, signal)
  if (res.statusCode !== 200) {
    const text = await errorBody(res)
    throw new InterpreterError(
      'namerd_http',
      `${namerdAt(url)} answered ${res.statusCode} to ${new URL(url).pathname}${text ? `: ${text}` : ''}`,
    )
  }
  onOpen()
  const decoder = new StringDecoder('utf8')
  let buf = ''
  try {
    for await (const chunk of res) {
      buf += decoder.write(chunk as Buffer)
      let i = buf.indexOf('\n')
      while (i !== -1) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        if (line.trim() !== '') onLine(line)
        i = buf.indexOf('\n')
      }
    }
  } catch (err) {
    // A line namerd sent that is not a dtab, or the caller's abort: as they are.
    if (signal.aborted || err instanceof InterpreterError) throw err
    throw new InterpreterError(
      'namerd_unreachable',
      `${namerdAt(url)}: the watch broke: ${(err as Error).message}`,
      err,
    )
  }
  buf += decoder.end()
  // namerd ends every document with `\n`; a last line without one is an error message cut short.
  if (buf.trim() !== '') onLine(buf)
}
