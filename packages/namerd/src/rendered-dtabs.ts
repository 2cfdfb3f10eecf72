// The bodies of dtab GETs, kept per namespace for its latest version: a dtab is serialised once
// per version and codec, not once per request. A version names one
// dtab for good (it is a compare-and-swap token: a store that reused one for another dtab would
// let a stale If-Match through), so a body cached under it cannot go stale; a new version
// replaces the entry.
import type { Dtab } from '@switchyard/dtab'
import { type VersionedDtab, versionToETag } from '@switchyard/store'
import { type DtabCodec, writeDtab } from './codec.js'

/** One version of a namespace's dtab, with its bodies rendered on first use. */
export class RenderedDtab {
  #json: Buffer | undefined
  #text: Buffer | undefined

  constructor(
    readonly dtab: Dtab,
    /** The version, as sent in the ETag header. */
    readonly etag: string,
  ) {}

  body(codec: DtabCodec): Buffer {
    if (codec === 'json') {
      this.#json ??= Buffer.from(writeDtab(this.dtab, codec), 'utf8')
      return this.#json
    }
    this.#text ??= Buffer.from(writeDtab(this.dtab, codec), 'utf8')
    return this.#text
  }
}

/** Beyond this many namespaces the cache starts over: memory stays bounded. */
const MAX_NAMESPACES = 10_000

export class RenderedDtabs {
  readonly #latest = new Map<string, RenderedDtab>()

  /** The rendered form of what the store returned, reused while the version stays the same. */
  of(found: VersionedDtab): RenderedDtab {
    const etag = versionToETag(found.version)
    const cached = this.#latest.get(found.namespace)
    if (cached?.etag === etag) return cached
    const rendered = new RenderedDtab(found.dtab, etag)
    if (this.#latest.size >= MAX_NAMESPACES) this.#latest.clear()
    this.#latest.set(found.namespace, rendered)
    return rendered
  }
}
