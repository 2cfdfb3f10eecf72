// "did you mean ...?" for a typo'd key: the known key nearest by edit distance, if it is near
// enough to be a typo (a letter or two for a short key), and only if one is nearest; else the
// one known key that starts with the typed key or that it starts with (`maxRetry` for
// `maxRetries` is three edits away, but plainly meant).
import { editDistance } from '@switchyard/wire'

/** The known key `key` is probably a typo of, or undefined. Case is a typo too. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const byCase = known.filter((k) => k.toLowerCase() === key.toLowerCase())
  if (byCase.length === 1) return byCase[0]
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 3)))
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  let tie = false
  for (const k of known) {
    const distance = editDistance(key.toLowerCase(), k.toLowerCase())
    if (distance < bestDistance) {
      best = k
      bestDistance = distance
      tie = false
    } else if (distance === bestDistance) tie = true
  }
  if (bestDistance <= limit && !tie) return best
  return byPrefix(key, known)
}

/** Shorter than this, a prefix says too little of what was meant (`r` for `retries`). */
const MIN_PREFIX = 3

/**
 * The one known key that starts with `key` or that `key` starts with, if only one does; the
 * shorter one's last letter may differ, as a singular's does (`maxRetry`, `maxRetries`).
 */
function byPrefix(key: string, known: readonly string[]): string | undefined {
  const typed = key.toLowerCase()
  const matches = known.filter((k) => {
    const candidate = k.toLowerCase()
    const shorter = Math.min(typed.length, candidate.length)
    const common = commonPrefixLength(typed, candidate)
    return shorter >= MIN_PREFIX && common >= Math.max(MIN_PREFIX, shorter - 1)
  })
  return matches.length === 1 ? matches[0] : undefined
}

function commonPrefixLength(a: string, b: string): number {
  let n = 0
  while (n < a.length && n < b.length && a[n] === b[n]) n++
  return n
}
