// The arithmetic of `namerctl shift`, pure: read `<dst>=<weight>` arguments, and rewrite exactly
// one dentry of a dtab as a weighted union of those destinations.
import { DtabParseError, NameTree, Path, Prefix } from '@switchyard/dtab'
import { editDistance } from '@switchyard/wire'
import { UsageError } from './errors.js'
import type { DentryJson } from './schemas.js'

export interface WeightedDst {
  /** The destination path, as printed (`/tmp/world-v2`). */
  readonly dst: string
  readonly weight: number
}

export interface ShiftPlan {
  /** The prefix as printed, e.g. `/host/world`. */
  readonly prefix: string
  readonly dst: string
}

export const SINGLE_WEIGHT = 100

/**
 * Reads the destinations. A lone destination may leave out its weight; each weight is a
 * number >= 0 (relative: 10 and 90 is the same split as 1 and 9), and a weight of 0 drops that
 * destination. Throws UsageError on anything else.
 */
export function parseDestinations(args: readonly string[]): WeightedDst[] {
  if (args.length === 0) {
    throw new UsageError('shift needs at least one <dst>=<weight>', [
      'e.g. namerctl shift internal /host/world /tmp/world-v2=10 /tmp/world-v1=90',
    ])
  }
  const seen = new Set<string>()
  const out: WeightedDst[] = []
  for (const arg of args) {
    const eq = arg.lastIndexOf('=')
    let dstText: string
    let weight: number
    if (eq === -1) {
      if (args.length > 1) {
        throw new UsageError(`${JSON.stringify(arg)} has no weight`, [
          'with several destinations, give each a weight: /tmp/world-v2=10 /tmp/world-v1=90',
        ])
      }
      dstText = arg
      weight = SINGLE_WEIGHT
    } else {
      dstText = arg.slice(0, eq)
      const w = arg.slice(eq + 1)
      weight = w.trim() === '' ? Number.NaN : Number(w)
      if (!Number.isFinite(weight) || weight < 0) {
        throw new UsageError(`invalid weight ${JSON.stringify(w)} in ${JSON.stringify(arg)}`, [
          'a weight is a number >= 0, e.g. /tmp/world-v2=10; 0 removes that destination',
        ])
      }
    }
    const dst = readPath(dstText, arg)
    if (seen.has(dst)) throw new UsageError(`destination ${dst} is given twice`)
    seen.add(dst)
    if (weight > 0) out.push({ dst, weight })
  }
  if (out.length === 0) {
    throw new UsageError('every weight is 0: nothing would receive traffic', [
      'give at least one destination a positive weight',
    ])
  }
  return out
}

function readPath(text: string, arg: string): string {
  try {
    return Path.show(Path.read(text))
  } catch (err) {
    if (err instanceof DtabParseError) {
      throw new UsageError(
        `invalid destination ${JSON.stringify(text)} in ${JSON.stringify(arg)}`,
        [`a destination is a path such as /tmp/world-v2: ${err.message}`],
      )
    }
    throw err
  }
}

/** Checks and prints a dentry prefix (`*` allowed), or throws UsageError. */
export function readPrefix(text: string): string {
  try {
    return Prefix.show(Prefix.read(text))
  } catch (err) {
    if (err instanceof DtabParseError) {
      throw new UsageError(`invalid prefix ${JSON.stringify(text)}`, [
        `a prefix is a path such as /host/world: ${err.message}`,
      ])
    }
    throw err
  }
}

/** The dst for the destinations: a plain path for one, a union with the given weights otherwise. */
export function unionOf(dsts: readonly WeightedDst[]): string {
  if (dsts.length === 1) return dsts[0]!.dst
  return NameTree.show(
    NameTree.union(
      ...dsts.map((d) => NameTree.weighted(d.weight, NameTree.leaf(Path.read(d.dst)))),
    ),
  )
}

export interface ShiftResult {
  readonly dtab: DentryJson[]
  /** The index of the dentry rewritten, or appended. */
  readonly index: number
  readonly appended: boolean
  /** The dst it had; null when appended. */
  readonly before: string | null
  readonly after: string
}

/**
 * Rewrites the dst of the dentry whose prefix is `prefix`; of several, the last one, since it
 * wins lookups. With none, appends a dentry. Every other dentry is kept exactly as it was.
 */
export function applyShift(dtab: readonly DentryJson[], prefix: string, dst: string): ShiftResult {
  const wanted = Prefix.read(prefix)
  let index = -1
  for (let i = dtab.length - 1; i >= 0; i--) {
    if (samePrefix(dtab[i]!.prefix, wanted)) {
      index = i
      break
    }
  }
  if (index === -1) {
    return {
      dtab: [...dtab, { prefix, dst }],
      index: dtab.length,
      appended: true,
      before: null,
      after: dst,
    }
  }
  const out = dtab.map((d, i) => (i === index ? { prefix: d.prefix, dst } : d))
  return { dtab: out, index, appended: false, before: dtab[index]!.dst, after: dst }
}

function samePrefix(text: string, wanted: ReturnType<typeof Prefix.read>): boolean {
  try {
    return Prefix.equals(Prefix.read(text), wanted)
  } catch {
    return false
  }
}

/**
 * The dentry whose prefix is nearest to `prefix` by edit distance (of the printed prefixes),
 * for "did you mean": `/host/wrold` finds `/host/world`. Of equals, the last (it wins lookups).
 */
export function nearestDentry(
  dtab: readonly DentryJson[],
  prefix: string,
): { readonly dentry: DentryJson; readonly distance: number } | null {
  let best: { dentry: DentryJson; distance: number } | null = null
  for (const dentry of dtab) {
    const distance = editDistance(dentry.prefix, prefix)
    if (best === null || distance <= best.distance) best = { dentry, distance }
  }
  return best
}
