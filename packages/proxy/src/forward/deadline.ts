// `l5d-ctx-deadline` (namerd-wire.md §4): "<timestamp_ns> <deadline_ns>", epoch nanoseconds.
// Several values (repeated headers or comma-separated) combine to the strictest, as Finagle's
// `Deadline.combined`: the latest timestamp and the earliest deadline. The router's own
// timeout is one more deadline starting now, so the next hop inherits the stricter of both.

export const DEADLINE_HEADER = 'l5d-ctx-deadline'

export interface Deadline {
  readonly timestampNs: bigint
  readonly deadlineNs: bigint
}

const NS_PER_MS = 1_000_000n
const ENTRY = /^\s*(\d{1,20})\s+(\d{1,20})\s*$/

/** The strictest of the well-formed values; malformed ones are ignored, as Linkerd does. */
export function parseDeadline(value: string | readonly string[] | undefined): Deadline | undefined {
  if (value === undefined) return undefined
  let out: Deadline | undefined
  const values = typeof value === 'string' ? [value] : value
  for (const v of values) {
    for (const part of v.split(',')) {
      const m = ENTRY.exec(part)
      if (m === null) continue
      const d = { timestampNs: BigInt(m[1]!), deadlineNs: BigInt(m[2]!) }
      out = out === undefined ? d : combine(out, d)
    }
  }
  return out
}

export function combine(a: Deadline, b: Deadline): Deadline {
  return {
    timestampNs: maxBig(a.timestampNs, b.timestampNs),
    deadlineNs: minBig(a.deadlineNs, b.deadlineNs),
  }
}

// Math.max and Math.min do not take bigints.
function maxBig(a: bigint, b: bigint): bigint {
  if (a >= b) return a
  return b
}
function minBig(a: bigint, b: bigint): bigint {
  if (a <= b) return a
  return b
}

export function showDeadline(d: Deadline): string {
  return `${d.timestampNs} ${d.deadlineNs}`
}

export interface EffectiveDeadline {
  /** Milliseconds left for the request (may be <= 0: already expired); undefined: no limit. */
  readonly timeoutMs: number | undefined
  /** The `l5d-ctx-deadline` value to send on, or undefined when there is no deadline. */
  readonly header: string | undefined
}

const NONE: EffectiveDeadline = Object.freeze({ timeoutMs: undefined, header: undefined })

/**
 * min(router timeout, deadline − now), and the combined deadline to propagate.
 * `nowMs` is epoch milliseconds.
 */
export function effectiveDeadline(
  headers: { readonly [name: string]: string | readonly string[] | number | undefined },
  routerTimeoutMs: number | undefined,
  nowMs: number,
): EffectiveDeadline {
  const raw = headers[DEADLINE_HEADER]
  const incoming = typeof raw === 'number' ? undefined : parseDeadline(raw)
  if (incoming === undefined) {
    if (routerTimeoutMs === undefined) return NONE
    // The common case, on every request: only the router's timeout. Whole milliseconds as
    // nanoseconds are the digits and six zeros, so no BigInt is needed.
    const now = Math.floor(nowMs)
    const ms = Math.ceil(routerTimeoutMs)
    return { timeoutMs: ms, header: `${now}000000 ${now + ms}000000` }
  }
  const nowNs = BigInt(Math.floor(nowMs)) * NS_PER_MS
  let d = incoming
  if (routerTimeoutMs !== undefined) {
    const own = {
      timestampNs: nowNs,
      deadlineNs: nowNs + BigInt(Math.ceil(routerTimeoutMs)) * NS_PER_MS,
    }
    d = d === undefined ? own : combine(d, own)
  }
  const deadline = d!
  return {
    timeoutMs: Number(deadline.deadlineNs - nowNs) / 1e6,
    header: showDeadline(deadline),
  }
}
