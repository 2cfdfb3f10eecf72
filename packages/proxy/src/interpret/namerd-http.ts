// The HTTP side of talking to namerd: one-shot GETs and watch streams (namerd-wire.md §1.3:
// 200, chunked, one document and `\n` per state; an error is a text line, then the end).
// Lines are split from the bytes, never from chunk boundaries.
import { StringDecoder } from 'node:string_decoder'
import { type Dispatcher, request } from 'undici'
import { InterpreterError } from './errors.js'

/** The request header with which a watcher names itself in namerd's propagation status. */
export const WATCHER_ID_HEADER = 'l5d-watcher-id'

export interface NamerdEndpoint {
  /** Base URL, e.g. `http://127.0.0.1:4180` (a path prefix is kept). */
  readonly dst: string
  readonly token?: string
  readonly watcherId?: string
  readonly dispatcher: Dispatcher
}

/** `<dst>/api/1/<rest>`, with `rest` already encoded. */
export function apiUrl(dst: string, rest: string): string {
  return `${dst.replace(/\/+$/, '')}/api/1/${rest}`
}

function headersFor(ep: NamerdEndpoint, watch: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' }
  if (ep.token !== undefined) h.authorization = `Bearer ${ep.token}`
  if (watch && ep.watcherId !== undefined) h[WATCHER_ID_HEADER] = ep.watcherId
  return h
}

const MAX_ERROR_BODY = 512

async function errorBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  const text = await body.text().catch(() => '')
  return text.length > MAX_ERROR_BODY ? `${text.slice(0, MAX_ERROR_BODY)}…` : text.trim()
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
  const res = await request(url, {
    method: 'GET',
    headers: headersFor(ep, false),
    dispatcher: ep.dispatcher,
    signal,
  })
  const etag = res.headers.etag
  return {
    status: res.statusCode,
    etag: typeof etag === 'string' ? etag : undefined,
    text: await res.body.text(),
  }
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
  const res = await request(url, {
    method: 'GET',
    headers: headersFor(ep, true),
    dispatcher: ep.dispatcher,
    signal,
  })
  if (res.statusCode !== 200) {
    const text = await errorBody(res.body)
    throw new InterpreterError(
      'namerd_http',
      `namerd answered ${res.statusCode} to ${new URL(url).pathname}${text ? `: ${text}` : ''}`,
    )
  }
  onOpen()
  const decoder = new StringDecoder('utf8')
  let buf = ''
  for await (const chunk of res.body) {
    buf += decoder.write(chunk as Buffer)
    let i = buf.indexOf('\n')
    while (i !== -1) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      if (line.trim() !== '') onLine(line)
      i = buf.indexOf('\n')
    }
  }
  buf += decoder.end()
  // namerd ends every document with `\n`; a last line without one is an error message cut short.
  if (buf.trim() !== '') onLine(buf)
}
