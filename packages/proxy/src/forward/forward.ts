// Sends one request to an endpoint of a concrete client and streams the response back, on the
// proxy's own HTTP/1.1 connections (src/http1). Bodies pass through under backpressure and are
// never buffered; retries, the deadline, upgrades and client aborts are handled below this
// entry (exchange.ts: the attempts and their retries; attempt.ts: one endpoint's connection
// and response; tunnel.ts: an accepted upgrade), so the router only maps the typed result to
// a status.
//
// The timeout covers the wait for the response head, retries included (as Finagle's timeout
// for a streamed response); a response body streams for as long as it lasts.
import type { Client } from '../balance/client.js'
import type { HeaderMap } from '../http1/head.js'
import { headerLines } from '../http1/serialize.js'
import type { Transaction } from '../http1/server.js'
import { DEADLINE_HEADER, effectiveDeadline } from './deadline.js'
import { Exchange, type ForwardOptions } from './exchange.js'
import { stripHopByHop } from './hop-by-hop.js'
import { type ForwardResult, failure } from './result.js'

export type { ForwardOptions } from './exchange.js'
export type { ForwardErrorKind, ForwardFailure, ForwardResult } from './result.js'

/** Streams `tx`'s request to one endpoint of `client` and the response back. Never throws. */
export function forward(
  client: Client,
  tx: Transaction,
  options: ForwardOptions,
): Promise<ForwardResult> {
  options.budget.deposit()
  const headers = stripHopByHop(options.headers, tx.upgrade)
  const deadline = effectiveDeadline(headers, options.timeoutMs, Date.now())
  if (deadline.header !== undefined) headers[DEADLINE_HEADER] = deadline.header
  if (deadline.timeoutMs !== undefined && deadline.timeoutMs <= 0) {
    return Promise.resolve(failure('timeout', 'deadline already expired', undefined, 0, false))
  }
  return new Exchange(client, tx, options, requestHead(tx, options.path, headers)).run(
    deadline.timeoutMs,
  )
}

/** The outbound head: an HTTP/1.0 request goes on as one, so its answer suits its client. */
function requestHead(tx: Transaction, path: string, headers: HeaderMap): string {
  if (headers['content-length'] !== undefined) delete headers['content-length']
  if (headers['transfer-encoding'] !== undefined) delete headers['transfer-encoding']
  let text = `${tx.method} ${path} HTTP/${tx.httpVersion}\r\n${headerLines(headers)}`
  if (headers.host === undefined) text += 'host: localhost\r\n'
  // The framing is written from what the proxy parsed, never copied: one Content-Length
  // (`1, 1` becomes `1`), and nothing a header could have removed on the way.
  const framing = tx.framing
  if (framing.kind === 'chunked') text += 'transfer-encoding: chunked\r\n'
  else if (framing.kind === 'length') text += `content-length: ${framing.length}\r\n`
  else if (tx.headers['content-length'] !== undefined) text += 'content-length: 0\r\n'
  return `${text}\r\n`
}
