// The `namers:` section of a namerd or proxy config, checked with zod, and the namers it
// builds. Like namerd, prefixes must not overlap, so an id belongs to exactly one namer.
import { Path } from '@switchyard/dtab'
import { z } from 'zod'
import { FsNamer, type FsNamerOptions } from './fs-namer.js'
import { errorMessage } from './inet.js'
import { namerPrefix } from './prefix.js'
import type { MountedAddrNamer } from './resolver.js'

const Prefix = z.string().superRefine((value, ctx) => {
  try {
    namerPrefix(value)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a namer prefix: ${errorMessage(err)}` })
  }
})

export const FsNamerConfig = z.strictObject({
  kind: z.literal('io.l5d.fs'),
  rootDir: z
    .string({ error: 'required: the directory of endpoints files' })
    .min(1, 'must not be empty'),
  /** Mounted at `/#/<prefix>`; default `io.l5d.fs`. */
  prefix: Prefix.optional(),
  /** Accepted for Linkerd configs; io.l5d.fs is not experimental, so it changes nothing. */
  experimental: z.boolean().optional(),
})
export type FsNamerConfig = z.infer<typeof FsNamerConfig>

const KINDS = ['io.l5d.fs'] as const

export const NamerConfig = z.discriminatedUnion('kind', [FsNamerConfig], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `unknown namer kind ${JSON.stringify((issue.input as { kind?: unknown } | undefined)?.kind)}; known kinds: ${KINDS.join(', ')}`
      : undefined,
})
export type NamerConfig = z.infer<typeof NamerConfig>
export const NamersConfig = z.array(NamerConfig)

/** A bad namers config; `issues` are `<where>: <problem>` lines, e.g. `namers[0].rootDir: required`. */
export class NamersConfigError extends Error {
  override readonly name = 'NamersConfigError'
  constructor(readonly issues: readonly string[]) {
    super(`invalid namers config:\n  ${issues.join('\n  ')}`)
  }
}

function where(base: string, path: readonly PropertyKey[]): string {
  let out = base
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : `.${String(k)}`
  return out
}

/**
 * Validates a namers config (the array under `namers:`); throws NamersConfigError naming each
 * bad key (`at` is how the section is called in messages).
 */
export function parseNamersConfig(input: unknown, at = 'namers'): NamerConfig[] {
  const r = NamersConfig.safeParse(input)
  if (!r.success) {
    throw new NamersConfigError(
      r.error.issues.map((i) =>
        i.code === 'unrecognized_keys'
          ? `${where(at, i.path)}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`
          : `${where(at, i.path)}: ${i.message}`,
      ),
    )
  }
  // A namer's default prefix is its kind (`/#/io.l5d.fs`), as in Linkerd.
  const prefixes = r.data.map((c) => namerPrefix(c.prefix ?? c.kind))
  const issues: string[] = []
  prefixes.forEach((p, i) => {
    for (let j = 0; j < i; j++) {
      const q = prefixes[j]!
      if (Path.startsWith(p, q) || Path.startsWith(q, p)) {
        issues.push(
          `${at}[${i}].prefix: Namers must not have overlapping prefixes: ${Path.show(q)} & ${Path.show(p)}`,
        )
      }
    }
  })
  if (issues.length > 0) throw new NamersConfigError(issues)
  return r.data
}

/** The namers of a config, ready for `interpreterLookup` and `createAddrResolver`. */
export interface MountedNamers {
  readonly namers: readonly MountedAddrNamer[]
  /** Stops every namer's watching. */
  close(): Promise<void>
}

export type MountOptions = Omit<FsNamerOptions, 'rootDir' | 'prefix'>

/**
 * Validates `config` and opens its namers, in order. If one cannot open (a missing rootDir),
 * the ones already open are closed and the error is thrown.
 */
export async function mountNamers(
  config: unknown,
  options: MountOptions = {},
): Promise<MountedNamers> {
  const configs = parseNamersConfig(config)
  const opened: FsNamer[] = []
  const close = async (): Promise<void> => {
    await Promise.all(opened.map((n) => n.close()))
  }
  try {
    for (const c of configs) {
      opened.push(await FsNamer.open({ ...options, rootDir: c.rootDir, prefix: c.prefix }))
    }
  } catch (err) {
    await close()
    throw err
  }
  return { namers: opened.map((namer) => ({ prefix: namer.prefix, namer })), close }
}
