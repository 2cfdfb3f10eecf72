// How the traffic view writes its numbers: shares and success rates as percentages people can
// compare at a glance (`12.5%`), never rounded into a lie (a sliver is `<0.1%`, not `0%`; 99.96%
// of requests is `>99.9%`, not `100%`), rates and latencies with their unit. Pure: tested under
// node.

/** A share or rate of 0..1 as a percentage with at most one decimal: `12.5%`, `10%`. */
export function percent(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–'
  if (x <= 0) return '0%'
  if (x >= 1) return '100%'
  if (x < 0.001) return '<0.1%'
  if (x > 0.999) return '>99.9%'
  return `${trim((x * 100).toFixed(1))}%`
}

/** Requests per second: two significant decimals below 10, whole numbers above. */
export function rate(perSec: number): string {
  if (!Number.isFinite(perSec) || perSec <= 0) return '0'
  if (perSec < 0.01) return '<0.01'
  if (perSec < 10) return trim(perSec.toFixed(2))
  return Math.round(perSec).toLocaleString('en')
}

/** A latency in milliseconds: `0.8 ms`, `12 ms`, `1.25 s`. */
export function millis(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '–'
  if (ms < 10) return `${trim(ms.toFixed(1))} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  return `${trim((ms / 1000).toFixed(2))} s`
}

/** A difference of two shares in percentage points, always with its sign: `+35`, `-9.5`. */
export function points(diff: number): string {
  const p = trim((Math.abs(diff) * 100).toFixed(1))
  return `${diff < 0 ? '-' : '+'}${p}`
}

/** A whole count with thousands separators: `12,345`. */
export function count(n: number): string {
  return n.toLocaleString('en')
}

function trim(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed
}
