// Bearer tokens with two scopes. A `write` token can also read. The rule: a scope is guarded
// once some token grants it, so
//   - with no tokens at all, everything is open, as in namerd (allowed on loopback only, or
//     with --insecure);
//   - writes need a `write` token as soon as one exists;
//   - reads need a token as soon as any exists, unless `anonymousReads` is set (Linkerd 1's
//     namerd interpreters cannot send a token, so a mesh usually wants open reads).
// A missing or unknown token is 401, a token without the scope 403; both carry
// `WWW-Authenticate: Bearer` (RFC 6750).
import { createHash, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import { ApiError } from './errors.js'

export type Scope = 'read' | 'write'

export interface TokenSpec {
  /** Who holds it; recorded in history as the author of writes. */
  readonly name: string
  readonly token: string
  readonly scope: Scope
}

export interface Principal {
  readonly name: string
  readonly scope: Scope
}

export interface AuthOptions {
  readonly tokens: readonly TokenSpec[]
  readonly anonymousReads?: boolean
}

const REALM = 'namerd'

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

export class Auth {
  readonly #tokens: readonly { readonly digest: Buffer; readonly principal: Principal }[]
  readonly readGuarded: boolean
  readonly writeGuarded: boolean

  constructor(options: AuthOptions) {
    this.#tokens = options.tokens.map((t) => ({
      digest: digest(t.token),
      principal: { name: t.name, scope: t.scope },
    }))
    this.writeGuarded = options.tokens.some((t) => t.scope === 'write')
    this.readGuarded = options.tokens.length > 0 && !(options.anonymousReads ?? false)
  }

  get enabled(): boolean {
    return this.#tokens.length > 0
  }

  /**
   * Who is calling, for a route that needs `scope` (or none). Throws a 401 or 403 ApiError.
   * Returns null for an anonymous call where that is allowed.
   */
  authorize(authorization: string | undefined, scope: Scope | null): Principal | null {
    if (!this.enabled) return null
    const guarded =
      scope === 'write' ? this.writeGuarded : scope === 'read' ? this.readGuarded : false
    if (authorization === undefined) {
      if (!guarded) return null
      throw unauthorized('a bearer token is required: send "Authorization: Bearer <token>"', null)
    }
    // A token that is sent is checked even where none is needed, so a wrong one is noticed.
    const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(authorization)
    if (!match) {
      throw unauthorized('the Authorization header must be "Bearer <token>"', 'invalid_request')
    }
    const principal = this.#lookup(match[1]!)
    if (principal === null) throw unauthorized('the bearer token is not valid', 'invalid_token')
    if (scope === 'write' && principal.scope !== 'write') {
      throw new ApiError(403, 'forbidden', `the token "${principal.name}" may read but not write`, {
        headers: {
          'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="write"`,
        },
      })
    }
    return principal
  }

  #lookup(token: string): Principal | null {
    const d = digest(token)
    let found: Principal | null = null
    // Compare with every token, in constant time each, so timing tells nothing.
    for (const t of this.#tokens) if (timingSafeEqual(t.digest, d)) found ??= t.principal
    return found
  }
}

function unauthorized(message: string, error: string | null): ApiError {
  const challenge =
    error === null ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="${error}"`
  return new ApiError(401, 'unauthorized', message, { headers: { 'www-authenticate': challenge } })
}

/** `localhost`, 127.0.0.0/8 and ::1 (also as ::ffff:127.x). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.')
  return false
}

/**
 * Why namerd must not start on `host` with these tokens, or null if it may. Off loopback, an
 * unguarded write API lets anyone on the network reroute all traffic.
 */
export function exposureProblem(host: string, auth: Auth, insecure: boolean): string | null {
  if (insecure || isLoopback(host) || auth.writeGuarded) return null
  return (
    `refusing to serve on ${host}, which is not a loopback address, without a write token: ` +
    'anyone who can reach it could rewrite routing. Configure a token with scope "write" ' +
    '(SWITCHYARD_NAMERD_TOKENS=<name>:write:<token>, or auth.tokens in the config file), ' +
    'or pass --insecure if the network is trusted.'
  )
}
