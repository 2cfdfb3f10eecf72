// A small batch timer for sub-microsecond operations: each round times many calls at once
// (a per-call timer would measure mostly itself), and the median round is reported.

export interface Measurement {
  name: string
  /** Median nanoseconds per operation over the rounds. */
  nsPerOp: number
  opsPerSec: number
}

let sink = 0
/** Feed results here so the JIT cannot drop the work being measured. */
export function consume(value: unknown): void {
  sink = (sink + (value === undefined ? 0 : 1)) | 0
}

export function measure(
  name: string,
  fn: () => unknown,
  options: { rounds?: number; roundMs?: number } = {},
): Measurement {
  const rounds = options.rounds ?? 15
  const roundMs = options.roundMs ?? 40
  // Warm up and size the batch so one round takes about roundMs.
  let batch = 1
  for (;;) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < batch; i++) consume(fn())
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    if (ms >= roundMs / 4) {
      batch = Math.max(1, Math.round((batch * roundMs) / ms))
      break
    }
    batch *= 4
  }
  const samples: number[] = []
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < batch; i++) consume(fn())
    samples.push(Number(process.hrtime.bigint() - t0) / batch)
  }
  samples.sort((a, b) => a - b)
  const nsPerOp = samples[Math.floor(samples.length / 2)]!
  return { name, nsPerOp, opsPerSec: 1e9 / nsPerOp }
}

export function formatNs(ns: number): string {
  return ns >= 1e6
    ? `${(ns / 1e6).toFixed(2)} ms`
    : ns >= 1e3
      ? `${(ns / 1e3).toFixed(2)} µs`
      : `${ns.toFixed(0)} ns`
}

export function formatRate(perSec: number): string {
  return perSec >= 1e6
    ? `${(perSec / 1e6).toFixed(2)} M/s`
    : perSec >= 1e3
      ? `${(perSec / 1e3).toFixed(1)} k/s`
      : `${perSec.toFixed(0)}/s`
}

/** Prints rows as an aligned table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}
