// Message heads as text, ready for one socket write.
import { STATUS_CODES } from 'node:http'
import type { HeaderMap } from './head.js'

/** `name: value\r\n` for each header (each value of a repeated one). */
export function headerLines(headers: HeaderMap): string {
  let text = ''
  for (const name in headers) {
    const v = headers[name]
    if (v === undefined) continue
    if (typeof v === 'string') text += `${name}: ${v}\r\n`
    else for (const x of v) text += `${name}: ${x}\r\n`
  }
  return text
}

export function statusLine(status: number, reason?: string): string {
  return `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || 'Unknown'}\r\n`
}
