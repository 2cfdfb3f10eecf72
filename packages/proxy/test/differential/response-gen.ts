// Generated backend bytes: near-valid responses (status lines, framing headers, chunked bodies,
// bytes after the end, interim 1xx), and valid responses changed byte by byte.
import fc from 'fast-check'
import {
  type ChunkedBody,
  chunkedBody,
  chunkedText,
  eol,
  type Field,
  fieldText,
  type Mutation,
  miscField,
  mutate,
  mutation,
  pick,
} from './pieces.js'
import type { ResponseInput } from './response-case.js'

export interface GenResponse {
  readonly interim: string
  readonly version: string
  readonly status: string
  readonly reason: string
  readonly eol: string
  /** Framing header lines, `{n}` standing for the body's length. */
  readonly framing: readonly string[]
  readonly connection: string | undefined
  readonly misc: readonly Field[]
  readonly endEol: string
  readonly body:
    | { readonly type: 'raw'; readonly text: string }
    | { readonly type: 'chunked'; readonly chunked: ChunkedBody }
  readonly after: string
}

export interface ResponseCase {
  /** Built from valid parts only: an RFC 9112 response the proxy must relay. */
  readonly valid: boolean
  readonly method: 'GET' | 'HEAD'
  readonly response: GenResponse
  readonly mutations: readonly Mutation[]
  /** Split the backend's write at this fraction of the bytes (0: one write). */
  readonly splitAt: number
  readonly close: boolean
}

const LENGTH_VALID = ['Content-Length: {n}']
const LENGTH_ODD = [
  'Content-Length: {n}, {n}',
  'Content-Length: {n}\r\nContent-Length: {n}',
  'Content-Length: {n}\r\nContent-Length: {n+1}',
  'Content-Length: {n+1}',
  'Content-Length: {n-1}',
  'Content-Length: +{n}',
  'Content-Length: 0{n}',
  'Content-Length: -1',
  'Content-Length: 99999999999999999999',
  'Content-Length: {n} {n}',
  'Content-Length:',
]
const CHUNKED_VALID = ['Transfer-Encoding: chunked']
const CHUNKED_ODD = [
  'Transfer-Encoding: Chunked',
  'Transfer-Encoding: chunked, gzip',
  'Transfer-Encoding: gzip, chunked',
  'Transfer-Encoding: chunkedchunked',
  'Transfer-Encoding: xchunked\r\nContent-Length: {n}',
  'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity',
  'Transfer-Encoding: identity\r\nContent-Length: {n}',
  'Transfer-Encoding: chunked\r\nContent-Length: {n}',
  'Transfer-Encoding: chunked, chunked',
  'Transfer-Encoding: chunked,',
  'Transfer-Encoding: identity',
  'Transfer-Encoding: chunked\x0b',
  'Transfer-Encoding:  chunked ',
]

function genResponse(validOnly: boolean): fc.Arbitrary<GenResponse> {
  const chunked = fc.record({
    framing: fc.array(pick(validOnly, CHUNKED_VALID, CHUNKED_ODD), { minLength: 1, maxLength: 1 }),
    body: chunkedBody(validOnly).map((c) => ({ type: 'chunked' as const, chunked: c })),
  })
  const rawBody = fc
    .constantFrom(
      'hello',
      '',
      'abc\r\n',
      '0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nleak!',
    )
    .map((text) => ({ type: 'raw' as const, text }))
  const length = fc.record({
    framing: fc.array(pick(validOnly, LENGTH_VALID, LENGTH_ODD), { minLength: 1, maxLength: 1 }),
    body: rawBody,
  })
  const close = fc.record({ framing: fc.constant([] as string[]), body: rawBody })
  return fc
    .record({
      interim: pick(
        validOnly,
        [''],
        [
          'HTTP/1.1 100 Continue\r\n\r\n',
          'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n',
          'HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n',
        ],
      ),
      version: pick(validOnly, ['1.1', '1.1', '1.0'], ['1.2', '2', '0.9', '1.10', '11']),
      status: pick(
        validOnly,
        ['200', '201', '404', '500'],
        ['204', '304', '100', '199', '600', '999', '2000', '20', '101', ' 200', '200 '],
      ),
      reason: pick(
        validOnly,
        [' OK', ' Not Found', ''],
        [' O\x00K', ' O\rK', ' ', '  OK', ' \xe9'],
      ),
      eol: eol(validOnly),
      framed: fc.oneof(
        { weight: 4, arbitrary: chunked },
        { weight: 4, arbitrary: length },
        { weight: 1, arbitrary: close },
      ),
      connection: fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        {
          weight: 1,
          arbitrary: pick(
            validOnly,
            ['close', 'keep-alive', 'x-a'],
            ['Close', 'close, keep-alive', 'content-length', 'transfer-encoding'],
          ),
        },
      ),
      misc: fc.array(miscField(validOnly), { maxLength: 2 }),
      endEol: eol(validOnly),
      after: pick(
        validOnly,
        [''],
        [
          'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nleak!',
          'junk',
          '\r\n',
          'HTTP/1.1 200 OK\r\n',
        ],
      ),
    })
    .map(({ framed, ...r }) => ({
      ...r,
      // Transfer-Encoding in HTTP/1.0 is faulty framing (RFC 9112 §6.1): not a valid response.
      version:
        validOnly && r.version === '1.0' && framed.body.type === 'chunked' ? '1.1' : r.version,
      framing: framed.framing,
      body: framed.body,
    }))
}

export function responseText(r: GenResponse): string {
  const body = r.body.type === 'raw' ? r.body.text : chunkedText(r.body.chunked)
  const n = body.length
  const framing = r.framing.map(
    (f) =>
      `${f
        .replaceAll('{n+1}', String(n + 1))
        .replaceAll('{n-1}', String(Math.max(0, n - 1)))
        .replaceAll('{n}', String(n))}\r\n`,
  )
  const lines = [...r.misc.map(fieldText), ...framing]
  if (r.connection !== undefined) lines.push(`Connection: ${r.connection}\r\n`)
  return `${r.interim}HTTP/${r.version} ${r.status}${r.reason}${r.eol}${lines.join('')}${r.endEol}${body}${r.after}`
}

export function responseInput(c: ResponseCase): ResponseInput {
  const text = mutate(responseText(c.response), c.mutations)
  const bytes = Buffer.from(text, 'latin1')
  const split = c.splitAt === 0 ? undefined : Math.max(1, Math.floor(bytes.length * c.splitAt))
  return {
    method: c.method,
    bytes,
    split: split !== undefined && split < bytes.length ? split : undefined,
    close: c.close,
    valid: c.valid,
  }
}

function responseCase(
  validOnly: boolean,
  mutations: fc.Arbitrary<Mutation[]>,
  valid: boolean,
): fc.Arbitrary<ResponseCase> {
  return fc.record({
    valid: fc.constant(valid),
    method: valid
      ? fc.constant('GET' as const)
      : fc.oneof(
          { weight: 9, arbitrary: fc.constant('GET' as const) },
          { weight: 1, arbitrary: fc.constant('HEAD' as const) },
        ),
    response: genResponse(validOnly),
    mutations,
    splitAt: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.constantFrom(0.25, 0.5, 0.75, 0.9) },
    ),
    close: fc.boolean(),
  })
}

export const responseCases: fc.Arbitrary<ResponseCase> = fc.oneof(
  { weight: 3, arbitrary: responseCase(false, fc.constant([]), false) },
  {
    weight: 2,
    arbitrary: responseCase(true, fc.array(mutation, { minLength: 1, maxLength: 3 }), false),
  },
  { weight: 1, arbitrary: responseCase(true, fc.constant([]), true) },
)
