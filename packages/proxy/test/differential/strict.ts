// RFC 9112 read to the letter, as a test oracle beside llhttp. llhttp differs from the RFC both
// ways (it forwards `Host: a b`, it refuses `3 ;x` which §7.1.1 allows), so two questions are
// asked of it: is what the proxy SENT valid (role 'proxy'), and, where llhttp refuses an input
// the proxy accepted, does the RFC allow the input and frame it as the proxy did (role
// 'input')? Where the RFC lets a recipient choose (a repeated identical Content-Length), the
// choice the proxy documents is taken; where accepting would only widen what the proxy must
// get right (bare LF line ends, Transfer-Encoding beside Content-Length), the input is refused.
//
// Bytes may end anywhere: a message cut short is incomplete, not wrong. Only a byte that is
// present and breaks the grammar is a violation.

export type StrictRule =
  | 'bare-cr'
  | 'bare-lf'
  | 'request-line'
  | 'method'
  | 'version'
  | 'target'
  | 'userinfo'
  | 'status-line'
  | 'obs-fold'
  | 'field-name'
  | 'field-value'
  | 'host'
  | 'content-length'
  | 'transfer-encoding'
  | 'chunk-size'
  | 'chunk-ext'
  | 'chunk-data'
  | 'trailer'
  | 'framing-copied'
  | 'after-close'

export interface StrictViolation {
  readonly rule: StrictRule
  readonly offset: number
  readonly detail: string
}

export type BodyFraming = 'none' | 'length' | 'chunked' | 'close'

export interface StrictMessage {
  readonly method: string
  readonly target: string
  readonly status: number
  readonly version: '1.0' | '1.1'
  /** Field lines as sent: name (as written) and value (OWS trimmed). */
  readonly fields: readonly (readonly [string, string])[]
  readonly framing: BodyFraming
  body: Buffer
  trailers: (readonly [string, string])[]
  complete: boolean
  /** Framed, but to be refused (input role): no or a bad Host, userinfo, a bad target. */
  readonly invalid?: StrictViolation | undefined
}

export interface StrictParse {
  readonly messages: StrictMessage[]
  readonly violation: StrictViolation | undefined
  /** Which message (0-based) the violation is in. */
  readonly violationIn: number
}

export interface StrictOptions {
  readonly side: 'request' | 'response'
  /** 'input': what a peer may send the proxy; 'proxy': what the proxy itself sends. */
  readonly role: 'input' | 'proxy'
  /** Response side: the methods of the requests answered, in order (HEAD has no body). */
  readonly methods?: readonly string[]
  /** The stream ended here: a body read until close is complete. */
  readonly eof?: boolean
}

class Violation extends Error {
  constructor(
    readonly rule: StrictRule,
    readonly offset: number,
    readonly detail: string,
  ) {
    super(detail)
  }
}

/** Thrown when the bytes end before the grammar can decide. */
class OutOfBytes extends Error {}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// field-value (RFC 9110 §5.5): VCHAR and obs-text, SP/HTAB inside; OWS is trimmed before.
const FIELD_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/
// Origin-form as the proxy and most servers take it: visible ASCII, no fragment.
const ORIGIN_FORM = /^\/[\x21-\x22\x24-\x7e]*$/
const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)$/
// RFC 3986 §3.2.2: host = IP-literal / IPv4address / reg-name, then [ ":" port ].
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/
const IP_LITERAL = /^\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]$/
const PORT = /^[0-9]*$/

/** Whether `value` is a valid Host (uri-host [":" port]); empty is valid (RFC 9110 §7.2). */
export function validAuthority(value: string): boolean {
  let host = value
  let port = ''
  if (value.startsWith('[')) {
    const close = value.indexOf(']')
    if (close < 0) return false
    host = value.slice(0, close + 1)
    const rest = value.slice(close + 1)
    if (rest !== '' && !rest.startsWith(':')) return false
    port = rest.slice(1)
    return IP_LITERAL.test(host) && PORT.test(port)
  }
  const colon = value.lastIndexOf(':')
  if (colon >= 0) {
    host = value.slice(0, colon)
    port = value.slice(colon + 1)
  }
  return REG_NAME.test(host) && PORT.test(port)
}

/** Splits an absolute-form target: lower-case scheme, authority, and the origin-form rest. */
export function splitAbsolute(
  target: string,
): { scheme: string; authority: string; path: string } | undefined {
  const m = ABSOLUTE_FORM.exec(target)
  if (m === null) return undefined
  const rest = m[3]!
  return {
    scheme: m[1]!.toLowerCase(),
    authority: m[2]!,
    path: rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`,
  }
}

export function strictParse(data: Buffer, options: StrictOptions): StrictParse {
  const p = new Parser(data, options)
  const messages: StrictMessage[] = []
  try {
    p.run(messages)
  } catch (err) {
    if (err instanceof Violation) {
      return {
        messages,
        violation: { rule: err.rule, offset: err.offset, detail: err.detail },
        violationIn: p.current,
      }
    }
    if (!(err instanceof OutOfBytes)) throw err
  }
  return { messages, violation: undefined, violationIn: -1 }
}

class Parser {
  private pos = 0
  private finals = 0
  /** The message being read. */
  current = 0

  constructor(
    private readonly d: Buffer,
    private readonly o: StrictOptions,
  ) {}

  run(out: StrictMessage[]): void {
    let closed = false
    while (this.pos < this.d.length) {
      if (closed) {
        // A server ignores what follows; the proxy must not send it.
        if (this.o.role === 'input') return
        throw new Violation(
          'after-close',
          this.pos,
          'bytes after a message that ends the connection',
        )
      }
      if (this.o.side === 'request' && this.o.role === 'input') {
        // RFC 9112 §2.2: empty lines before a request line are ignored.
        while (this.d[this.pos] === 13 && this.d[this.pos + 1] === 10) this.pos += 2
        if (this.pos >= this.d.length) return
        if (this.d[this.pos] === 13 && this.pos + 1 === this.d.length) return
      }
      this.current = out.length
      const m = this.o.side === 'request' ? this.request() : this.response()
      out.push(m)
      this.body(m)
      this.current = out.length
      if (m.framing === 'close') closed = true
      if (
        this.o.side === 'response' &&
        m.status >= 200 &&
        m.version === '1.0' &&
        !hasToken(m, 'keep-alive')
      ) {
        closed = true
      }
      if (hasToken(m, 'close') && (m.status === 0 || m.status >= 200)) closed = true
    }
  }

  /** The next line (CRLF excluded); a bare CR or LF, or a control byte, in it is a violation. */
  private line(context: string): { text: string; at: number } {
    const d = this.d
    const at = this.pos
    const lf = d.indexOf(10, at)
    const end = lf < 0 ? d.length : lf
    for (let i = at; i < end; i++) {
      const c = d[i]!
      if (c === 13) {
        // The CR of the CRLF, or a last byte that may still be followed by its LF.
        if ((lf >= 0 && i === lf - 1) || i === d.length - 1) continue
        throw new Violation('bare-cr', i, `a CR not followed by LF in ${context}`)
      }
      if (lf < 0 && (c === 0 || (c < 32 && c !== 9) || c === 127)) {
        // No line can contain it: wrong already, however the line goes on.
        throw new Violation(
          context === 'a trailer' ? 'trailer' : 'field-value',
          i,
          `control byte ${c} in ${context}`,
        )
      }
    }
    if (lf < 0) throw new OutOfBytes()
    if (lf === at || d[lf - 1] !== 13) {
      throw new Violation('bare-lf', lf, `a line ended by LF alone in ${context}`)
    }
    this.pos = lf + 1
    return { text: d.toString('latin1', at, lf - 1), at }
  }

  private request(): StrictMessage {
    const { text, at } = this.line('the request line')
    const m = /^([^ ]*) ([^ ]*) HTTP\/(\d)\.(\d)$/.exec(text)
    if (m === null) {
      throw new Violation('request-line', at, `malformed request line ${JSON.stringify(text)}`)
    }
    const [, method, target, major, minor] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
    ]
    if (major !== '1' || (minor !== '0' && minor !== '1')) {
      throw new Violation('version', at, `HTTP/${major}.${minor}`)
    }
    const version = minor === '0' ? '1.0' : '1.1'
    // What makes a request invalid without changing where it ends: noted on the message, so
    // the messages after it are still framed.
    let invalid: StrictViolation | undefined
    const wrong = (rule: StrictRule, offset: number, detail: string) => {
      if (this.o.role === 'proxy') throw new Violation(rule, offset, detail)
      invalid ??= { rule, offset, detail }
    }
    if (!TCHAR.test(method)) wrong('method', at, `method ${JSON.stringify(method)}`)
    const targetAt = at + method.length + 1
    if (target === '*') {
      if (method !== 'OPTIONS') wrong('target', targetAt, '* with a method not OPTIONS')
    } else if (target.startsWith('/')) {
      if (!ORIGIN_FORM.test(target)) wrong('target', targetAt, `target ${target}`)
    } else {
      const abs = splitAbsolute(target)
      if (this.o.role === 'proxy' || abs === undefined) {
        wrong('target', targetAt, `target ${JSON.stringify(target)}`)
      } else if (abs.scheme !== 'http' && abs.scheme !== 'https') {
        wrong('target', targetAt, `scheme ${abs.scheme}`)
      } else if (abs.authority.includes('@')) {
        wrong('userinfo', targetAt, 'userinfo in an http URI (RFC 9110 §4.2.4)')
      } else if (abs.authority === '' || !validAuthority(abs.authority)) {
        wrong('target', targetAt, `authority ${JSON.stringify(abs.authority)}`)
      } else if (!ORIGIN_FORM.test(abs.path)) wrong('target', targetAt, `path ${abs.path}`)
    }
    const fields = this.fields()
    const framing = this.requestFraming(fields, version, at)
    const hosts = fields.filter(([n]) => n.toLowerCase() === 'host')
    // RFC 9112 §3.2: a 400 for no Host (HTTP/1.1), more than one, or one that is not valid.
    if (hosts.length > 1) wrong('host', at, 'more than one Host')
    if (hosts.length === 0 && (version === '1.1' || this.o.role === 'proxy')) {
      wrong('host', at, 'no Host')
    }
    if (hosts.length === 1 && !validAuthority(hosts[0]![1])) {
      wrong('host', at, `Host ${JSON.stringify(hosts[0]![1])}`)
    }
    return {
      method,
      target,
      status: 0,
      version,
      fields,
      framing,
      body: Buffer.alloc(0),
      trailers: [],
      complete: framing === 'none',
      invalid,
    }
  }

  private response(): StrictMessage {
    const { text, at } = this.line('the status line')
    // The SP after the code is required by the grammar; `HTTP/1.1 200` with no reason at all
    // is common and harmless, so it is let through.
    const m = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/.exec(text)
    if (m === null) throw new Violation('status-line', at, `status line ${JSON.stringify(text)}`)
    if (m[1] !== '1' || (m[2] !== '0' && m[2] !== '1')) {
      throw new Violation('version', at, `HTTP/${m[1]}.${m[2]}`)
    }
    const status = Number(m[3])
    // 600-999 are invalid too (RFC 9110 §15), but in use and read as 5xx: a proxy may relay
    // them. Below 100 there is no such reading.
    if (status < 100) throw new Violation('status-line', at, `status ${status}`)
    const version = m[2] === '0' ? '1.0' : '1.1'
    const method = status >= 200 ? (this.o.methods?.[this.finals++] ?? 'GET') : ''
    if (status === 101) throw new Violation('status-line', at, '101 to a request that did not ask')
    const fields = this.fields()
    const framing = this.responseFraming(fields, version, status, method, at)
    return {
      method,
      target: '',
      status,
      version,
      fields,
      framing,
      body: Buffer.alloc(0),
      trailers: [],
      complete: framing === 'none',
    }
  }

  /** Field lines up to and including the empty line. */
  private fields(trailer = false): (readonly [string, string])[] {
    const out: (readonly [string, string])[] = []
    for (;;) {
      const c = this.d[this.pos]
      if (c === undefined) throw new OutOfBytes()
      if (c === 32 || c === 9) {
        throw new Violation(
          trailer ? 'trailer' : 'obs-fold',
          this.pos,
          'a line starting with whitespace',
        )
      }
      const { text, at } = this.line(trailer ? 'a trailer' : 'a field line')
      if (text === '') return out
      const colon = text.indexOf(':')
      const name = colon < 0 ? text : text.slice(0, colon)
      if (colon < 0 || !TCHAR.test(name)) {
        throw new Violation(
          trailer ? 'trailer' : 'field-name',
          at,
          `field name ${JSON.stringify(name)}`,
        )
      }
      const value = text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')
      if (!FIELD_VALUE.test(value)) {
        throw new Violation(trailer ? 'trailer' : 'field-value', at + colon + 1, `value of ${name}`)
      }
      out.push([name, value])
      // Lengths that cannot agree are wrong already, however the head goes on.
      if (!trailer && name.toLowerCase() === 'content-length') {
        this.contentLength(values(out, 'content-length'), at)
      }
    }
  }

  private requestFraming(
    fields: readonly (readonly [string, string])[],
    version: string,
    at: number,
  ): BodyFraming {
    const te = values(fields, 'transfer-encoding')
    const cl = values(fields, 'content-length')
    if (te.length > 0) {
      if (cl.length > 0)
        throw new Violation('transfer-encoding', at, 'Transfer-Encoding and Content-Length')
      if (version === '1.0')
        throw new Violation('transfer-encoding', at, 'Transfer-Encoding in HTTP/1.0')
      const codings = this.codings(te, at)
      if (codings[codings.length - 1] !== 'chunked') {
        throw new Violation('transfer-encoding', at, 'a request coding list not ending in chunked')
      }
      return 'chunked'
    }
    if (cl.length === 0) return 'none'
    this.length = this.contentLength(cl, at)
    return this.length === 0 ? 'none' : 'length'
  }

  private responseFraming(
    fields: readonly (readonly [string, string])[],
    version: string,
    status: number,
    method: string,
    at: number,
  ): BodyFraming {
    const te = values(fields, 'transfer-encoding')
    const cl = values(fields, 'content-length')
    if (this.o.role === 'proxy') {
      // RFC 9110 §8.6, RFC 9112 §6.1: no Content-Length or Transfer-Encoding on a 1xx or 204.
      if ((status < 200 || status === 204) && (te.length > 0 || cl.length > 0)) {
        throw new Violation('framing-copied', at, `framing headers on a ${status}`)
      }
      // The proxy's framing is its own: one length, or `chunked` alone, or neither.
      if (
        cl.length > 1 ||
        te.length > 1 ||
        (te.length === 1 && te[0]!.toLowerCase() !== 'chunked')
      ) {
        throw new Violation(
          'framing-copied',
          at,
          `framing headers ${JSON.stringify([...te, ...cl])}`,
        )
      }
    }
    if (te.length > 0 && cl.length > 0) {
      throw new Violation('transfer-encoding', at, 'Transfer-Encoding and Content-Length')
    }
    if (te.length > 0 && version === '1.0') {
      throw new Violation('transfer-encoding', at, 'Transfer-Encoding in HTTP/1.0')
    }
    const codings = te.length > 0 ? this.codings(te, at) : []
    if (cl.length > 0) this.length = this.contentLength(cl, at)
    if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return 'none'
    if (te.length > 0) {
      if (codings[codings.length - 1] === 'chunked') return 'chunked'
      if (this.o.role === 'proxy') {
        throw new Violation('framing-copied', at, 'a coding list not ending in chunked was sent on')
      }
      return 'close'
    }
    if (cl.length === 0) return 'close'
    return this.length === 0 ? 'none' : 'length'
  }

  private length = 0

  /** Codings, lower-cased; `chunked` only last and once (RFC 9112 §6.1). */
  private codings(te: readonly string[], at: number): string[] {
    const out: string[] = []
    for (const part of te.join(',').split(',')) {
      const v = part.trim()
      if (v === '') continue // empty list elements are allowed (RFC 9110 §5.6.1)
      const name = v.split(';')[0]!.trim().toLowerCase()
      if (!TCHAR.test(name))
        throw new Violation('transfer-encoding', at, `coding ${JSON.stringify(v)}`)
      if (name === 'chunked' && v.includes(';')) {
        throw new Violation('transfer-encoding', at, 'chunked takes no parameters')
      }
      out.push(name)
    }
    if (out.length === 0) throw new Violation('transfer-encoding', at, 'no coding')
    if (out.slice(0, -1).includes('chunked')) {
      throw new Violation('transfer-encoding', at, 'chunked not last, or twice')
    }
    return out
  }

  private contentLength(cl: readonly string[], at: number): number {
    let n: number | undefined
    const parts = cl.join(',').split(',')
    if (this.o.role === 'proxy' && parts.length > 1) {
      throw new Violation('content-length', at, 'a list of lengths was sent on')
    }
    for (const raw of parts) {
      const v = raw.trim()
      if (!/^\d+$/.test(v) || v.length > 15) {
        throw new Violation('content-length', at, `Content-Length ${JSON.stringify(v)}`)
      }
      const x = Number(v)
      if (n !== undefined && n !== x) throw new Violation('content-length', at, 'lengths differ')
      n = x
    }
    return n!
  }

  private body(m: StrictMessage): void {
    switch (m.framing) {
      case 'none':
        return
      case 'length': {
        const take = Math.min(this.length, this.d.length - this.pos)
        m.body = this.d.subarray(this.pos, this.pos + take)
        this.pos += take
        m.complete = take === this.length
        if (!m.complete) throw new OutOfBytes()
        return
      }
      case 'close':
        m.body = this.d.subarray(this.pos)
        this.pos = this.d.length
        m.complete = this.o.eof === true
        if (!m.complete) throw new OutOfBytes()
        return
      case 'chunked':
        this.chunked(m)
    }
  }

  private chunked(m: StrictMessage): void {
    const parts: Buffer[] = []
    const d = this.d
    try {
      for (;;) {
        const { text, at } = this.line('a chunk-size line')
        const size = /^[0-9A-Fa-f]+/.exec(text)?.[0]
        if (size === undefined)
          throw new Violation('chunk-size', at, `chunk size ${JSON.stringify(text)}`)
        this.chunkExt(text, size.length, at)
        const digits = size.replace(/^0+/, '')
        if (digits.length > 13) throw new Violation('chunk-size', at, 'a chunk size past 2^52')
        const n = digits === '' ? 0 : Number.parseInt(digits, 16)
        if (n === 0) break
        const take = Math.min(n, d.length - this.pos)
        parts.push(d.subarray(this.pos, this.pos + take))
        this.pos += take
        if (take < n) throw new OutOfBytes()
        for (const want of [13, 10]) {
          if (this.pos >= d.length) throw new OutOfBytes()
          if (d[this.pos] !== want)
            throw new Violation('chunk-data', this.pos, 'no CRLF after chunk data')
          this.pos++
        }
      }
      m.trailers = this.fields(true)
      m.complete = true
    } finally {
      m.body = Buffer.concat(parts)
    }
  }

  /** chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) */
  private chunkExt(text: string, from: number, at: number): void {
    let i = from
    const ws = () => {
      while (text[i] === ' ' || text[i] === '\t') i++
    }
    const token = () => {
      const s = i
      while (i < text.length && TCHAR.test(text[i]!)) i++
      return i > s
    }
    const fail = (why: string): never => {
      const rule = text.slice(from, i).includes(';') ? 'chunk-ext' : 'chunk-size'
      throw new Violation(rule, at + i, why)
    }
    for (;;) {
      const before = i
      ws()
      if (i === text.length) {
        // BWS only before ';' or '=': whitespace that ends the line is not allowed.
        if (i > before) fail('whitespace at the end of a chunk-size line')
        return
      }
      if (text[i] !== ';') fail('junk after the chunk size')
      i++
      ws()
      if (!token()) fail('extension name expected')
      const save = i
      ws()
      if (text[i] !== '=') {
        i = save
        continue
      }
      i++
      ws()
      if (text[i] === '"') {
        i++
        for (;;) {
          const c = text.charCodeAt(i)
          if (Number.isNaN(c)) fail('unterminated quoted string')
          if (c === 34) break
          if (c === 92) {
            const q = text.charCodeAt(i + 1)
            if (Number.isNaN(q) || (q < 32 && q !== 9) || q === 127) fail('bad quoted-pair')
            i += 2
            continue
          }
          if ((c < 32 && c !== 9) || c === 127) fail('control byte in a quoted string')
          i++
        }
        i++
      } else if (!token()) fail('extension value expected')
    }
  }
}

function values(fields: readonly (readonly [string, string])[], name: string): string[] {
  return fields.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)
}

function hasToken(m: StrictMessage, token: string): boolean {
  return values(m.fields, 'connection').some((v) =>
    v
      .toLowerCase()
      .split(',')
      .some((t) => t.trim() === token),
  )
}
