// One YAML file checked with a zod schema. A problem is reported as
// `<file>:<line>:<col>: <key path>: <problem>`, pointing at the offending value when the YAML
// has one, so an operator can jump straight to it.
import { readFile } from 'node:fs/promises'
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml'
import type { z } from 'zod'
import { closestKey } from './closest-key.js'
import { ConfigError } from './config-error.js'
import { keyPath } from './key-path.js'
import { knownKeysAt } from './known-keys.js'

/** What formatIssues may use to say more about an unknown key. */
export interface KeyHints {
  /** `line:col` of the key `key` in the object at `path`, if the source has it. */
  readonly locateKey?: (path: readonly PropertyKey[], key: string) => string | undefined
  /** The schema the input was checked with: its known keys give "did you mean ...?". */
  readonly schema?: z.ZodType
}

/**
 * Renders zod issues; `locate` may turn a key path into a `line:col` prefix. They are listed in
 * the file's order (by line, then column), as an operator fixes them top to bottom; zod's order
 * is the schema's. Issues with no position come first, in zod's order.
 */
export function formatIssues(
  source: string,
  error: z.ZodError,
  locate: (path: readonly PropertyKey[]) => string | undefined = () => undefined,
  input?: unknown,
  hints: KeyHints = {},
): string[] {
  return inFileOrder(source, formatEach(source, error, locate, input, hints))
}

/** `<source>:<line>:<col>: ...` lines sorted by line, then column (a stable sort). */
function inFileOrder(source: string, lines: readonly string[]): string[] {
  const positionOf = (line: string): readonly [number, number] => {
    const m = /^(\d+):(\d+): /.exec(
      line.startsWith(`${source}:`) ? line.slice(source.length + 1) : '',
    )
    return m ? [Number(m[1]), Number(m[2])] : [0, 0]
  }
  return lines
    .map((line) => ({ line, at: positionOf(line) }))
    .sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1])
    .map((e) => e.line)
}

function formatEach(
  source: string,
  error: z.ZodError,
  locate: (path: readonly PropertyKey[]) => string | undefined,
  input: unknown,
  hints: KeyHints,
): string[] {
  return error.issues.flatMap(closest).flatMap((i) => {
    if (i.code === 'unrecognized_keys') {
      // One line per key, at the key's own line and column, with the nearest known key.
      const known = hints.schema ? knownKeysAt(hints.schema, i.path, input) : []
      return i.keys.map((key) => {
        const at = hints.locateKey?.(i.path, key) ?? locate(i.path)
        const where = at === undefined ? source : `${source}:${at}`
        const near = closestKey(key, known)
        const hint = near === undefined ? '' : `; did you mean ${JSON.stringify(near)}?`
        return `${where}: ${keyPath(i.path)}: unknown key ${JSON.stringify(key)}${hint}`
      })
    }
    const at = locate(i.path)
    const where = at === undefined ? source : `${source}:${at}`
    if (i.code === 'invalid_type' && input !== undefined && valueAt(input, i.path) === undefined) {
      const wanted = i.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')
      // A schema's own message may already say it ('required: the directory of ...').
      const required = /^required\b/.test(wanted) ? wanted : `required: ${wanted}`
      return `${where}: ${keyPath(i.path)}: ${required}`
    }
    return `${where}: ${keyPath(i.path)}: ${i.message}`
  })
}

/**
 * A value that matches no branch of a union gets zod's bare "Invalid input". The branch whose
 * type the value has (an object where the union allows an object or a list) explains it
 * better: its own issues are reported, under the union's path.
 */
function closest(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue]
  const typed = issue.errors.filter(
    (branch) => !branch.some((b) => b.code === 'invalid_type' && b.path.length === 0),
  )
  if (typed.length !== 1) return [issue]
  return typed[0]!.flatMap((b) => closest({ ...b, path: [...issue.path, ...b.path] }))
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[k]
  }
  return v
}

function locator(doc: Document, lines: LineCounter) {
  return (path: readonly PropertyKey[]): string | undefined => {
    // The deepest node that exists on the path: a missing key points at its parent.
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true)
      if (isNode(node) && node.range) {
        const pos = lines.linePos(node.range[0])
        return `${pos.line}:${pos.col}`
      }
    }
    return undefined
  }
}

function keyLocator(doc: Document, lines: LineCounter) {
  return (path: readonly PropertyKey[], key: string): string | undefined => {
    const node = path.length === 0 ? doc.contents : doc.getIn(path as unknown[], true)
    if (!isMap(node)) return undefined
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key)
    const range = isScalar(pair?.key) ? pair.key.range : undefined
    if (!range) return undefined
    const pos = lines.linePos(range[0])
    return `${pos.line}:${pos.col}`
  }
}

/** Parses YAML text and checks it against `schema`; an empty document is `{}`. */
export function parseYamlConfig<S extends z.ZodType>(
  source: string,
  text: string,
  schema: S,
): z.infer<S> {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  if (doc.errors.length > 0) {
    throw new ConfigError(
      inFileOrder(
        source,
        doc.errors.map((e) => {
          const at = lines.linePos(e.pos[0])
          return `${source}:${at.line}:${at.col}: not valid YAML: ${e.message.split('\n', 1)[0]}`
        }),
      ),
    )
  }
  const raw: unknown = doc.toJS() ?? {}
  const parsed = schema.safeParse(raw)
  if (!parsed.success)
    throw new ConfigError(
      formatIssues(source, parsed.error, locator(doc, lines), raw, {
        locateKey: keyLocator(doc, lines),
        schema,
      }),
    )
  return parsed.data
}

/** Reads a YAML file and checks it against `schema`. */
export async function loadYamlConfig<S extends z.ZodType>(
  file: string,
  schema: S,
): Promise<z.infer<S>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError([`cannot read config file ${file}: ${(err as Error).message}`])
  }
  return parseYamlConfig(file, text, schema)
}
