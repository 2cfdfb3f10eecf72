// namerd's HTTP API as namerctl uses it (namerd-wire.md §1, docs/namerd.md). Every response
// body is checked with a zod schema; every failure becomes a CliError that says what to do.
import { STATUS_CODES } from 'node:http'
import type { z } from 'zod'
import { CliError, HttpError } from './errors.js'
import { notNamerd, plainHttpError, withBaseUrlHint, withNamesAsTyped } from './request-hints.js'
import {
  DelegateNode,
  type DentryJson,
  DtabJson,
  ErrorBody,
  History,
  type HistoryEntry,
  NamespaceList,
  ProxyStatus,
  Watchers,
} from './schemas.js'
import { type Fetch, httpsFetch, loadTls, type TlsFiles, tlsProblem } from './tls.js'
import { WHY_HEADER, whyHeaderValue } from './why.js'

export const JSON_TYPE = 'application/json'
export const DTAB_TYPE = 'application/dtab'

/** A dtab write's body: JSON dentries, or dtab text sent as it was written. */
export interface DtabBody {
  readonly contentType: typeof JSON_TYPE | typeof DTAB_TYPE
  readonly text: string
}

export interface ClientOptions {
  readonly token?: string | undefined
  /** Per request; namerd answers quickly, so a long wait means it is unreachable. */
  readonly timeoutMs?: number
  /** An https namerd's CA and a client certificate (tls.ts); read when the client is made. */
  readonly tls?: TlsFiles
  /** Why the writes are made (checked, why.ts): sent as l5d-why on every dtab write. */
  readonly why?: string | undefined
}

export interface RequestOptions {
  accept?: string
  'content-type'?: string
  'if-match'?: string | undefined
  body?: string
  query?: Record<string, string | undefined>
  /** A response that streams (a watch): no timeout; `signal` ends it. */
  stream?: boolean
  signal?: AbortSignal
}

export interface Versioned {
  /** The ETag, exactly as namerd sent it. */
  readonly version: string
  readonly dtab: DentryJson[]
}

export class NamerdClient {
  readonly #base: URL
  readonly #token: string | undefined
  readonly #timeoutMs: number
  readonly #tls: TlsFiles | undefined
  readonly #why: string | undefined
  readonly #fetch: Fetch

  constructor(base: URL, options: ClientOptions = {}) {
    this.#base = base
    this.#token = options.token
    this.#timeoutMs = options.timeoutMs ?? 30_000
    this.#tls = options.tls
    this.#why = options.why
    const material = options.tls === undefined ? undefined : loadTls(options.tls)
    this.#fetch = material === undefined ? fetch : httpsFetch(material)
  }

  get baseUrl(): string {
    return this.#base.href.replace(/\/$/, '')
  }

  /** `<base path>/api/1/...`, with a `/` inserted when the base path lacks one (as namerctl). */
  url(path: string, query: Record<string, string | undefined> = {}): URL {
    const basePath = this.#base.pathname.endsWith('/')
      ? this.#base.pathname.slice(0, -1)
      : this.#base.pathname
    const url = new URL(this.#base.href)
    url.pathname = `${basePath}${path}`
    url.search = ''
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v)
    return url
  }

  async list(): Promise<string[]> {
    const res = await this.#request('GET', '/api/1/dtabs', { accept: JSON_TYPE })
    return parseJson(NamespaceList, await res.text(), 'the namespace list')
  }

  async get(ns: string): Promise<Versioned> {
    const res = await this.#request('GET', dtabPath(ns), { accept: JSON_TYPE })
    const dtab = parseJson(DtabJson, await res.text(), `the dtab of ${ns}`)
    return { version: res.headers.get('etag') ?? '', dtab }
  }

  /** Returns the new version, when namerd sends one (ours does; Linkerd's did not). */
  async create(ns: string, body: DtabBody): Promise<string | null> {
    const res = await this.#request('POST', dtabPath(ns), {
      'content-type': body.contentType,
      body: body.text,
    })
    return res.headers.get('etag')
  }

  /** PUT: with `ifMatch`, a compare-and-swap (412 if the version moved on); without, a replace. */
  async update(ns: string, body: DtabBody, ifMatch?: string): Promise<string | null> {
    const res = await this.#request('PUT', dtabPath(ns), {
      'content-type': body.contentType,
      'if-match': ifMatch,
      body: body.text,
    })
    return res.headers.get('etag')
  }

  async delete(ns: string, ifMatch?: string): Promise<void> {
    await this.#request('DELETE', dtabPath(ns), { 'if-match': ifMatch })
  }

  async history(ns: string, limit?: number): Promise<HistoryEntry[]> {
    const res = await this.#request('GET', `${dtabPath(ns)}/history`, {
      accept: JSON_TYPE,
      query: { limit: limit === undefined ? undefined : String(limit) },
    })
    return parseJson(History, await res.text(), `the history of ${ns}`)
  }

  /**
   * Brings back the dtab of a history version as a new version, if `ifMatch` is current. With
   * no `ifMatch`, namerd only re-creates a deleted namespace (428 if it exists).
   */
  async restore(ns: string, version: string, ifMatch: string | undefined): Promise<string | null> {
    const res = await this.#request('POST', `${dtabPath(ns)}/restore`, {
      'content-type': JSON_TYPE,
      'if-match': ifMatch,
      body: JSON.stringify({ version }),
    })
    return res.headers.get('etag')
  }

  /** The delegation tree, parsed, and the raw JSON (whose weights read `1.0`, as namerd's). */
  async delegate(
    ns: string,
    path: string,
    extraDtab?: string,
  ): Promise<{ tree: DelegateNode; raw: string }> {
    const res = await this.#request('GET', `/api/1/delegate/${ns}`, {
      accept: JSON_TYPE,
      query: { path, dtab: extraDtab },
    })
    const raw = await res.text()
    return { tree: parseJson(DelegateNode, raw, 'the delegation tree'), raw }
  }

  /**
   * The delegation tree of `path` through `dtab` alone (POST /api/1/delegate, Linkerd's
   * DelegationRequest with no namespace): how a dtab not yet written would route a name.
   */
  async delegateThrough(dtab: string, path: string): Promise<DelegateNode> {
    const res = await this.#request('POST', '/api/1/delegate', {
      accept: JSON_TYPE,
      'content-type': JSON_TYPE,
      body: JSON.stringify({ dtab, path }),
    })
    return parseJson(DelegateNode, await res.text(), 'the delegation tree')
  }

  async watchers(ns: string): Promise<Watchers> {
    const res = await this.#request('GET', `${dtabPath(ns)}/watchers`, { accept: JSON_TYPE })
    return parseJson(Watchers, await res.text(), `the watchers of ${ns}`)
  }

  /**
   * What each proxy watching `ns` runs, read by namerd from the proxy's admin (GET
   * /api/1/proxy-status/<ns>); null from a namerd without that route (a 404 without namerd's
   * namespace_not_found code), so the caller keeps to the watchers listing.
   */
  async proxyStatus(ns: string): Promise<ProxyStatus | null> {
    try {
      const res = await this.#request('GET', `/api/1/proxy-status/${ns}`, { accept: JSON_TYPE })
      return parseJson(ProxyStatus, await res.text(), `the proxy status of ${ns}`)
    } catch (err) {
      // A 404 naming no namespace: the route is missing. A plain 404 page (namerctl's "does not
      // look like namerd") here means the same: the watchers listing just answered as namerd.
      if (err instanceof HttpError && err.status === 404 && err.apiCode !== 'namespace_not_found')
        return null
      if (!(err instanceof HttpError) && err instanceof CliError && err.code === 'invalid_response')
        return null
      throw err
    }
  }

  /**
   * A request of a command group with its own calls (rollouts): namerd's failures become the
   * same CliErrors as here. `stream`: no timeout (a watch), `signal` ends it instead.
   */
  request(method: string, path: string, opts: RequestOptions): Promise<Response> {
    return this.#request(method, path, opts)
  }

  async #request(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': 'namerctl (switchyard)' }
    if (opts.accept !== undefined) headers.accept = opts.accept
    if (opts['content-type'] !== undefined) headers['content-type'] = opts['content-type']
    if (opts['if-match'] !== undefined && opts['if-match'] !== '') {
      headers['if-match'] = opts['if-match']
    }
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`
    // The dtab writes record it (namerd's why-header.ts); other routes would ignore it.
    if (this.#why !== undefined && method !== 'GET' && path.startsWith('/api/1/dtabs/'))
      headers[WHY_HEADER] = whyHeaderValue(this.#why)
    const url = this.url(path, opts.query)
    let res: Response
    try {
      res = await this.#fetch(url, {
        method,
        headers,
        body: opts.body,
        signal:
          opts.stream === true
            ? (opts.signal ?? null)
            : AbortSignal.any([
                AbortSignal.timeout(this.#timeoutMs),
                ...(opts.signal ? [opts.signal] : []),
              ]),
      })
    } catch (err) {
      if (err instanceof CliError) throw err
      throw (
        tlsProblem(this.#base, err, this.#tls) ??
        plainHttpError(this.#base, err) ??
        unreachable(this.baseUrl, err)
      )
    }
    if (res.ok) return res
    const err = notNamerd(await httpError(res, method, this.#token !== undefined), this.#base)
    if (!(err instanceof HttpError)) throw err
    throw withBaseUrlHint(withNamesAsTyped(err), this.#base)
  }
}

function dtabPath(ns: string): string {
  // namerd takes the namespace raw from the URL; namerctl sent it unescaped, and so do we.
  return `/api/1/dtabs/${ns}`
}

function unreachable(base: string, err: unknown): CliError {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err
  const why =
    cause instanceof Error
      ? ((cause as NodeJS.ErrnoException).code ?? cause.name) === 'TimeoutError'
        ? 'no answer in time'
        : cause.message
      : String(cause)
  return new CliError('network', `cannot reach namerd at ${base}: ${why}`, [
    'is namerd running there? Check --base-url, NAMERCTL_BASE_URL or .namerctl.yaml.',
  ])
}

async function httpError(res: Response, method: string, sentToken: boolean): Promise<HttpError> {
  const text = await res.text().catch(() => '')
  let apiCode: string | null = null
  let apiMessage: string | null = text.trim() === '' ? null : text.trim()
  try {
    const body = ErrorBody.safeParse(JSON.parse(text))
    if (body.success) {
      apiCode = body.data.error
      apiMessage = body.data.message
    }
  } catch {
    // a text body (namerd's own texts), kept as it is
  }
  const statusText = res.statusText || STATUS_CODES[res.status] || ''
  const details: string[] = []
  if (apiMessage !== null) details.push(`namerd: ${apiMessage}`)
  const hint = hintFor(res.status, method, sentToken, apiMessage)
  if (hint !== undefined) details.push(hint)
  return new HttpError(res.status, statusText, apiCode, apiMessage, details)
}

/**
 * namerd's message already says what to do. namerd answers every failure of its store with 503
 * `store_unavailable` (packages/namerd/src/errors.ts passes the store's message on), an RBAC
 * refusal or a missing CRD as much as an API server that is away, so the code cannot tell a
 * failure that waiting fixes from one it never will; the message can: the k8s store's (from
 * @switchyard/kube) end with the fix (`grant it in deploy/base/rbac.yaml`, `kubectl apply -k
 * deploy/crd`, `create it (kubectl create namespace ...)`, `check the kubeconfig's user`), and
 * namerd's own limits say `retry later`. "Retry in a moment" after those is wrong or twice said.
 */
const SAYS_WHAT_TO_DO =
  /\bkubectl\b|\bgrant it\b|\bcheck the\b|\bcreate it\b|\buse another\b|\bis the cluster too old\b|\bretry\b/i

function hintFor(
  status: number,
  method: string,
  sentToken: boolean,
  apiMessage: string | null,
): string | undefined {
  switch (status) {
    case 401:
      return sentToken
        ? 'the token was refused: check --token or NAMERCTL_TOKEN'
        : 'namerd wants a token: pass --token <token> or set NAMERCTL_TOKEN'
    case 403:
      return 'the token may not do this; writes need a token with scope "write"'
    case 409:
      return method === 'POST'
        ? 'it already exists: use `namerctl dtab update` to change it'
        : undefined
    case 412:
      return 'someone else changed it since it was read. Read it again (namerctl dtab get) and retry; `namerctl shift` and `namerctl dtab edit` re-read for you.'
    case 503:
      if (apiMessage !== null && SAYS_WHAT_TO_DO.test(apiMessage)) return undefined
      return 'namerd is busy or its store is unavailable; retry in a moment'
    default:
      return undefined
  }
}

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new CliError('invalid_response', `namerd sent ${what} as something other than JSON`, [
      text.slice(0, 200),
    ])
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    throw new CliError('invalid_response', `namerd sent ${what} in an unexpected shape`, [
      ...parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`),
      'is the base URL a namerd?',
    ])
  }
  return parsed.data
}
