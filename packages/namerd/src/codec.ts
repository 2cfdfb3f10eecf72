// Dtab bodies and content negotiation, as namerd's DtabCodec does them (namerd-wire.md §1.2):
// JSON `[{"prefix":..,"dst":..}]`, or dtab text for `application/dtab` and `text/plain`. A GET
// answers in the first type of `Accept` that is recognised, in the client's order (q-values
// are ignored, as in Finagle), else JSON; the response's Content-Type echoes that type.
import { Dtab, type DtabJsonError, type DtabParseError } from '@switchyard/dtab'

export type DtabCodec = 'json' | 'text'

export const JSON_TYPE = 'application/json'
export const DTAB_TYPE = 'application/dtab'
export const TEXT_TYPE = 'text/plain'

/** The media types of an Accept header, in order: parameters dropped, trimmed, lower-cased. */
export function acceptMediaTypes(accept: string | undefined): string[] {
  if (accept === undefined) return []
  const out: string[] = []
  for (const part of accept.split(',')) {
    const type = part.split(';', 1)[0]!.trim().toLowerCase()
    if (type !== '') out.push(type)
  }
  return out
}

/** The media type of a Content-Type header (`application/json;charset=UTF-8` → `application/json`). */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase()
  return type === '' ? undefined : type
}

export function codecFor(mediaType: string | undefined): DtabCodec | undefined {
  if (mediaType === JSON_TYPE) return 'json'
  if (mediaType === DTAB_TYPE || mediaType === TEXT_TYPE) return 'text'
  return undefined
}

/** The codec a GET answers with, and the Content-Type it sends. */
export function negotiate(accept: string | undefined): { mediaType: string; codec: DtabCodec } {
  for (const mediaType of acceptMediaTypes(accept)) {
    const codec = codecFor(mediaType)
    if (codec !== undefined) return { mediaType, codec }
  }
  return { mediaType: JSON_TYPE, codec: 'json' }
}

/** A dtab as a response body or watch item: the codec's form and a newline. */
export function writeDtab(dtab: Dtab, codec: DtabCodec): string {
  return `${codec === 'json' ? JSON.stringify(Dtab.toJson(dtab)) : Dtab.show(dtab)}\n`
}

/** The body is not JSON at all. */
export class InvalidJsonError extends Error {
  override readonly name = 'InvalidJsonError'
}

/** A JSON dtab with `null` entries: namerd answers it with its own text. */
export class NullDentriesError extends Error {
  override readonly name = 'NullDentriesError'
  constructor(readonly body: string) {
    super(`The dtab contains invalid dentries: ${body}`)
  }
}

export type DtabBodyError = DtabParseError | DtabJsonError | InvalidJsonError | NullDentriesError

/**
 * Reads a request body in `codec`. Throws DtabParseError (text that does not parse, with
 * Finagle's message and the offset), InvalidJsonError, NullDentriesError or DtabJsonError.
 */
export function readDtab(body: Buffer | undefined, codec: DtabCodec): Dtab {
  const text = body === undefined ? '' : body.toString('utf8')
  if (codec === 'text') return Dtab.read(text)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new InvalidJsonError(`the body is not JSON: ${err instanceof Error ? err.message : err}`)
  }
  if (Array.isArray(value) && value.includes(null)) throw new NullDentriesError(text)
  return Dtab.fromJson(value)
}
