// `Upgrade` (websockets) through the proxy: the request head goes to an endpoint through its
// pool, and on `101` the two sockets are joined until either side closes. A backend that
// declines the upgrade has its response relayed as is, and the connection is closed after it.
import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { Client } from '../balance/client.js'
import type { EndpointNode } from '../balance/endpoint.js'
import { classify, errorMessage } from './errors.js'
import type { ForwardOptions } from './forward.js'
import { stripHopByHop } from './hop-by-hop.js'
import type { ForwardResult } from './result.js'

const CLIENT_GONE = new Error('client closed the connection')

/** For the server's 'upgrade' event; resolves once the tunnel is up or the attempt failed. */
export function forwardUpgrade(
  client: Client,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: Pick<ForwardOptions, 'headers' | 'path'>,
): Promise<ForwardResult> {
  const headers = options.headers
  const upgrade = headerText(req.headers.upgrade ?? headers.upgrade) ?? 'websocket'
  // undici writes `connection: upgrade` and `upgrade` itself and refuses them as headers.
  stripHopByHop(headers)
  if (headers.expect !== undefined) delete headers.expect
  const node = client.pick()
  if (node === undefined) {
    const message = `no endpoints for ${client.id}`
    return Promise.resolve({
      ok: false,
      kind: 'no-endpoints',
      message,
      retries: 0,
      headersSent: false,
      budgetExhausted: false,
    })
  }
  return new Promise<ForwardResult>((resolve) => {
    const handler = new UpgradeHandler(client, node, socket, head, resolve)
    client.begin(node)
    try {
      node.pool.dispatch(
        { method: req.method ?? 'GET', path: options.path, headers, body: null, upgrade },
        handler,
      )
    } catch (err) {
      client.end(node, 'ignore')
      handler.finish({
        ok: false,
        kind: 'upstream-reset',
        message: errorMessage(err as Error),
        endpoint: node.key,
        retries: 0,
        headersSent: false,
        budgetExhausted: false,
      })
    }
  })
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v
}

class UpgradeHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  private written = false
  private responseStarted = false
  private headersSent = false
  private status = 0
  private settled = false
  private clientGone = false
  private readonly onClientClose = (): void => {
    if (this.settled) return
    this.clientGone = true
    this.controller?.abort(CLIENT_GONE)
    this.finish({
      ok: false,
      kind: 'client-aborted',
      message: CLIENT_GONE.message,
      endpoint: this.node.key,
      retries: 0,
      headersSent: this.headersSent,
      budgetExhausted: false,
    })
  }
  private readonly onDrain = (): void => this.controller?.resume()

  constructor(
    private readonly client: Client,
    private readonly node: EndpointNode,
    private readonly socket: Duplex,
    private readonly head: Buffer,
    private readonly resolve: (r: ForwardResult) => void,
  ) {
    socket.on('close', this.onClientClose)
    // A reset client socket must not crash the process; 'close' follows.
    socket.on('error', noop)
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    this.written = true
    if (this.clientGone) controller.abort(CLIENT_GONE)
  }

  onResponseStarted(): void {
    this.responseStarted = true
  }

  onRequestUpgrade(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    upstream: Duplex,
  ): void {
    this.client.end(this.node, 'success')
    const socket = this.socket
    if (this.clientGone || socket.destroyed) {
      upstream.destroy()
      return
    }
    socket.off('close', this.onClientClose)
    socket.write(responseHead(status, stripHopByHop(headers, true)))
    if (this.head.length > 0) upstream.write(this.head)
    const tunnels = this.node.tunnels
    tunnels.add(upstream)
    const cut = (): void => {
      tunnels.delete(upstream)
      upstream.destroy()
      socket.destroy()
    }
    upstream.on('error', cut).on('close', cut)
    socket.on('close', cut)
    socket.pipe(upstream)
    upstream.pipe(socket)
    this.finish({ ok: true, status, endpoint: this.node.key, retries: 0, budgetExhausted: false })
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // The backend declined the upgrade: relay its answer and close (no framing kept).
    this.status = status
    const out = stripHopByHop(headers)
    out.connection = 'close'
    this.socket.write(responseHead(status, out))
    this.headersSent = true
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.socket.write(chunk)) {
      controller.pause()
      this.socket.once('drain', this.onDrain)
    }
  }

  onResponseEnd(): void {
    this.client.end(this.node, this.status >= 500 ? 'failure' : 'success')
    this.socket.end()
    this.finish({
      ok: true,
      status: this.status,
      endpoint: this.node.key,
      retries: 0,
      budgetExhausted: false,
    })
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.client.end(this.node, err === CLIENT_GONE ? 'ignore' : 'failure')
    if (this.settled) return
    if (this.headersSent) this.socket.destroy()
    const kind = classify(err, this.written, this.responseStarted).kind
    this.finish({
      ok: false,
      kind,
      message: errorMessage(err),
      endpoint: this.node.key,
      retries: 0,
      headersSent: this.headersSent,
      budgetExhausted: false,
    })
  }

  finish(result: ForwardResult): void {
    if (this.settled) return
    this.settled = true
    this.socket.off('close', this.onClientClose)
    this.resolve(result)
  }
}

function responseHead(
  status: number,
  headers: Record<string, string | string[] | undefined>,
): string {
  let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`
  for (const name in headers) {
    const v = headers[name]
    if (v === undefined) continue
    if (Array.isArray(v)) for (const x of v) text += `${name}: ${x}\r\n`
    else text += `${name}: ${v}\r\n`
  }
  return `${text}\r\n`
}

function noop(): void {}
