// The difference between two dtabs, dentry by dentry (a dtab is short, so the whole table is
// shown with `-`/`+` marks rather than hunks). Order matters in a dtab (later dentries win), so
// this is a sequence diff (longest common subsequence), not a set difference.
import type { Style } from './io.js'
import type { DentryJson } from './schemas.js'

export type DiffOp =
  | { readonly type: 'same'; readonly dentry: DentryJson }
  | { readonly type: 'removed'; readonly dentry: DentryJson }
  | { readonly type: 'added'; readonly dentry: DentryJson }

const key = (d: DentryJson) => `${d.prefix}=>${d.dst}`

export function diffDtabs(before: readonly DentryJson[], after: readonly DentryJson[]): DiffOp[] {
  const n = before.length
  const m = after.length
  // lcs[i][j]: the longest common subsequence of before[i..] and after[j..]
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] =
        key(before[i]!) === key(after[j]!)
          ? lcs[i + 1]![j + 1]! + 1
          : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
    }
  }
  const ops: DiffOp[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (key(before[i]!) === key(after[j]!)) {
      ops.push({ type: 'same', dentry: before[i]! })
      i++
      j++
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      ops.push({ type: 'removed', dentry: before[i++]! })
    } else {
      ops.push({ type: 'added', dentry: after[j++]! })
    }
  }
  while (i < n) ops.push({ type: 'removed', dentry: before[i++]! })
  while (j < m) ops.push({ type: 'added', dentry: after[j++]! })
  return ops
}

export function hasChanges(ops: readonly DiffOp[]): boolean {
  return ops.some((op) => op.type !== 'same')
}

// The diff for people (the `*/` in a weight rules out a block comment here):
//
//     --- internal AAAAAAAAAAE=
//     +++ internal (after)
//       /srv        => /#/io.l5d.k8s/default/http
//     - /host/world => /srv/world-v1
//     + /host/world => 10.00*/tmp/world-v2 & 90.00*/tmp/world-v1
export function renderDiff(
  ops: readonly DiffOp[],
  labels: { readonly before: string; readonly after: string },
  s: Style,
  options: { readonly context?: boolean } = {},
): string {
  const width = Math.max(0, ...ops.map((op) => op.dentry.prefix.length))
  const line = (d: DentryJson) => `${d.prefix.padEnd(width)} => ${d.dst}`
  const out = [s.bold(`--- ${labels.before}`), s.bold(`+++ ${labels.after}`)]
  for (const op of ops) {
    if (op.type === 'same') {
      if (options.context !== false) out.push(s.dim(`  ${line(op.dentry)}`))
    } else if (op.type === 'removed') {
      out.push(s.red(`- ${line(op.dentry)}`))
    } else {
      out.push(s.green(`+ ${line(op.dentry)}`))
    }
  }
  return `${out.join('\n')}\n`
}

/** Only the changed lines, for history: `- /a => /b` and `+ /a => /c`. */
export function renderChanges(ops: readonly DiffOp[], s: Style, indent = '    '): string {
  return ops
    .filter((op) => op.type !== 'same')
    .map((op) =>
      op.type === 'removed'
        ? s.red(`${indent}- ${op.dentry.prefix} => ${op.dentry.dst}`)
        : s.green(`${indent}+ ${op.dentry.prefix} => ${op.dentry.dst}`),
    )
    .map((l) => `${l}\n`)
    .join('')
}
