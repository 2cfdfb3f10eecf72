// What the writing commands (shift, dtab create|update|edit) say about the destinations they
// are about to write, and the refusal when one does not resolve: a typo in a destination must
// not look like a successful shift while all traffic stays where it was.
import { CliError } from './errors.js'
import type { Style } from './io.js'
import type { DentryCheck, LeafCheck, Outcome, Resolution } from './resolution.js'
import type { DentryJson } from './schemas.js'
import { renderTree } from './tree.js'

/** The text of `namerctl <command> --help` about the check, one place for all four. */
export const CHECK_HELP = [
  'Before writing, each destination the change adds or rewrites is delegated by namerd',
  'through the dtab as it will be written (POST /api/1/delegate), and the write is refused',
  "(exit 1, nothing written) if one is negative, fails, or binds no endpoints; namerd's",
  'delegation shows why. Each path of a destination is checked: a union needs every member',
  'with a weight above 0, an alt only the member it would use. Not checked: dentries left as',
  'they were, and dentries for prefixes that requests complete (one element such as /svc or',
  '/srv, a *, or a prefix the dtab routes longer names under, such as /k8s/prod when',
  '/k8s/prod/world is a dentry): /svc => /host resolves only as /svc/<name>. --dry-run',
  'checks too (exit 1 if the write would be refused); --force writes anyway.',
]

export function isRefused(resolution: Resolution): boolean {
  return resolution.checked.some((c) => !c.outcome.ok)
}

/** The lines printed when the check passed (or --force): what each destination resolves to. */
export function renderResolution(resolution: Resolution): string {
  const lines: string[] = []
  for (const check of resolution.checked) {
    for (const leaf of check.leaves) {
      // A failing path of a destination that resolves: an alt member that is not needed.
      const unused = check.outcome.ok && !leaf.outcome.ok ? ' (not needed: the alt resolves)' : ''
      lines.push(leafLine(leaf) + unused)
    }
  }
  if (resolution.prefixes.length > 0) {
    lines.push(
      `Not checked (prefixes that requests complete): ${resolution.prefixes.map((d) => d.prefix).join(', ')}`,
    )
  }
  return lines.map((l) => `${l}\n`).join('')
}

function leafLine(leaf: LeafCheck): string {
  return `${leaf.path} => ${outcomeText(leaf.outcome)}`
}

function outcomeText(outcome: Outcome): string {
  if (!outcome.ok) return `does not resolve: ${outcome.why}`
  return outcome.bound
    .map((b) => `${b.id} (${b.endpoints} endpoint${b.endpoints === 1 ? '' : 's'})`)
    .join(', ')
}

/**
 * The refusal: each destination that does not resolve, why, and namerd's delegation of each
 * of its paths that did not, so the mistake can be seen. `ns` names the namespace.
 */
export function refusal(
  ns: string,
  resolution: Resolution,
  s: Style,
  options: { readonly dryRun?: boolean } = {},
): CliError {
  const bad = resolution.checked.filter((c) => !c.outcome.ok)
  const first = bad[0]!
  const couldNotCheck = bad.every((c) => !c.outcome.ok && c.outcome.unknown === true)
  const head =
    bad.length === 1
      ? `${describe(first.dentry)} in ${ns} would route to a destination that does not resolve`
      : `${bad.length} dentries in ${ns} would route to destinations that do not resolve`
  return new CliError(
    'unresolved',
    `${couldNotCheck ? `could not check ${describe(first.dentry)} in ${ns}` : head}; ${options.dryRun === true ? 'the write would be refused' : 'nothing was written'}`,
    [
      ...bad.flatMap((c) => explain(c, s)),
      'Check the name (namerctl delegate <ns> <path>, or the namer: a file for io.l5d.fs, a',
      'Service for io.l5d.k8s) and run the command again; --force writes it anyway.',
    ],
  )
}

/** With --force: the same account as a refusal, as a warning, and the write goes ahead. */
export function forcedWarning(ns: string, resolution: Resolution, s: Style): string {
  const bad = resolution.checked.filter((c) => !c.outcome.ok)
  const lines = [
    `Warning: writing ${bad.map((c) => describe(c.dentry)).join(', ')} in ${ns} although it does not resolve (--force)`,
    ...bad.flatMap((c) => explain(c, s)).map((l) => `  ${l}`),
  ]
  return lines.map((l) => `${l}\n`).join('')
}

function describe(d: DentryJson): string {
  return `${d.prefix} => ${d.dst}`
}

function explain(check: DentryCheck, s: Style): string[] {
  const out = [`${describe(check.dentry)}:`]
  for (const leaf of check.leaves) {
    if (leaf.outcome.ok) {
      out.push(`  ${leafLine(leaf)}`)
      continue
    }
    out.push(`  ${leaf.path} does not resolve: ${leaf.outcome.why}`)
    if (leaf.tree !== null) {
      out.push(
        ...renderTree(leaf.tree, s)
          .trimEnd()
          .split('\n')
          .map((l) => `    ${l}`),
      )
    }
  }
  return out
}
