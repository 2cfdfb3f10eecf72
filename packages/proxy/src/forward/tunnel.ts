// An upgrade the backend accepted (101): the client's socket and the backend's are joined
// until either side closes. Neither belongs to its server or pool any more; the endpoint
// keeps the tunnel in its set, so closing the endpoint closes it.
import type { EndpointNode } from '../balance/endpoint.js'
import type { HeaderMap, ResponseHead } from '../http1/head.js'
import { headerLines, statusLine } from '../http1/serialize.js'
import type { Transaction } from '../http1/server.js'
import type { UpstreamConnection } from '../http1/upstream-pool.js'
import { stripHopByHop } from './hop-by-hop.js'

/**
 * Sends the 101 to the client, then the bytes either side sent past its head (`early` from
 * the backend, what the client sent after its request), and pipes the two sockets.
 */
export function openTunnel(
  tx: Transaction,
  conn: UpstreamConnection,
  node: EndpointNode,
  head: ResponseHead,
  early: Buffer,
  onResponseHead: ((status: number, headers: HeaderMap) => void) | undefined,
): void {
  const upstream = conn.detach()
  const { socket, rest } = tx.takeSocket()
  const out = stripHopByHop(head.headers, true)
  onResponseHead?.(101, out)
  socket.write(`${statusLine(101, head.reason)}${headerLines(out)}\r\n`, 'latin1')
  if (early.length > 0) socket.write(early)
  if (rest !== undefined) upstream.write(rest)
  const tunnels = node.tunnels
  tunnels.add(upstream)
  const cut = (): void => {
    tunnels.delete(upstream)
    upstream.destroy()
    socket.destroy()
  }
  upstream.on('error', cut).on('close', cut)
  socket.on('error', cut).on('close', cut)
  socket.pipe(upstream)
  upstream.pipe(socket)
}
