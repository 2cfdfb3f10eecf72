// The optional request log (Linkerd's `httpAccessLog`), one line per request in the Apache
// combined format that log tools already parse, plus the time taken in milliseconds. Writes
// are buffered (sonic-boom, through pino's destination) so logging never blocks a request.
import type { IncomingMessage } from 'node:http'
import { destination } from 'pino'

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

  write(req: IncomingMessage, status: number | undefined, ms: number): void {
    const res = (req as IncomingMessage & { res?: { getHeader(n: string): unknown } }).res
    const length = res?.getHeader('content-length')
    this.out.write(
      `${req.socket.remoteAddress ?? '-'} - - [${clfDate(new Date())}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status ?? '-'} ${length ?? '-'} ${quote(header(req, 'referer'))} ${quote(header(req, 'user-agent'))} ${ms.toFixed(1)}\n`,
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

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}
