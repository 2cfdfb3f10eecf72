// The optional request log (Linkerd's `httpAccessLog`), one line per request in the Apache
// combined format that log tools already parse, plus the time taken in milliseconds. Writes
// are buffered (sonic-boom, through pino's destination) so logging never blocks a request.
import { destination } from 'pino'
import { type HeaderMap, joined } from '../http1/head.js'
import type { Transaction } from '../http1/server.js'

/** What an h2 line reads of its stream (h2/h2-headers.ts's H2Request). */
export interface H2LogRequest {
  readonly method: string
  readonly url: string
  readonly headers: HeaderMap
}

type Destination = ReturnType<typeof destination>

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const pad = (n: number) => (n < 10 ? `0${n}` : String(n))

/** `23/Nov/2026:10:04:05 +0000` */
export function clfDate(d: Date): string {
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
}

const quote = (s: string | undefined) => (s === undefined ? '"-"' : JSON.stringify(s))

export class AccessLog {
  private readonly out: Destination

  /** `target` is a file path (appended to), or `-` for standard output. */
  constructor(target: string) {
    this.out = destination(
      target === '-'
        ? { dest: 1, sync: false }
        : { dest: target, sync: false, mkdir: true, append: true },
    )
  }

  /** `size`: the response body's bytes (a chunked body's data, without its framing). */
  write(tx: Transaction, status: number | undefined, ms: number): void {
    const size = tx.headersSent ? String(tx.bodyBytes) : '-'
    this.out.write(
      `${tx.remoteAddress ?? '-'} - - [${clfDate(new Date())}] "${tx.method} ${tx.url} HTTP/${tx.httpVersion}" ${status ?? '-'} ${size} ${quote(joined(tx.headers.referer))} ${quote(joined(tx.headers['user-agent']))} ${ms.toFixed(1)}\n`,
    )
  }

  /**
   * One h2 stream's line, in the same format (`HTTP/2.0`). `size`: the response body's bytes
   * sent to the client (DATA payload), `-` when no response began.
   */
  writeH2(
    remote: string | undefined,
    req: H2LogRequest,
    status: number | undefined,
    size: number | undefined,
    ms: number,
  ): void {
    this.out.write(
      `${remote ?? '-'} - - [${clfDate(new Date())}] "${req.method} ${req.url} HTTP/2.0" ${status ?? '-'} ${size ?? '-'} ${quote(joined(req.headers.referer))} ${quote(joined(req.headers['user-agent']))} ${ms.toFixed(1)}\n`,
    )
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.out.flush()
      this.out.end()
      this.out.once('close', () => resolve())
      this.out.once('error', () => resolve())
    })
  }
}
