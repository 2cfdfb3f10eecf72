// What the proxy does with each header it does not simply pass on, on both sides (requests and
// responses, the fast response scan and the full path), and the one reading of `Connection`.
//
//   drop     hop-by-hop (RFC 9110 §7.6.1, §11.7): meaningful for one connection only, never
//            forwarded. Connection and Upgrade go on with an upgrade request; `TE: trailers`
//            goes on with a request.
//   framing  the body's framing (RFC 9112 §6): written by the proxy from what it parsed, never
//            copied. Transfer-Encoding is hop by hop as well (RFC 9112 §6.1).
//   replace  request headers the router consumes or writes its own of (namerd-wire.md §4:
//            the overrides fold into one l5d-ctx-dtab; Via gains the proxy's hop). On a
//            response they pass.
//   pass     everything else, and any name not in the table.

import { trimOws } from './head.js'

export type HeaderRole = 'drop' | 'framing' | 'replace' | 'pass'

/** Lower-case header names and their role; a name not here passes. */
export const HEADER_ROLES: ReadonlyMap<string, Exclude<HeaderRole, 'pass'>> = new Map([
  ['connection', 'drop'],
  ['keep-alive', 'drop'],
  ['proxy-connection', 'drop'],
  ['proxy-authenticate', 'drop'],
  ['proxy-authorization', 'drop'],
  ['te', 'drop'],
  ['trailer', 'drop'],
  ['upgrade', 'drop'],
  ['content-length', 'framing'],
  ['transfer-encoding', 'framing'],
  ['via', 'replace'],
  ['l5d-dtab', 'replace'],
  ['l5d-ctx-dtab', 'replace'],
  ['l5d-dst-service', 'replace'],
  ['l5d-dst-client', 'replace'],
  ['l5d-dst-residual', 'replace'],
  ['l5d-reqid', 'replace'],
  ['l5d-sample', 'replace'],
])

/** The role of a lower-case header name. */
export function roleOf(name: string): HeaderRole {
  return HEADER_ROLES.get(name) ?? 'pass'
}

/** Headers no hop may pass on: the drop roles, and Transfer-Encoding. */
export const HOP_BY_HOP: readonly string[] = Object.freeze([
  ...[...HEADER_ROLES].filter(([, role]) => role === 'drop').map(([name]) => name),
  'transfer-encoding',
])

/**
 * Headers a `Connection` header may name but never removes: they frame and address the
 * message. Letting a client (or a backend) drop `Content-Length` this way would make the next
 * hop read the body as further messages: request smuggling.
 */
const NEVER_NAMED: ReadonlySet<string> = new Set([
  ...[...HEADER_ROLES].filter(([, role]) => role === 'framing').map(([name]) => name),
  'host',
])

/** What a Connection header says (RFC 9110 §7.6.1, RFC 9112 §9.3, §9.6). */
export interface ConnectionTokens {
  /** `close`: the connection ends after this message. */
  readonly close: boolean
  /** `keep-alive`: an HTTP/1.0 message asks to keep the connection. */
  readonly keepAlive: boolean
  /** `upgrade`: the Upgrade header is meant for this hop (RFC 9110 §7.8). */
  readonly upgrade: boolean
  /**
   * The headers it names, lower-cased, to be dropped with it; never one that frames or
   * addresses the message (NEVER_NAMED). A lone `keep-alive`, `close` or `upgrade` names
   * none here: the headers of those names are hop by hop already.
   */
  readonly named: readonly string[]
}

const NONE: readonly string[] = Object.freeze([])
const tokens = (close: boolean, keepAlive: boolean, upgrade: boolean): ConnectionTokens =>
  Object.freeze({ close, keepAlive, upgrade, named: NONE })
const ABSENT = tokens(false, false, false)
const CLOSE = tokens(true, false, false)
const KEEP_ALIVE = tokens(false, true, false)
const UPGRADE = tokens(false, false, true)

/**
 * The tokens of a Connection header (every line of it, as one comma list). The usual values,
 * `keep-alive`, `close` or `upgrade` alone, cost no allocation.
 */
export function connectionTokens(value: string | string[] | undefined): ConnectionTokens {
  if (value === undefined) return ABSENT
  const text = Array.isArray(value) ? value.join(',') : value
  if (!text.includes(',')) {
    const v = trimOws(text).toLowerCase()
    if (v === 'keep-alive') return KEEP_ALIVE
    if (v === 'close') return CLOSE
    if (v === 'upgrade') return UPGRADE
    if (v === '') return ABSENT
  }
  let close = false
  let keepAlive = false
  let upgrade = false
  const named: string[] = []
  for (const t of text.split(',')) {
    const name = trimOws(t).toLowerCase()
    if (name === 'close') close = true
    else if (name === 'keep-alive') keepAlive = true
    else if (name === 'upgrade') upgrade = true
    if (name !== '' && !NEVER_NAMED.has(name)) named.push(name)
  }
  return { close, keepAlive, upgrade, named }
}
