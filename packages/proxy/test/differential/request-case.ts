// One request-side case: the same client bytes go to a node:http server directly (llhttp frames
// them: the reference) and through the proxy to a node:http backend that records what it got,
// as requests and as raw bytes. request-judge.ts compares the two.
import type { Violation } from './judge.js'
import { headerValues, parseResponses } from './llhttp.js'
import { judgeRequests } from './request-judge.js'
import {
  type RawExchange,
  type RecordingServer,
  rawConnect,
  type SeenRequest,
  sleep,
} from './servers.js'
import { type StrictParse, strictParse } from './strict.js'

export interface Timing {
  /** After the responses llhttp's framing calls for, how long nothing more may happen. */
  readonly quietMs: number
  /** How long a case may take before the proxy is taken to be stuck. */
  readonly hardMs: number
}

export interface RequestRig {
  readonly ref: RecordingServer
  readonly backend: RecordingServer
  readonly proxyPort: number
  readonly timing: Timing
}

/** How node:http's reading of the client's bytes ended. */
export type DirectEnd =
  /** The bytes ran out (between messages or inside one). */
  | { readonly type: 'eof' }
  /** A request said Connection: close; node read no further. */
  | { readonly type: 'closed' }
  /** llhttp (or node, for a missing Host) refused the bytes at the request after the last. */
  | { readonly type: 'refused'; readonly code: string }
  /** CONNECT or an upgrade: node hands the socket over; no request to compare. */
  | { readonly type: 'unsupported'; readonly code: string }

export interface DirectView {
  readonly requests: readonly SeenRequest[]
  readonly end: DirectEnd
}

export interface ProxiedView {
  readonly requests: readonly SeenRequest[]
  /** What the proxy sent each backend connection during the case. */
  readonly forwarded: readonly Buffer[]
  readonly received: Buffer
  readonly closed: boolean
  /** The proxy still owed responses when the case ran out of time. */
  readonly timedOut: boolean
}

export interface RequestCaseResult {
  readonly direct: DirectView
  readonly proxied: ProxiedView
  readonly strict: StrictParse
  readonly violations: Violation[]
  /** Accepted differences worth counting (the proxy refused what llhttp took, and so on). */
  readonly notes: string[]
}

/**
 * Runs `input` both ways and judges it. `valid`: the input is valid RFC 9112 by construction,
 * so the proxy must not refuse it either.
 */
export async function runRequestCase(
  rig: RequestRig,
  input: Buffer,
  valid = false,
): Promise<RequestCaseResult> {
  // Both at once: different servers, different connections.
  let direct: DirectView | undefined
  const directRun = runDirect(rig, input).then((d) => {
    direct = d
    return d
  })
  const strict = strictParse(input, { side: 'request', role: 'input' })
  // A verdict that only says the proxy has not answered yet is worth a longer wait first: a
  // busy machine can be slower than the quiet period.
  const premature = (p: ProxiedView) =>
    direct !== undefined &&
    judgeRequests(direct, p, strict, valid).violations.some((v) => TIMING.has(v.kind))
  const proxied = await runProxied(rig, input, () => direct, premature)
  direct = await directRun
  const { violations, notes } = judgeRequests(direct, proxied, strict, valid)
  return { direct, proxied, strict, violations, notes }
}

async function runDirect(rig: RequestRig, input: Buffer): Promise<DirectView> {
  const ex = await rawConnect(rig.ref.port)
  // The whole input, then EOF: node reads every byte and ends on a message boundary or not.
  ex.socket.end(input)
  await until(() => ex.closed, 2000)
  ex.socket.destroy()
  const conn = rig.ref.connectionFrom(ex.localPort)
  // A request cut short by the close is marked in its 'close' handler, a tick later.
  await sleep(1)
  if (conn === undefined) return { requests: [], end: { type: 'refused', code: 'no connection' } }
  const requests = conn.requests.filter((r) => !r.headless)
  let end: DirectEnd
  if (conn.unsupported !== undefined) end = { type: 'unsupported', code: conn.unsupported }
  else if (conn.error === 'HPE_CLOSED_CONNECTION') end = { type: 'closed' }
  else if (conn.error !== undefined && conn.error !== 'HPE_INVALID_EOF_STATE') {
    end = { type: 'refused', code: conn.error }
  } else {
    // node's own refusals (a missing Host) answer in place of a request and close: what came
    // after them was never served.
    const answers = parseResponses(ex.received, [], true).messages.filter((m) => m.status >= 200)
    const at = answers.findIndex(
      (m) =>
        headerValues(m.headers, 'x-seq').length === 0 &&
        headerValues(m.headers, 'x-backend-error').length === 0,
    )
    if (at < 0) end = { type: 'eof' }
    else {
      end = { type: 'refused', code: `node ${answers[at]!.status}` }
      requests.splice(at)
    }
  }
  return { requests, end }
}

async function runProxied(
  rig: RequestRig,
  input: Buffer,
  direct: () => DirectView | undefined,
  premature: (p: ProxiedView) => boolean,
): Promise<ProxiedView> {
  const backend = rig.backend
  // What an earlier case still had on its way to the backend must not count as this one's.
  await until(() => performance.now() - backend.lastActivity >= 5, 200)
  const firstRequest = backend.requests.length
  const rawFrom = backend.connections.map((c) => c.raw.length)
  const ex = await rawConnect(rig.proxyPort)
  ex.socket.write(input)
  const start = performance.now()
  let timedOut = false
  let quietMs = rig.timing.quietMs
  let hardMs = rig.timing.hardMs
  const view = (closed: boolean): ProxiedView => ({
    requests: backend.requests.slice(firstRequest),
    forwarded: backend.connections
      .map((c, i) => c.raw.subarray(rawFrom[i] ?? 0))
      .filter((b) => b.length > 0),
    received: ex.received,
    closed,
    timedOut,
  })
  for (;;) {
    await sleep(1)
    if (ex.closed) break
    const now = performance.now()
    const d = direct()
    // Until llhttp's reading is known, how many answers to wait for is not.
    const expected =
      d === undefined ? Number.POSITIVE_INFINITY : d.requests.filter((r) => r.complete).length
    const methods = d?.requests.map((r) => r.method) ?? []
    const quiet = now - Math.max(ex.lastActivity, backend.lastActivity) >= quietMs
    // Every answer the backend gave must have had its chance to reach the client too.
    const answeredByBackend = backend.requests.slice(firstRequest).filter((r) => r.complete).length
    if (quiet && finalResponses(ex, methods) >= Math.max(expected, answeredByBackend)) {
      if (quietMs === rig.timing.quietMs && premature(view(false))) {
        quietMs = Math.max(quietMs * 10, rig.timing.hardMs / 3)
        continue
      }
      break
    }
    if (now - start >= hardMs && d !== undefined) {
      // A case that only looks stalled gets one longer wait before it is judged: under a
      // loaded CI run the proxy has taken more than hardMs to relay an answer the backend gave
      // (seen once: 'the backend answered request #1; the client never got the answer').
      if (hardMs === rig.timing.hardMs && premature(view(false))) {
        hardMs = rig.timing.hardMs * 8
        continue
      }
      timedOut = finalResponses(ex, methods) < Math.max(expected, answeredByBackend)
      break
    }
  }
  const closed = ex.closed
  ex.socket.destroy()
  // The proxy's abort of an unfinished forward reaches the backend a moment later.
  await sleep(2)
  return view(closed)
}

/** Verdicts about what has not happened yet. */
const TIMING = new Set<Violation['kind']>(['stalled', 'waits-on-invalid', 'response-mismatch'])

function finalResponses(ex: RawExchange, methods: readonly string[]): number {
  return parseResponses(ex.received, methods, false).messages.filter(
    (m) => m.status >= 200 && m.complete,
  ).length
}

async function until(done: () => boolean, ms: number): Promise<void> {
  const start = performance.now()
  while (!done() && performance.now() - start < ms) await sleep(1)
}
