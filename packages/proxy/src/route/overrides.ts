// Per-request dtab overrides, exactly as Linkerd 1 reads them (namerd-wire.md §4):
// `l5d-ctx-dtab` (from the previous hop) then `l5d-dtab` (from the user), each header's values
// joined with `;`, so the local dtab is ctx ++ user and later entries win. A malformed one is
// a 400. Parses are cached by header text, since a few override strings recur across requests.
import { Dtab, DtabParseError } from '@switchyard/dtab'
import type { HeaderMap } from '../http1/head.js'
import { Lru } from './lru.js'

export const CTX_DTAB_HEADER = 'l5d-ctx-dtab'
export const USER_DTAB_HEADER = 'l5d-dtab'
export type DtabHeader = typeof CTX_DTAB_HEADER | typeof USER_DTAB_HEADER

/** A dtab header that does not parse; `offset` is into that header's (joined) text. */
export class DtabHeaderError extends Error {
  readonly code = 'invalid_dtab_header'
  override readonly name = 'DtabHeaderError'
  readonly offset: number
  constructor(
    readonly header: DtabHeader,
    readonly value: string,
    override readonly cause: DtabParseError,
  ) {
    super(`Invalid ${header} header at offset ${cause.offset}: ${cause.message}`)
    this.offset = cause.offset
  }
}

export type Overrides =
  | {
      readonly ok: true
      /** ctx ++ user: appended to the base dtab for this request. */
      readonly local: Dtab
      /** The outbound `l5d-ctx-dtab` value (`Dtab.show(local)`); '' (omit the header) when empty. */
      readonly text: string
    }
  | { readonly ok: false; readonly error: DtabHeaderError; readonly message: string }

const NONE: Overrides = Object.freeze({ ok: true, local: Dtab.empty, text: '' })

/** The outbound `l5d-ctx-dtab` value for a local dtab; '' (omit the header) when empty. */
export function ctxDtabValue(local: Dtab): string {
  return Dtab.show(local)
}

/**
 * A header's values joined with `;`. Node joins repeated unknown headers with `, `, which would
 * corrupt a dtab, so pass `req.headersDistinct` where there is one.
 */
function joined(
  headers: HeaderMap,
  distinct: Readonly<Record<string, string[] | undefined>> | undefined,
  name: string,
): string | undefined {
  const many = distinct?.[name]
  if (many !== undefined) return many.length === 1 ? many[0] : many.join(';')
  const v = headers[name]
  return Array.isArray(v) ? v.join(';') : v
}

/**
 * Estimated bytes a cached parse holds per character of its header text: the text, the Dtab
 * read from it and the Dtab shown again. Measured 30 to 95 with node's heap statistics on
 * 16 KiB dtabs of every shape (dentries, unions, alts, weights, nesting), rounded up.
 */
const PARSE_BYTES_PER_CHAR = 128

/**
 * The estimated bytes the cached parses may hold together: 1,000 overrides of 130 characters,
 * or 8 of the 16 KiB a request head allows. A count alone let 1,000 distinct 16 KiB headers
 * hold 800 MB.
 */
export const MAX_PARSED_BYTES = 16 * 1024 * 1024

export class OverrideParser {
  readonly #cache: Lru<string, Overrides>

  constructor(maxEntries = 1000, maxBytes = MAX_PARSED_BYTES) {
    this.#cache = new Lru(maxEntries, {
      maxWeight: maxBytes,
      weigh: (_parsed, key) => PARSE_BYTES_PER_CHAR * key.length,
    })
  }

  parse(headers: HeaderMap, distinct?: Readonly<Record<string, string[] | undefined>>): Overrides {
    const ctx = joined(headers, distinct, CTX_DTAB_HEADER)
    const user = joined(headers, distinct, USER_DTAB_HEADER)
    if ((ctx === undefined || ctx === '') && (user === undefined || user === '')) return NONE
    // A newline cannot occur in a header value, so it separates the two safely.
    const key = `${ctx ?? ''}\n${user ?? ''}`
    return this.#cache.get(key) ?? this.#cache.set(key, compute(ctx, user))
  }

  get size(): number {
    return this.#cache.size
  }

  /** The estimated bytes of the cached parses; at most the maxBytes given. */
  get bytes(): number {
    return this.#cache.weight
  }
}

function read(header: DtabHeader, text: string | undefined): Dtab | DtabHeaderError {
  if (text === undefined || text.trim() === '') return Dtab.empty
  try {
    return Dtab.read(text)
  } catch (err) {
    if (err instanceof DtabParseError) return new DtabHeaderError(header, text, err)
    throw err
  }
}

function compute(ctx: string | undefined, user: string | undefined): Overrides {
  const c = read(CTX_DTAB_HEADER, ctx)
  if (c instanceof DtabHeaderError) return { ok: false, error: c, message: c.message }
  const u = read(USER_DTAB_HEADER, user)
  if (u instanceof DtabHeaderError) return { ok: false, error: u, message: u.message }
  const local = Dtab.concat(c, u)
  return { ok: true, local, text: ctxDtabValue(local) }
}

const shared = new OverrideParser()

/** parseOverrides with a process-wide cache. */
export function parseOverrides(
  headers: HeaderMap,
  distinct?: Readonly<Record<string, string[] | undefined>>,
): Overrides {
  return shared.parse(headers, distinct)
}
