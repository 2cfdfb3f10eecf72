// The page's one way to talk to namerd: its HTTP API, relative to where the page was served
// (namerd serves both), with the session's token, each JSON answer checked by its wire schema.
import type { z } from 'zod'
import { ApiError, errorOf } from './errors.js'

export interface Versioned {
  /** The dtab as namerd stored it (`Dtab.show`, one line). */
  readonly dtab: string
  /** Its version, the ETag (what If-Match takes). */
  readonly version: string
}

export interface ApiOptions {
  /** The API's root, e.g. `` (the page's origin) or `http://127.0.0.1:4180`. */
  readonly base?: string
  readonly token: () => string | null
  /** Told of every 401, so the page can ask for a token. */
  readonly onUnauthorized?: (err: ApiError) => void
}

export interface SendOptions {
  readonly method?: string
  readonly body?: string
  readonly contentType?: string
  readonly headers?: Record<string, string>
  readonly signal?: AbortSignal
}

export class Api {
  constructor(private readonly options: ApiOptions) {}

  url(path: string): string {
    return `${this.options.base ?? ''}${path}`
  }

  /** One request; resolves to the answer when it is 2xx, else rejects with an ApiError. */
  async send(path: string, options: SendOptions = {}): Promise<Response> {
    const method = options.method ?? 'GET'
    const headers: Record<string, string> = { ...options.headers }
    const token = this.options.token()
    if (token !== null) headers.authorization = `Bearer ${token}`
    if (options.contentType !== undefined) headers['content-type'] = options.contentType
    let res: Response
    try {
      res = await fetch(this.url(path), {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: options.body }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        cache: 'no-store',
      })
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      throw new ApiError(
        'network',
        0,
        'unreachable',
        `${method} ${path}: namerd did not answer (${err instanceof Error ? err.message : String(err)}); is it running?`,
      )
    }
    if (res.ok) return res
    const err = await errorOf(res, `${method} ${path}`)
    if (res.status === 401) this.options.onUnauthorized?.(err)
    throw err
  }

  /** GET (or another method) a JSON answer, checked against `schema`. */
  async json<S extends z.ZodType>(
    path: string,
    schema: S,
    options: SendOptions = {},
  ): Promise<z.output<S>> {
    const res = await this.send(path, {
      ...options,
      headers: { accept: 'application/json', ...options.headers },
    })
    const text = await res.text()
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      throw new ApiError(
        'unexpected',
        res.status,
        'bad_answer',
        `${path}: namerd's answer is not JSON`,
      )
    }
    const parsed = schema.safeParse(value)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new ApiError(
        'unexpected',
        res.status,
        'bad_answer',
        `${path}: namerd's answer is not what this page expects (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); is the page from the same namerd version?`,
      )
    }
    return parsed.data
  }

  /** A namespace's dtab in its stored text form, with its version. */
  async dtab(ns: string, signal?: AbortSignal): Promise<Versioned> {
    const res = await this.send(`/api/1/dtabs/${encodeURIComponent(ns)}`, {
      headers: { accept: 'application/dtab' },
      ...(signal === undefined ? {} : { signal }),
    })
    return { dtab: (await res.text()).replace(/\n$/, ''), version: res.headers.get('etag') ?? '' }
  }

  /** A compare-and-swap of a namespace's dtab; resolves to the new version. 412: it moved on. */
  async putDtab(ns: string, dtab: string, ifMatch: string): Promise<string> {
    const res = await this.send(`/api/1/dtabs/${encodeURIComponent(ns)}`, {
      method: 'PUT',
      body: dtab,
      contentType: 'application/dtab',
      headers: { 'if-match': ifMatch },
    })
    return res.headers.get('etag') ?? ''
  }

  /** Creates a namespace with its first dtab; 409 when it exists. */
  async createDtab(ns: string, dtab: string): Promise<void> {
    await this.send(`/api/1/dtabs/${encodeURIComponent(ns)}`, {
      method: 'POST',
      body: dtab,
      contentType: 'application/dtab',
    })
  }
}
