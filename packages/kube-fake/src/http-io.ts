// Reading request bodies within a limit and writing JSON, Status and plain-text answers.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Json } from './json.js'
import { StatusError } from './status.js'

/** kube-apiserver's default limit for a JSON request body (3 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024

export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0')
    const tooLarge = () =>
      new StatusError({
        code: 413,
        reason: 'RequestEntityTooLarge',
        message: `Request entity too large: limit is ${limit}`,
      })
    if (declared > limit) {
      reject(tooLarge())
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > limit) {
        done = true
        chunks.length = 0
        reject(tooLarge())
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (done) return
      done = true
      resolve(Buffer.concat(chunks).toString('utf8'))
    })
    req.on('error', (err) => {
      if (done) return
      done = true
      reject(err)
    })
  })
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: Json,
  warnings: readonly string[] = [],
): void {
  if (res.headersSent || res.destroyed) return
  const text = `${JSON.stringify(body)}\n`
  const headers: Record<string, string | string[]> = {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': String(Buffer.byteLength(text)),
  }
  // One Warning header per warning, as Go's Header().Add writes them.
  if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`)
  res.writeHead(code, headers)
  res.end(text)
}

export function sendStatus(res: ServerResponse, err: StatusError): void {
  sendJson(res, err.code, err.body)
}

/** Go's end-of-chain `404 page not found` (text/plain), not a Status (reference §2.3). */
export function sendPlainNotFound(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return
  const text = '404 page not found\n'
  res.writeHead(404, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': String(Buffer.byteLength(text)),
  })
  res.end(text)
}
