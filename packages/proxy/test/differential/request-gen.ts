// Generated client bytes: near-valid requests built from parts (methods, targets, versions,
// Host values, framing header combinations, chunked bodies, trailers, line ends, pipelining),
// and valid requests changed byte by byte.
import fc from 'fast-check'
import {
  type ChunkedBody,
  chunkedBody,
  chunkedText,
  eol,
  type Field,
  field,
  fieldText,
  type Mutation,
  miscField,
  mutate,
  mutation,
  pick,
} from './pieces.js'

/** Content-Length values, relative to the body that is sent. */
export type LengthForm =
  | 'exact'
  | 'list-same'
  | 'plus1'
  | 'minus1'
  | 'plus-sign'
  | 'minus-one'
  | 'leading-zero'
  | 'decimal'
  | 'hex'
  | 'huge'
  | 'empty'
  | 'list-differ'
  | 'spaced'

function lengthText(form: LengthForm, n: number): string {
  switch (form) {
    case 'exact':
      return String(n)
    case 'list-same':
      return `${n}, ${n}`
    case 'plus1':
      return String(n + 1)
    case 'minus1':
      return String(Math.max(0, n - 1))
    case 'plus-sign':
      return `+${n}`
    case 'minus-one':
      return '-1'
    case 'leading-zero':
      return `0${n}`
    case 'decimal':
      return `${n}.0`
    case 'hex':
      return `0x${n.toString(16)}`
    case 'huge':
      return '99999999999999999999'
    case 'empty':
      return ''
    case 'list-differ':
      return `${n}, ${n + 1}`
    case 'spaced':
      return `${n} ${n}`
  }
}

export type Framing =
  | { readonly type: 'none' }
  | { readonly type: 'length'; readonly forms: readonly LengthForm[] }
  | { readonly type: 'chunked'; readonly te: readonly string[] }
  | { readonly type: 'both'; readonly te: readonly string[]; readonly form: LengthForm }

/** Both kinds of body are generated; the framing picks which is sent (no chain: shrinks well). */
export interface Body {
  readonly raw: string
  readonly chunked: ChunkedBody
  /** With Transfer-Encoding, send the raw text instead of chunks. */
  readonly unchunked: boolean
}

export interface GenRequest {
  readonly leading: string
  readonly method: string
  readonly sp1: string
  readonly target: string
  readonly sp2: string
  readonly version: string
  readonly eol: string
  readonly hosts: readonly Field[]
  readonly framing: Framing
  readonly framingEol: string
  readonly connection: string | undefined
  readonly misc: readonly Field[]
  /** Where among the other headers Host goes. */
  readonly hostAt: number
  readonly endEol: string
  readonly body: Body
}

export type RequestCase =
  | {
      readonly type: 'built'
      readonly requests: readonly GenRequest[]
      readonly tail: string
      /** Built from valid parts only: RFC 9112 requests the proxy must not refuse. */
      readonly valid: boolean
    }
  | {
      readonly type: 'mutated'
      readonly requests: readonly GenRequest[]
      readonly mutations: readonly Mutation[]
    }

const RAW_BODIES = ['abc', '', 'hello', 'GET /s HTTP/1.1\r\nHost: a\r\n\r\n', '0\r\n\r\n', 'a\r\nb']

function genRequest(validOnly: boolean): fc.Arbitrary<GenRequest> {
  const te = pick(
    validOnly,
    ['chunked'],
    [
      'Chunked',
      'CHUNKED',
      ' chunked',
      'chunked, gzip',
      'gzip, chunked',
      'xchunked',
      'chunkedx',
      'chunked,',
      ', chunked',
      'identity',
      'chunked, chunked',
      'chunked;q=1',
      'chunk\x00ed',
      'chunked\x0b',
      '"chunked"',
    ],
  )
  const forms = pick<LengthForm>(
    validOnly,
    ['exact'],
    [
      'list-same',
      'plus1',
      'minus1',
      'plus-sign',
      'minus-one',
      'leading-zero',
      'decimal',
      'hex',
      'huge',
      'empty',
      'list-differ',
      'spaced',
    ],
  )
  const framing: fc.Arbitrary<Framing> = fc.oneof(
    { weight: 3, arbitrary: fc.constant({ type: 'none' as const }) },
    {
      weight: 4,
      arbitrary: fc.record({
        type: fc.constant('length' as const),
        forms: fc.array(forms, { minLength: 1, maxLength: validOnly ? 1 : 2 }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        type: fc.constant('chunked' as const),
        te: fc.array(te, { minLength: 1, maxLength: validOnly ? 1 : 2 }),
      }),
    },
    ...(validOnly
      ? []
      : [
          {
            weight: 1,
            arbitrary: fc.record({
              type: fc.constant('both' as const),
              te: fc.array(te, { minLength: 1, maxLength: 1 }),
              form: forms,
            }),
          },
        ]),
  )
  const host = field(
    validOnly,
    pick(validOnly, ['Host', 'host', 'HOST'], ['Host ', 'Ho st']),
    pick(
      validOnly,
      ['a', 'svc.test', 'a:8080', '[::1]:80', '127.0.0.1', 'A.b-c_d~', 'a%41'],
      [
        'a b',
        'a\tb',
        'a@b',
        'u@a',
        'a/b',
        '',
        'a:80:90',
        'a\x00',
        'a"b',
        'a<b',
        '\xe4',
        'a:b',
        'a?b',
        'a#b',
        '[::1',
        'a\\b',
      ],
    ),
  )
  const body: fc.Arbitrary<Body> = fc.record({
    raw: fc.constantFrom(...RAW_BODIES),
    chunked: chunkedBody(validOnly),
    unchunked: validOnly
      ? fc.constant(false)
      : fc.oneof(
          { weight: 8, arbitrary: fc.constant(false) },
          { weight: 1, arbitrary: fc.constant(true) },
        ),
  })
  return fc
    .record({
      leading: pick(validOnly, [''], ['\r\n', '\n', ' ']),
      method: pick(
        validOnly,
        ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
        ['get', 'FOO', 'M-SEARCH', 'G(T', 'HEAD', 'CONNECT', 'GE\x00T', ''],
      ),
      sp1: pick(validOnly, [' '], ['  ', '\t', '']),
      target: pick(
        validOnly,
        ['/', '/a', '/a/b?c=d', '/%41', 'http://a/x', 'http://svc.test:8080/x?y', 'https://a/x'],
        [
          '*',
          'HTTP://a/x',
          'http://a',
          'http://u@a/x',
          'http://u:p@a/x',
          'http://@a/x',
          'http://a@b@c/x',
          'ftp://a/x',
          'a:80',
          '//a/x',
          '/a#f',
          'http://a/x#f',
          'http://[::1]/x',
          'http:///x',
          'http://a b/x',
          '/a\x7fb',
          '/\xe4',
          'http://a?x',
        ],
      ),
      sp2: pick(validOnly, [' '], ['  ', '\t', '']),
      version: pick(
        validOnly,
        ['1.1', '1.1', '1.0'],
        ['1.2', '2.0', '0.9', '5.6', '1.10', '11', 'x.y', '1.1 ', '1'],
      ),
      eol: eol(validOnly),
      hosts: fc.oneof(
        { weight: 10, arbitrary: fc.array(host, { minLength: 1, maxLength: 1 }) },
        { weight: validOnly ? 0 : 1, arbitrary: fc.array(host, { maxLength: 2 }) },
      ),
      framing,
      framingEol: eol(validOnly),
      connection: fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: fc.constant('close') },
        {
          weight: 1,
          arbitrary: pick(
            validOnly,
            ['keep-alive', 'x-a', 'close, x-a'],
            ['content-length', 'transfer-encoding', 'host', 'te', 'Close'],
          ),
        },
      ),
      misc: fc.array(miscField(validOnly), { maxLength: 2 }),
      hostAt: fc.nat({ max: 3 }),
      endEol: eol(validOnly),
      body,
    })
    .map((r) =>
      // Transfer-Encoding in HTTP/1.0 is faulty framing (RFC 9112 §6.1): not a valid request.
      validOnly && r.version === '1.0' && r.framing.type === 'chunked'
        ? { ...r, version: '1.1' }
        : r,
    )
}

function bodyText(r: GenRequest): string {
  const f = r.framing.type
  if (f === 'none') return ''
  if (f === 'length' || r.body.unchunked) return r.body.raw
  return chunkedText(r.body.chunked)
}

export function requestText(r: GenRequest): string {
  const body = bodyText(r)
  const n = body.length
  const framing: string[] = []
  const f = r.framing
  const line = (name: string, value: string) => `${name}: ${value}${r.framingEol}`
  if (f.type === 'length')
    for (const form of f.forms) framing.push(line('Content-Length', lengthText(form, n)))
  if (f.type === 'chunked') for (const te of f.te) framing.push(line('Transfer-Encoding', te))
  if (f.type === 'both') {
    framing.push(line('Transfer-Encoding', f.te[0]!))
    framing.push(line('Content-Length', lengthText(f.form, n)))
  }
  const others = [...r.misc.map(fieldText), ...framing]
  if (r.connection !== undefined) others.push(`Connection: ${r.connection}\r\n`)
  const at = Math.min(r.hostAt, others.length)
  const lines = [...others.slice(0, at), ...r.hosts.map(fieldText), ...others.slice(at)]
  return `${r.leading}${r.method}${r.sp1}${r.target}${r.sp2}HTTP/${r.version}${r.eol}${lines.join('')}${r.endEol}${body}`
}

export function requestCaseBytes(c: RequestCase): Buffer {
  const text = c.requests.map(requestText).join('')
  return Buffer.from(c.type === 'built' ? text + c.tail : mutate(text, c.mutations), 'latin1')
}

function requests(validOnly: boolean): fc.Arbitrary<GenRequest[]> {
  return fc.array(genRequest(validOnly), { minLength: 1, maxLength: 3 })
}

/** Requests built from valid and odd parts, back to back, maybe with bytes after them. */
export const builtRequests: fc.Arbitrary<RequestCase> = fc.record({
  type: fc.constant('built' as const),
  valid: fc.constant(false),
  requests: requests(false),
  tail: fc.oneof(
    { weight: 6, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'GET /t HTTP/1.1\r\n',
        'x',
        '\r\n',
        'GET /t HTTP/1.1\r\nHost: a\r\n\r\n',
      ),
    },
  ),
})

/** Valid requests with a few bytes changed. */
export const mutatedRequests: fc.Arbitrary<RequestCase> = fc.record({
  type: fc.constant('mutated' as const),
  requests: requests(true),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
})

/** Valid requests, back to back: none may be refused. */
export const validRequests: fc.Arbitrary<RequestCase> = fc.record({
  type: fc.constant('built' as const),
  valid: fc.constant(true),
  requests: requests(true),
  tail: fc.constant(''),
})

export const requestCases: fc.Arbitrary<RequestCase> = fc.oneof(
  { weight: 3, arbitrary: builtRequests },
  { weight: 2, arbitrary: mutatedRequests },
  { weight: 1, arbitrary: validRequests },
)
