// A gRPC backend on node's http2 module itself, for what grpc-js's server API cannot do on
// purpose: reset a stream mid-response with a chosen HTTP/2 error code (the backend cancelling
// a call), after sending `messages` length-prefixed JSON messages.
import { createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2'

export interface RawBackend {
  readonly port: number
  /** Each stream's :path, in arrival order. */
  readonly paths: string[]
  close(): Promise<void>
}

/** gRPC's message framing: a compression flag byte (0), a 4-byte big-endian length, the bytes. */
export function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message))
  const head = Buffer.alloc(5)
  head.writeUInt32BE(body.length, 1)
  return Buffer.concat([head, body])
}

/**
 * Answers every stream with `:status 200`, `content-type: application/grpc`, `messages`
 * messages, then RST_STREAM with `rstCode` (after `delayMs`, so the messages arrive first).
 */
export async function resettingBackend(
  messages: readonly unknown[],
  rstCode: number,
  delayMs = 50,
): Promise<RawBackend> {
  const paths: string[] = []
  const server: Http2Server = createServer()
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    paths.push(String(headers[':path']))
    stream.on('error', () => {})
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' })
    for (const m of messages) stream.write(frame(m))
    setTimeout(() => stream.close(rstCode), delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    port: address.port,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // close() waits for sessions; a test's leftover session must not hold it.
        setTimeout(resolve, 200).unref()
      }),
  }
}

export interface StallingBackend extends RawBackend {
  /** Starts reading every stream's request body (until then nothing is read). */
  drain(): void
  /** Request body bytes read so far. */
  readonly received: () => number
}

/**
 * Answers every stream's headers and then reads nothing of its request body until `drain()`:
 * a backend slower than its client, whose flow-control windows must hold the client back.
 */
export async function stallingBackend(): Promise<StallingBackend> {
  const paths: string[] = []
  const streams: ServerHttp2Stream[] = []
  let received = 0
  let draining = false
  const server: Http2Server = createServer()
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    paths.push(String(headers[':path']))
    stream.on('error', () => {})
    stream.pause()
    stream.on('data', (d: Buffer) => {
      received += d.length
    })
    stream.on('end', () => {
      stream.end(frame({ sum: received, count: 0, version: 'stalling' }), () => {})
    })
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc' },
      { waitForTrailers: true },
    )
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
    streams.push(stream)
    if (draining) stream.resume()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    port: address.port,
    paths,
    received: () => received,
    drain: () => {
      draining = true
      for (const s of streams) s.resume()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        setTimeout(resolve, 200).unref()
      }),
  }
}
