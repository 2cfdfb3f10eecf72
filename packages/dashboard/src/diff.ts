// A line diff (longest common subsequence), enough for dtabs of a few hundred dentries: what a
// save would change, what changed meanwhile on a conflict, and two history versions side by side.
export type DiffLine =
  | { readonly kind: 'same'; readonly text: string }
  | { readonly kind: 'added'; readonly text: string }
  | { readonly kind: 'removed'; readonly text: string }

/** Past this many cells the table is not built: every old line removed, every new one added. */
const MAX_CELLS = 4_000_000

export function lineDiff(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length
  const m = after.length
  if (n * m > MAX_CELLS) {
    return [
      ...before.map((text) => ({ kind: 'removed' as const, text })),
      ...after.map((text) => ({ kind: 'added' as const, text })),
    ]
  }
  // lcs[i][j]: the common subsequence's length of before[i..] and after[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i]!
    const next = lcs[i + 1]!
    for (let j = m - 1; j >= 0; j--) {
      row[j] = before[i] === after[j] ? next[j + 1]! + 1 : Math.max(next[j]!, row[j + 1]!)
    }
  }
  const out: DiffLine[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      out.push({ kind: 'same', text: before[i]! })
      i++
      j++
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      out.push({ kind: 'removed', text: before[i++]! })
    } else {
      out.push({ kind: 'added', text: after[j++]! })
    }
  }
  while (i < n) out.push({ kind: 'removed', text: before[i++]! })
  while (j < m) out.push({ kind: 'added', text: after[j++]! })
  return out
}

export const changed = (diff: readonly DiffLine[]): boolean => diff.some((l) => l.kind !== 'same')
