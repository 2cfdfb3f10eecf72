// The request-side property: what the backend saw and what the client got through the proxy,
// judged against llhttp's reading of the same client bytes (and RFC 9112's, where llhttp is
// stricter than the RFC).
import { showBytes, type Violation } from './judge.js'
import { headerValues, type LlhttpMessage, parseResponses } from './llhttp.js'
import type { DirectView, ProxiedView } from './request-case.js'
import type { SeenRequest } from './servers.js'
import { type StrictMessage, type StrictParse, splitAbsolute, strictParse } from './strict.js'

/** A request as seen at one end, reduced to what must survive the proxy. */
interface Head {
  readonly method: string
  readonly target: string
  readonly host: string | undefined
  /** End-to-end headers, lower-cased, in order within each name. */
  readonly headers: string
}

/** Headers that the proxy replaces, adds or must drop (hop-by-hop, RFC 9110 §7.6.1). */
const NOT_COMPARED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'via',
])

function endToEnd(pairs: readonly string[], dropped: ReadonlySet<string>): string {
  const by = new Map<string, string[]>()
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const name = pairs[i]!.toLowerCase()
    if (NOT_COMPARED.has(name) || name.startsWith('l5d-') || dropped.has(name)) continue
    const list = by.get(name) ?? []
    list.push(pairs[i + 1]!)
    by.set(name, list)
  }
  return JSON.stringify([...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** Names a Connection header lists: the proxy drops them. */
function connectionNamed(pairs: readonly string[]): Set<string> {
  return new Set(
    headerValues(pairs, 'connection')
      .join(',')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  )
}

/** The client's request as the proxy must pass it on: absolute-form becomes origin-form. */
function clientHead(method: string, url: string, pairs: readonly string[]): Head {
  const abs = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url) ? splitAbsolute(url) : undefined
  const host = headerValues(pairs, 'host')[0]
  return {
    method,
    target: abs?.path ?? url,
    // The authority replaces Host (RFC 9112 §3.2.2); userinfo is never part of a Host.
    host: abs === undefined ? host : abs.authority.slice(abs.authority.lastIndexOf('@') + 1),
    headers: endToEnd(pairs, connectionNamed(pairs)),
  }
}

function backendHead(r: SeenRequest, dropped: ReadonlySet<string>): Head {
  return {
    method: r.method,
    target: r.url,
    host: headerValues(r.rawHeaders, 'host')[0],
    headers: endToEnd(r.rawHeaders, dropped),
  }
}

function pairsOf(fields: StrictMessage['fields']): string[] {
  return fields.flat()
}

function headDiff(a: Head, b: Head): string | undefined {
  if (a.method !== b.method) return 'method'
  if (a.target !== b.target) return 'target'
  if (a.host !== b.host) return 'host'
  if (a.headers !== b.headers) return 'headers'
  return undefined
}

const showHead = (h: Head) => `${h.method} ${h.target} host=${JSON.stringify(h.host)} ${h.headers}`

/** One request of the client's stream, by llhttp's count, and what became of it. */
interface Slot {
  /** Its index in the client's stream. */
  readonly index: number
  /** What the backend saw of it, if the proxy forwarded it. */
  readonly seen: SeenRequest | undefined
  /** The answer the client got for it. */
  readonly answer: LlhttpMessage | undefined
  /** The proxy answered it itself (a refusal). */
  readonly own: boolean
}

/**
 * Lines up what the client got with what the backend saw: answers come in request order, one
 * per request, so the n-th answer is for the client's n-th request, forwarded (its `x-seq`
 * names the backend's request; `x-backend-error` the backend's refusal of it) or refused by
 * the proxy itself. Forwarded requests with no answer yet come after.
 */
function alignSlots(B: readonly SeenRequest[], C: readonly LlhttpMessage[]): Slot[] {
  const slots: Slot[] = []
  const bySeq = new Map(B.map((b) => [String(b.seq), b]))
  const used = new Set<SeenRequest>()
  for (const m of C) {
    const seq = headerValues(m.headers, 'x-seq')[0]
    let seen = seq === undefined ? undefined : bySeq.get(seq)
    if (seen === undefined && headerValues(m.headers, 'x-backend-error').length > 0) {
      seen = B.find((b) => !used.has(b) && !b.complete)
    }
    if (seen !== undefined) used.add(seen)
    slots.push({ index: slots.length, seen, answer: m, own: seen === undefined })
  }
  for (const b of B) {
    if (!used.has(b)) slots.push({ index: slots.length, seen: b, answer: undefined, own: false })
  }
  return slots
}

/**
 * The property, for one connection's worth of client bytes:
 * - every request the backend saw is one llhttp saw at the same place in the stream, with the
 *   same method, target (after the absolute-form rewrite), Host, end-to-end headers and body;
 *   a body the proxy ended is one llhttp ended; where llhttp refused and the proxy went on,
 *   RFC 9112 must allow the input and frame it the same way;
 * - every byte the proxy forwarded is valid RFC 9112, and so is what it sent the client;
 * - each request llhttp framed gets an answer, the backend's or the proxy's refusal, in order;
 *   none is waited on or dropped without a status, and no answer is for a request never sent;
 * - a valid request (`valid`) is not refused by the proxy.
 */
export function judgeRequests(
  direct: DirectView,
  proxied: ProxiedView,
  strict: StrictParse,
  valid = false,
): { violations: Violation[]; notes: string[] } {
  const violations: Violation[] = []
  const notes: string[] = []
  const add = (kind: Violation['kind'], key: string, detail: string) =>
    violations.push({ kind, key, detail })
  if (direct.end.type === 'unsupported') return { violations, notes: ['node: unsupported'] }
  const llhttpEnd = direct.end.type === 'refused' ? direct.end.code : direct.end.type
  const llhttpRefused = direct.end.type === 'refused'
  const D = direct.requests
  const B = proxied.requests

  // The n-th answer is to the client's n-th request: its method says whether a body follows.
  const methods = Array.from(
    { length: Math.max(D.length, strict.messages.length) },
    (_, i) => D[i]?.method ?? strict.messages[i]?.method ?? 'GET',
  )
  const parsed = parseResponses(proxied.received, methods, proxied.closed)
  const C = parsed.messages.filter((m) => m.status >= 200)
  const slots = alignSlots(B, C)

  let lastSeq = -1
  for (const slot of slots) {
    const b = slot.seen
    const i = slot.index
    if (b === undefined) continue
    if (b.seq < lastSeq) {
      add(
        'response-mismatch',
        'order',
        `the client got the answer to backend request seq ${b.seq} after a later one's`,
      )
    }
    lastSeq = b.seq
    const d = D[i]
    const s = strict.messages[i]
    if (b.headless) {
      // The backend's llhttp refused a head the proxy wrote.
      if (d !== undefined) {
        add(
          'head-differs',
          'backend-refused',
          `llhttp took the client's request #${i} (${d.method} ${d.url}); the backend's llhttp refused the proxy's version of it (${b.refused})`,
        )
      } else if (s !== undefined && s.invalid === undefined && llhttpRefused) {
        notes.push(
          `llhttp refuses a head RFC 9112 allows (${llhttpEnd}); forwarded, refused by the backend`,
        )
      } else {
        add(
          'extra-request',
          rfcReason(strict, i) ?? llhttpEnd,
          `the proxy forwarded request #${i}, which llhttp (${llhttpEnd}) and RFC 9112${strict.violation ? ` (${strict.violation.detail})` : ''} both refuse; the backend refused it (${b.refused})`,
        )
      }
      continue
    }
    const sDropped = s === undefined ? new Set<string>() : connectionNamed(pairsOf(s.fields))
    const seen = backendHead(b, d === undefined ? sDropped : connectionNamed(d.rawHeaders))
    const rfcAgrees =
      s !== undefined &&
      s.invalid === undefined &&
      headDiff(clientHead(s.method, s.target, pairsOf(s.fields)), backendHead(b, sDropped)) ===
        undefined &&
      (b.complete ? s.complete && s.body.equals(b.body) : isPrefix(b.body, s.body))
    if (d === undefined) {
      if (llhttpRefused && rfcAgrees) {
        notes.push(`llhttp refused (${llhttpEnd}), RFC 9112 allows: forwarded`)
        continue
      }
      add(
        'extra-request',
        rfcReason(strict, i) ?? llhttpEnd,
        `backend saw request #${i} (${showHead(seen)}${b.complete ? '' : ', cut short'}) which llhttp never framed (llhttp: ${llhttpEnd})`,
      )
      continue
    }
    const want = clientHead(d.method, d.url, d.rawHeaders)
    const diff = headDiff(want, seen)
    if (diff !== undefined) {
      add(
        'head-differs',
        diff,
        `request #${i}: llhttp ${showHead(want)}; backend ${showHead(seen)}`,
      )
      continue
    }
    if (s?.invalid !== undefined) {
      // Framed alike by all, but a request RFC 9112 says to refuse (node refuses a missing
      // Host itself; the reference server here lets it through to keep framing the stream).
      add(
        'extra-request',
        s.invalid.rule,
        `the proxy forwarded request #${i} (${showHead(seen)}); RFC 9112 says to refuse it: ${s.invalid.detail}`,
      )
    }
    if (b.complete && !d.complete) {
      if (llhttpRefused && rfcAgrees) {
        notes.push(`llhttp refused a body (${llhttpEnd}), RFC 9112 allows it: forwarded`)
        continue
      }
      add(
        'body-differs',
        'ended-early',
        `request #${i}: the backend got a whole body ${showBytes(b.body)} where llhttp read ${showBytes(d.body)} and then ${llhttpEnd}`,
      )
    } else if (b.complete && !b.body.equals(d.body)) {
      add(
        'body-differs',
        'body',
        `request #${i}: llhttp body ${showBytes(d.body)}; backend body ${showBytes(b.body)}`,
      )
    } else if (!b.complete && !isPrefix(b.body, d.body)) {
      if (llhttpRefused && rfcAgrees) {
        // llhttp stopped early (BWS in an extension, say); the RFC reads on, as the proxy did.
        notes.push(`llhttp refused a body (${llhttpEnd}), RFC 9112 reads on: forwarded`)
        continue
      }
      add(
        'body-differs',
        'body',
        `request #${i} (cut short): llhttp body ${showBytes(d.body)}; backend body so far ${showBytes(b.body)}`,
      )
    } else if (
      b.complete &&
      endToEnd(b.rawTrailers, new Set()) !== endToEnd(d.rawTrailers, new Set())
    ) {
      add(
        'body-differs',
        'trailers',
        `request #${i}: llhttp trailers ${JSON.stringify(d.rawTrailers)}; backend ${JSON.stringify(b.rawTrailers)}`,
      )
    }
  }

  for (const bytes of proxied.forwarded) {
    const f = strictParse(bytes, { side: 'request', role: 'proxy' })
    if (f.violation !== undefined) {
      const v = f.violation
      add(
        'forwarded-invalid',
        v.rule,
        `the proxy sent the backend ${v.detail} at byte ${v.offset}: ${showBytes(bytes.subarray(Math.max(0, v.offset - 60), v.offset + 40))}`,
      )
    }
  }

  // What the client got must be readable, by llhttp and by the RFC.
  if (parsed.error !== undefined && parsed.error.code !== 'HPE_INVALID_EOF_STATE') {
    add(
      'sent-invalid',
      `llhttp:${parsed.error.code}`,
      `llhttp cannot read what the proxy sent the client (${parsed.error.code} ${parsed.error.reason} at byte ${parsed.error.offset}): ${showBytes(proxied.received)}`,
    )
  }
  const sent = strictParse(proxied.received, {
    side: 'response',
    role: 'proxy',
    methods,
    eof: proxied.closed,
  })
  if (sent.violation !== undefined) {
    add(
      'sent-invalid',
      sent.violation.rule,
      `the proxy sent the client ${sent.violation.detail}: ${showBytes(proxied.received)}`,
    )
  }

  // Every answer is for a request the client sent.
  const sentRequests = Math.max(D.length, strict.messages.length) + 1
  const extra = slots.filter((sl) => sl.answer !== undefined && sl.index >= sentRequests)
  if (extra.length > 0) {
    add(
      'response-mismatch',
      'extra',
      `the client got ${C.length} answers; it sent at most ${sentRequests} requests: ${showBytes(proxied.received)}`,
    )
  }
  // A forwarded request the backend answered, whose answer the client never got.
  for (const sl of slots) {
    if (sl.seen?.complete !== true || sl.answer !== undefined) continue
    if (proxied.closed) {
      add(
        'closed-without-status',
        'after-forward',
        `the backend answered request #${sl.index}; the proxy closed the client's connection without relaying it`,
      )
    } else
      add(
        'stalled',
        'response',
        `the backend answered request #${sl.index}; the client never got the answer`,
      )
    break
  }

  const refusals = slots.filter((sl) => sl.answer !== undefined && isError(sl.answer))
  if (valid) {
    // A valid request is forwarded; only the backend may say no.
    const own = slots.find((sl) => sl.own && sl.answer !== undefined)?.answer
    if (own !== undefined) {
      const why = decodeURIComponent(
        headerValues(own.headers, 'l5d-err')[0] ?? own.body.toString('latin1'),
      )
      add(
        'valid-refused',
        `${own.status} ${shape(why)}`,
        `the proxy refused a valid request: ${own.status} ${why}`,
      )
    } else if (
      proxied.closed &&
      B.some((b) => !b.complete && !b.headless && b.refused === undefined)
    ) {
      add('valid-refused', 'closed', 'the proxy closed the connection on a valid request')
    }
  }

  // Each request llhttp framed: answered, or refused with a status.
  const framed = D.filter((r) => r.complete).length
  const answered = slots.filter((sl) => sl.index < framed && sl.answer !== undefined).length
  const last = C[C.length - 1]
  const stoppedByRefusal = last !== undefined && isError(last)
  const cut = B.some((b) => !b.complete && !b.headless)
  if (answered < framed) {
    if (stoppedByRefusal) notes.push('the proxy refused what llhttp took')
    else if (proxied.timedOut || !proxied.closed) {
      add(
        'stalled',
        llhttpEnd === 'eof' ? 'llhttp-framed' : llhttpEnd,
        `llhttp framed ${framed} requests; the proxy answered ${answered} and then waited`,
      )
    } else {
      add(
        'closed-without-status',
        cut ? 'mid-body' : 'head',
        `llhttp framed ${framed} requests; the proxy answered ${answered} and closed the connection with no status`,
      )
    }
  } else if (llhttpRefused && !slots.some((sl) => sl.index === framed && sl.answer !== undefined)) {
    // llhttp refused the next bytes; so must the proxy, unless the RFC allows them.
    if (proxied.closed && cut) {
      add(
        'closed-without-status',
        'mid-body',
        `the proxy forwarded the head of request #${framed}, then closed the connection with no status (llhttp: ${llhttpEnd})`,
      )
    } else if (!proxied.closed && strict.violation !== undefined && strict.violationIn === framed) {
      add(
        'waits-on-invalid',
        BODY_RULES.has(strict.violation.rule) ? 'body' : 'head',
        `llhttp refused (${llhttpEnd}) and RFC 9112 too (${strict.violation.detail} at byte ${strict.violation.offset}); the proxy neither forwarded nor answered, it waits`,
      )
    }
  }
  if (refusals.length > 0 && !valid) notes.push(`the proxy or backend refused ${refusals.length}`)
  return { violations, notes }
}

const isError = (m: LlhttpMessage): boolean =>
  m.status >= 400 && headerValues(m.headers, 'x-seq').length === 0

/** A refusal's message without its particulars (quoted text, numbers): its class. */
function shape(message: string): string {
  return message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, 'N')
    .replace(/\(at byte N\)/, '')
    .trim()
    .split(/\s+/)
    .slice(0, 6)
    .join(' ')
}

const BODY_RULES = new Set(['chunk-size', 'chunk-ext', 'chunk-data', 'trailer'])

/** The RFC rule that refuses message `i` (or one before it), when the RFC refuses it. */
function rfcReason(strict: StrictParse, i: number): string | undefined {
  const invalid = strict.messages.slice(0, i + 1).find((m) => m.invalid !== undefined)?.invalid
  if (invalid !== undefined) return invalid.rule
  return strict.violation !== undefined && strict.violationIn <= i
    ? strict.violation.rule
    : undefined
}

function isPrefix(a: Buffer, b: Buffer): boolean {
  return a.length <= b.length && b.subarray(0, a.length).equals(a)
}
