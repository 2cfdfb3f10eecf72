// llhttp, node's own HTTP/1.1 parser, in this process: the HTTPParser binding node:http drives,
// with the same settings (no lenient flags). The socket-level runs are the reference; this is
// for reading what came back to a client, byte stream by byte stream, exactly as node would.
import { createRequire } from 'node:module'

interface ParserBinding {
  new (): ParserInstance
  readonly REQUEST: number
  readonly RESPONSE: number
  readonly kOnHeaders: number
  readonly kOnHeadersComplete: number
  readonly kOnBody: number
  readonly kOnMessageComplete: number
}

interface ParserError extends Error {
  readonly code: string
  readonly reason: string
  readonly bytesParsed: number
}

interface ParserInstance {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void
  execute(data: Buffer): number | ParserError
  finish(): undefined | ParserError
  close(): void
  [slot: number]: unknown
}

// `_http_common` is how node:http reaches the binding; it carries no types and no deprecation.
const common = createRequire(import.meta.url)('_http_common') as {
  HTTPParser: ParserBinding
  methods: readonly string[]
}
const { HTTPParser, methods } = common

export interface LlhttpMessage {
  readonly method: string | undefined
  readonly url: string
  readonly status: number
  readonly version: string
  /** Raw name/value pairs as llhttp split them. */
  readonly headers: readonly string[]
  body: Buffer
  complete: boolean
}

export interface LlhttpResult {
  readonly messages: LlhttpMessage[]
  /** llhttp's error code (HPE_*) and where, when it stopped on one. */
  readonly error: { code: string; reason: string; offset: number } | undefined
}

/**
 * Parses `data` as a stream of responses, each to the request method at its index in
 * `requestMethods` (a HEAD response has no body). 1xx responses are listed with the rest and
 * do not use up a method. `eof`: the stream ended there (a body read until close ends).
 */
export function parseResponses(
  data: Buffer,
  requestMethods: readonly string[],
  eof: boolean,
): LlhttpResult {
  return parse(HTTPParser.RESPONSE, data, eof, requestMethods)
}

/** Parses `data` as a stream of requests, as node's server would. */
export function parseRequests(data: Buffer, eof: boolean): LlhttpResult {
  return parse(HTTPParser.REQUEST, data, eof, [])
}

function parse(
  type: number,
  data: Buffer,
  eof: boolean,
  requestMethods: readonly string[],
): LlhttpResult {
  const p = new HTTPParser()
  const messages: LlhttpMessage[] = []
  let finals = 0
  let cur: LlhttpMessage | undefined
  p[HTTPParser.kOnHeaders] = (headers: string[]) => {
    // More than 32 header pairs arrive in batches before kOnHeadersComplete.
    pending.push(...headers)
  }
  const pending: string[] = []
  p[HTTPParser.kOnHeadersComplete] = (
    major: number,
    minor: number,
    headers: string[] | undefined,
    method: number | undefined,
    url: string | undefined,
    status: number | undefined,
  ) => {
    cur = {
      method: method === undefined ? undefined : methods[method],
      url: url ?? '',
      status: status ?? 0,
      version: `${major}.${minor}`,
      headers: [...pending.splice(0), ...(headers ?? [])],
      body: Buffer.alloc(0),
      complete: false,
    }
    messages.push(cur)
    if (type !== HTTPParser.RESPONSE || (status !== undefined && status >= 100 && status < 200)) {
      return 0
    }
    // 1: skip the body, as node's client does for a response to HEAD.
    return requestMethods[finals++] === 'HEAD' ? 1 : 0
  }
  p[HTTPParser.kOnBody] = (b: Buffer) => {
    if (cur !== undefined) cur.body = Buffer.concat([cur.body, b])
  }
  p[HTTPParser.kOnMessageComplete] = () => {
    if (cur !== undefined) cur.complete = true
  }
  p.initialize(type, {}, 0, 0)
  let error: LlhttpResult['error']
  const r = p.execute(data)
  if (typeof r !== 'number') error = { code: r.code, reason: r.reason, offset: r.bytesParsed }
  else if (eof) {
    const f = p.finish()
    if (f !== undefined) error = { code: f.code, reason: f.reason, offset: data.length }
  }
  p.close()
  return { messages, error }
}

/** The value of `name` (any case) in raw pairs, each value when it repeats. */
export function headerValues(pairs: readonly string[], name: string): string[] {
  const out: string[] = []
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    if (pairs[i]!.toLowerCase() === name) out.push(pairs[i + 1]!)
  }
  return out
}
