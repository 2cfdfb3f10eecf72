// Linkerd's `client: {kind: io.l5d.static, configs: [{prefix, ...}]}`: settings per concrete
// name. A prefix is a path whose elements may be `*` (any one element) or `{name}` (any one
// element, captured for `tls.commonName`); every config whose prefix matches the start of the
// bound id applies, in order, a later one's keys over an earlier one's, all over the client's
// own keys. `io.l5d.global` (the default) is the client's own keys for every id.
import { Path } from '@switchyard/dtab'
import { type ClientTlsConfig, tlsIfEnabled } from './tls.js'

/** One element of a prefix pattern. */
export type PatternElem =
  | { readonly type: 'literal'; readonly elem: string }
  | { readonly type: 'any' }
  | { readonly type: 'capture'; readonly name: string }

const CAPTURE = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/

/** Parses `/#/io.l5d.fs/{service}`; throws an Error naming the element that is wrong. */
export function parsePrefixPattern(text: string): PatternElem[] {
  if (!text.startsWith('/')) throw new Error(`a prefix starts with '/': ${JSON.stringify(text)}`)
  if (text === '/') return []
  return text
    .slice(1)
    .split('/')
    .map((part, i) => {
      if (part === '*') return { type: 'any' as const }
      const m = CAPTURE.exec(part)
      if (m !== null) return { type: 'capture' as const, name: m[1]! }
      if (part.includes('{') || part.includes('}')) {
        throw new Error(`element ${i + 1} (${JSON.stringify(part)}): a variable is {name}, alone`)
      }
      const read = Path.read(`/${part}`)
      if (read.length !== 1) throw new Error(`element ${i + 1} is empty`)
      return { type: 'literal' as const, elem: read[0]! }
    })
}

/** The variables a pattern captures from `id`, or undefined when it does not match its start. */
export function matchPrefix(
  pattern: readonly PatternElem[],
  id: Path,
): Record<string, string> | undefined {
  if (id.length < pattern.length) return undefined
  const vars: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!
    const e = id[i]!
    if (p.type === 'literal' && p.elem !== e) return undefined
    if (p.type === 'capture') vars[p.name] = e
  }
  return vars
}

/** `{name}` in `template` replaced by its value; an unknown variable is left as written. */
export function fillTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (all, name: string) =>
    Object.hasOwn(vars, name) ? vars[name]! : all,
  )
}

/** The keys a client config can set, global or per prefix. */
export interface ClientParams {
  readonly failureAccrual?: {
    readonly failures: number
    readonly backoff:
      | { readonly kind: 'constant'; readonly ms: number }
      | { readonly kind: 'jittered'; readonly minMs: number; readonly maxMs: number }
  }
  readonly connectTimeoutMs?: number
  readonly maxConnectionsPerEndpoint?: number
  readonly tls?: ClientTlsConfig
}

/** What applies to one bound id: every key set, and tls's commonName filled in. */
export interface ResolvedClient {
  readonly failureAccrual: NonNullable<ClientParams['failureAccrual']>
  readonly connectTimeoutMs: number
  readonly maxConnectionsPerEndpoint: number
  readonly tls: ClientTlsConfig | undefined
}

export interface ClientSection extends ClientParams {
  readonly failureAccrual: NonNullable<ClientParams['failureAccrual']>
  readonly connectTimeoutMs: number
  readonly maxConnectionsPerEndpoint: number
  readonly configs?: readonly (ClientParams & { readonly prefix: string })[] | undefined
}

/**
 * A resolver for the client section: the settings of each bound id (`/#/io.l5d.fs/world`).
 * Patterns are parsed once (the schema already refused bad ones).
 */
export function clientResolver(section: ClientSection): (id: Path) => ResolvedClient {
  const configs = (section.configs ?? []).map((c) => ({
    pattern: parsePrefixPattern(c.prefix),
    params: c,
  }))
  return (id) => {
    let failureAccrual = section.failureAccrual
    let connectTimeoutMs = section.connectTimeoutMs
    let maxConnectionsPerEndpoint = section.maxConnectionsPerEndpoint
    // tls: {enabled: false} (Linkerd's) turns TLS off for the ids it applies to.
    let tls = tlsIfEnabled(section.tls)
    let vars: Record<string, string> = {}
    for (const { pattern, params } of configs) {
      const m = matchPrefix(pattern, id)
      if (m === undefined) continue
      vars = { ...vars, ...m }
      if (params.failureAccrual !== undefined) failureAccrual = params.failureAccrual
      if (params.connectTimeoutMs !== undefined) connectTimeoutMs = params.connectTimeoutMs
      if (params.maxConnectionsPerEndpoint !== undefined) {
        maxConnectionsPerEndpoint = params.maxConnectionsPerEndpoint
      }
      if (params.tls !== undefined) tls = tlsIfEnabled(params.tls)
    }
    if (tls?.commonName !== undefined) {
      tls = { ...tls, commonName: fillTemplate(tls.commonName, vars) }
    }
    return { failureAccrual, connectTimeoutMs, maxConnectionsPerEndpoint, tls }
  }
}
