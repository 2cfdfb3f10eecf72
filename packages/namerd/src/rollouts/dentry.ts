// The dentry a rollout moves, pure (docs/design/rollouts.md §3): which one it is (the last whose
// prefix is exactly the rollout's, as `namerctl shift` picks: it wins lookups), the tree each step
// gives it, and the dtab with only that dentry replaced. Shared by the controller, the writer and
// the API's validation, so the three never disagree on what "the rollout's dentry" is.
import { Dentry, Dtab, NameTree, Prefix } from '@switchyard/dtab'

export interface FoundDentry {
  readonly index: number
  readonly dentry: Dentry
  /** `Dentry.show` text, e.g. `/host/world=>/srv/world-v1`: what the rollout stores and compares. */
  readonly text: string
  /** The dst alone, `NameTree.show` text. */
  readonly tree: string
}

/** The last dentry whose prefix is exactly `prefix`, or null when none has it. */
export function findDentry(dtab: Dtab, prefix: string): FoundDentry | null {
  const wanted = Prefix.read(prefix)
  for (let i = dtab.length - 1; i >= 0; i--) {
    const d = dtab[i]!
    if (Prefix.equals(d.prefix, wanted)) {
      return { index: i, dentry: d, text: Dentry.show(d), tree: NameTree.show(d.dst) }
    }
  }
  return null
}

/** The text of the rollout's dentry in `dtab`, or null when there is none. */
export function dentryText(dtab: Dtab, prefix: string): string | null {
  return findDentry(dtab, prefix)?.text ?? null
}

/**
 * The tree of a step at `weight` percent to `to`: `w.00*to & (100-w).00*from`, written as
 * `namerctl shift` writes a weighted union (to first, weights kept as given); at 100 the plain
 * `to`, shift's rule for a lone destination. Throws DtabParseError on a tree that does not parse.
 */
export function stepTree(from: string, to: string, weight: number): string {
  if (!Number.isInteger(weight) || weight < 1 || weight > 100) {
    throw new RangeError(`a step's weight is a whole number from 1 to 100, not ${weight}`)
  }
  const toTree = NameTree.read(to)
  if (weight === 100) return NameTree.show(toTree)
  return NameTree.show(
    NameTree.union(
      NameTree.weighted(weight, toTree),
      NameTree.weighted(100 - weight, NameTree.read(from)),
    ),
  )
}

/** The dentry text a step writes: `<prefix>=><stepTree>`. */
export function stepDentry(prefix: string, from: string, to: string, weight: number): string {
  return Dentry.show(Dentry.of(prefix, stepTree(from, to, weight)))
}

/**
 * `dtab` with the rollout's dentry (the last with exactly `prefix`) given `tree`, every other
 * dentry kept as it is. null when no dentry has the prefix: a rollout never appends one.
 */
export function replaceDentry(dtab: Dtab, prefix: string, tree: string): Dtab | null {
  const found = findDentry(dtab, prefix)
  if (found === null) return null
  const dst = NameTree.read(tree)
  return dtab.map((d, i) => (i === found.index ? { prefix: d.prefix, dst } : d))
}

/** replaceDentry with a whole dentry's text (`/host/world=>/srv/world-v2`), as stored on a rollout. */
export function replaceWithDentry(dtab: Dtab, prefix: string, text: string): Dtab | null {
  const d = Dentry.read(text)
  return replaceDentry(dtab, prefix, NameTree.show(d.dst))
}

/** A prefix in its printed form, or null when it does not parse. */
export function showPrefix(text: string): string | null {
  try {
    return Prefix.show(Prefix.read(text))
  } catch {
    return null
  }
}

/** A name tree in its printed form, or null when it does not parse. */
export function showTree(text: string): string | null {
  try {
    return NameTree.show(NameTree.read(text))
  } catch {
    return null
  }
}

/** The dtab's `Dtab.show` text, as `before.dtab` keeps it. */
export function showDtab(dtab: Dtab): string {
  return Dtab.show(dtab)
}
