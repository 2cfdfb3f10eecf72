// The `identifier:` config of a router, in Linkerd's kinds and key names, and the identifier it
// builds: one, or a list tried in order (the first that identifies wins).
import { Path } from '@switchyard/dtab'
import { z } from 'zod'
import { headerPathIdentifier } from './header-path.js'
import { headerSegmentsIdentifier } from './header-segments.js'
import { headerTokenIdentifier } from './header-token.js'
import { methodAndHostIdentifier } from './method-and-host.js'
import { pathIdentifier } from './path.js'
import { staticIdentifier } from './static.js'
import { type Identified, type Identifier, unidentified } from './types.js'

const PathText = z.string().superRefine((value, ctx) => {
  try {
    Path.read(value)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a path: ${(err as Error).message}` })
  }
})

/** An HTTP header name (RFC 9110 token). */
const HeaderName = z
  .string()
  .regex(/^(:authority|:path|[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/, 'an HTTP header name')

export const HeaderTokenIdentifierConfig = z.strictObject({
  kind: z.literal('io.l5d.header.token'),
  /** Default `Host`. */
  header: HeaderName.optional(),
})
export const MethodAndHostIdentifierConfig = z.strictObject({
  kind: z.literal('io.l5d.methodAndHost'),
  httpUriInDst: z.boolean().optional(),
})
export const PathIdentifierConfig = z.strictObject({
  kind: z.literal('io.l5d.path'),
  /** Default 1. */
  segments: z.int().min(1).max(100).optional(),
  consume: z.boolean().optional(),
})
export const HeaderIdentifierConfig = z.strictObject({
  kind: z.literal('io.l5d.header'),
  /** Default `l5d-name`. */
  header: HeaderName.optional(),
})
/** h2's io.l5d.header.path: a header's value (default `:path`) as a path, its first N segments. */
export const HeaderPathSegmentsIdentifierConfig = z.strictObject({
  kind: z.literal('io.l5d.header.path'),
  /** Default `:path`. */
  header: z.union([HeaderName, z.literal(':path'), z.literal(':authority')]).optional(),
  /** How many segments name the service (1 for a gRPC service); default all. */
  segments: z.int().min(1).max(100).optional(),
})
export const StaticIdentifierConfig = z.strictObject({
  kind: z.literal('io.l5d.static'),
  path: PathText,
})

const KINDS = [
  'io.l5d.header.token',
  'io.l5d.methodAndHost',
  'io.l5d.path',
  'io.l5d.header',
  'io.l5d.header.path',
  'io.l5d.static',
]

export const IdentifierConfig = z.discriminatedUnion(
  'kind',
  [
    HeaderTokenIdentifierConfig,
    MethodAndHostIdentifierConfig,
    PathIdentifierConfig,
    HeaderIdentifierConfig,
    HeaderPathSegmentsIdentifierConfig,
    StaticIdentifierConfig,
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `unknown identifier kind ${JSON.stringify((issue.input as { kind?: unknown } | undefined)?.kind)}; known kinds: ${KINDS.join(', ')}`
        : undefined,
  },
)
export type IdentifierConfig = z.infer<typeof IdentifierConfig>

/** One identifier from its (validated) config. */
export function identifierFor(config: IdentifierConfig, dstPrefix: Path): Identifier {
  switch (config.kind) {
    case 'io.l5d.header.token':
      return headerTokenIdentifier(dstPrefix, { header: config.header })
    case 'io.l5d.methodAndHost':
      return methodAndHostIdentifier(dstPrefix, { httpUriInDst: config.httpUriInDst })
    case 'io.l5d.path':
      return pathIdentifier(dstPrefix, { segments: config.segments, consume: config.consume })
    case 'io.l5d.header':
      return headerPathIdentifier(dstPrefix, { header: config.header })
    case 'io.l5d.header.path':
      return headerSegmentsIdentifier(dstPrefix, {
        header: config.header,
        segments: config.segments,
      })
    case 'io.l5d.static':
      return staticIdentifier(dstPrefix, Path.read(config.path))
  }
}

/**
 * The router's identifier: the default (io.l5d.header.token on Host), one, or a list tried in
 * order; when none identifies, the reasons of all.
 */
export function createIdentifier(
  config: IdentifierConfig | readonly IdentifierConfig[] | undefined,
  dstPrefix: Path = ['svc'],
  protocol: 'http' | 'h2' = 'http',
): Identifier {
  const list: readonly IdentifierConfig[] =
    config === undefined
      ? [{ kind: 'io.l5d.header.token', header: protocol === 'h2' ? ':authority' : 'Host' }]
      : Array.isArray(config)
        ? config
        : [config as IdentifierConfig]
  const ids = list.map((c) => identifierFor(c, dstPrefix))
  if (ids.length === 1) return ids[0]!
  return (req) => {
    const reasons: string[] = []
    for (const id of ids) {
      const r: Identified = id(req)
      if (r.ok) return r
      reasons.push(r.reason)
    }
    return unidentified(reasons.join('; '))
  }
}
