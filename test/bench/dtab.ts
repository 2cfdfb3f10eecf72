// The dtab core's speed: parse, lookup, bind and delegate on dtabs of 5, 50 and 500 dentries.
// Each dtab routes /svc/world through a 4-step chain to /$/inet (the blue-green shape) and
// pads with dentries for other services, which every lookup must still scan.
import { bind, Dtab, delegate, interpreterLookup, NameTree, Path } from '@switchyard/dtab'
import { consume, formatNs, formatRate, measure, table } from './harness.js'

const CHAIN = [
  '/srv => /$/inet/127.0.0.1/8080',
  '/host => /srv',
  '/tmp => /srv',
  '/svc => /host',
  '/host/world => 1 * /tmp/world-v2 & 9 * /tmp/world-v1',
]

export function dtabText(size: number): string {
  const filler = Array.from(
    { length: Math.max(0, size - CHAIN.length) },
    (_, i) => `/host/svc-${i} => /srv/svc-${i}-v1 | /srv/svc-${i}`,
  )
  // Filler first, so the chain's dentries are still found last-first through all of it.
  return [...filler, ...CHAIN].join(';\n')
}

export interface DtabBenchRow {
  size: number
  bytes: number
  parseNs: number
  lookupNs: number
  bindNs: number
  delegateNs: number
}

export function runDtabBench(sizes = [5, 50, 500]): DtabBenchRow[] {
  const path = Path.read('/svc/world')
  return sizes.map((size) => {
    const text = dtabText(size)
    const dtab = Dtab.read(text)
    const lookup = interpreterLookup(dtab)
    const leaf = NameTree.leaf(path)
    // Sanity: the benchmark measures a delegation that really binds.
    const bound = bind(lookup, leaf)
    if (bound.type !== 'union') throw new Error(`expected a weighted union, got ${bound.type}`)
    return {
      size,
      bytes: text.length,
      parseNs: measure('parse', () => Dtab.read(text)).nsPerOp,
      lookupNs: measure('lookup', () => Dtab.lookup(dtab, path)).nsPerOp,
      bindNs: measure('bind', () => bind(lookup, leaf)).nsPerOp,
      delegateNs: measure('delegate', () => delegate(dtab, path)).nsPerOp,
    }
  })
}

export function printDtabBench(rows: DtabBenchRow[]): void {
  console.log('\n== dtab core: one /svc/world resolution through dtabs of N dentries ==')
  console.log(
    table(
      [
        'dentries',
        'parse',
        'parse MB/s',
        'lookup',
        'bind (to /$/inet)',
        'binds/s',
        'delegate tree',
        'delegations/s',
      ],
      rows.map((r) => [
        String(r.size),
        formatNs(r.parseNs),
        ((r.bytes / r.parseNs) * 1e3).toFixed(1),
        formatNs(r.lookupNs),
        formatNs(r.bindNs),
        formatRate(1e9 / r.bindNs),
        formatNs(r.delegateNs),
        formatRate(1e9 / r.delegateNs),
      ]),
    ),
  )
  const first = rows[0]!
  const last = rows[rows.length - 1]!
  const growth = last.size / first.size
  console.log(
    `\nScaling from ${first.size} to ${last.size} dentries (${growth}x): cost ratio (1.0 = linear)`,
  )
  const perByte = last.parseNs / last.bytes / (first.parseNs / first.bytes)
  console.log(
    `  parse     ${perByte.toFixed(2)}x per byte of dtab text (1.0 = linear in its length)`,
  )
  for (const key of ['lookupNs', 'bindNs', 'delegateNs'] as const) {
    const ratio = last[key] / first[key]
    console.log(
      `  ${key.replace('Ns', '').padEnd(9)} ${ratio.toFixed(1)}x  (${(ratio / growth).toFixed(2)} of linear)`,
    )
  }
  const target = first.bindNs < 2000 ? 'meets' : 'MISSES'
  console.log(
    `\nTarget: a ${first.size}-dentry delegation to a bound name under 2 µs: ${formatNs(first.bindNs)} (${target})`,
  )
  consume(rows)
}
