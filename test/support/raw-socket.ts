// Raw TCP connections for connection-limit tests (namerd's and the proxy admin's): a socket that
// sends what a test says and records what comes back, and a flood of half-sent request heads.
// Node's own modules only, so any package's tests can import it.
import { connect, type Socket } from 'node:net'

export interface Raw {
  readonly socket: Socket
  /** Everything received so far. */
  received(): string
  /** Resolves once the socket is closed; rejects after `ms`. */
  closed(ms?: number): Promise<void>
}

/** A raw TCP connection to `base` (an http:// URL on 127.0.0.1), connected, that sends `first` (if any) at once. */
export async function raw(base: string, first = ''): Promise<Raw> {
  const { port } = new URL(base)
  const socket = connect(Number(port), '127.0.0.1')
  let data = ''
  socket.setEncoding('utf8')
  socket.on('data', (d: string) => {
    data += d
  })
  socket.on('error', () => {}) // a reset is one way of being closed
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  if (first !== '') socket.write(first)
  return {
    socket,
    received: () => data,
    closed: (ms = 10_000) =>
      Promise.race([
        gone,
        new Promise<void>((_, reject) =>
          setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms).unref(),
        ),
      ]),
  }
}

export interface Flood {
  readonly sockets: readonly Raw[]
  /** How many of the flood's sockets the server has not closed. */
  open(): number
  /** Closes every socket of the flood (also done when the test ends). */
  end(): void
}

/**
 * `count` connections to `base`, opened 25 at a time, each sending `halfHead` (the first half of
 * a request head) and then nothing; all destroyed when the test ends.
 */
export async function flood(
  t: { teardown(fn: () => unknown): void },
  base: string,
  count: number,
  halfHead: string,
): Promise<Flood> {
  const sockets: Raw[] = []
  const end = () => {
    for (const s of sockets) s.socket.destroy()
  }
  t.teardown(end)
  for (let i = 0; i < count; i += 25) {
    const batch = Array.from({ length: Math.min(25, count - i) }, () => raw(base, halfHead))
    sockets.push(...(await Promise.all(batch)))
  }
  return { sockets, open: () => sockets.filter((s) => !s.socket.destroyed).length, end }
}
