// The HTTP/1.1 listener on 127.0.0.1: can be taken down (every connection destroyed, as an API
// server that went away) and brought back on the same port.
import { createServer, type RequestListener, type Server } from 'node:http'
import type { Socket } from 'node:net'

export class Listener {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  private portNumber = 0

  constructor(private readonly handler: RequestListener) {}

  get port(): number {
    return this.portNumber
  }

  get listening(): boolean {
    return this.server !== undefined
  }

  /** Listens on `port` (0 = a free one); rejects with the listen error (EADDRINUSE). */
  listen(port: number): Promise<void> {
    const server = createServer(this.handler)
    server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    // A request node's parser refuses (bad request line, bad framing) gets a bare 400.
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      else socket.destroy()
    })
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        const address = server.address()
        if (address !== null && typeof address === 'object') this.portNumber = address.port
        this.server = server
        resolve()
      })
    })
  }

  /** Closes the listener and destroys every connection at once. */
  async close(): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    await closed
  }
}
