// HTTPS on loopback for the TLS tests: backends serving a chosen certificate (asking for client
// certificates when told), and a client that trusts a chosen CA and may present a certificate.
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { CertFiles } from '../../../test/support/certs.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface HttpsBackend {
  readonly port: number
  readonly server: Server
  /** The CN of each client certificate presented, '' for none, per request. */
  readonly clientNames: string[]
}

/** An HTTPS backend with `cert`, answering `name`; with `clientCa` it requires client certs. */
export async function httpsBackend(
  t: Teardown,
  name: string,
  cert: CertFiles,
  options: { clientCa?: string } = {},
): Promise<HttpsBackend> {
  const clientNames: string[] = []
  const server = createHttpsServer(
    {
      cert: cert.cert,
      key: cert.key,
      ...(options.clientCa !== undefined && {
        ca: options.clientCa,
        requestCert: true,
        rejectUnauthorized: true,
      }),
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate()
      clientNames.push(typeof peer?.subject?.CN === 'string' ? peer.subject.CN : '')
      req.resume()
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end(name)
      })
    },
  )
  // A client that refuses our certificate is the test's subject, not an error of the backend.
  server.on('tlsClientError', () => {})
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return { port, server, clientNames }
}

export interface TlsReply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
  /** The CN of the certificate the server presented. */
  readonly serverName: string
  /** The serial number of that certificate: tells a reloaded one from the old. */
  readonly serial: string
}

/**
 * One HTTPS request to 127.0.0.1:`port`, trusting `ca`, presenting `client` when given; the
 * server's certificate must name `servername` (default localhost).
 */
export function sendTls(
  port: number,
  options: {
    ca: string
    client?: CertFiles
    path?: string
    headers?: Record<string, string>
    servername?: string
  },
): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        headers: options.headers ?? {},
        ca: options.ca,
        // Node names the server by the Host header: the certificate is checked against
        // localhost (one of its names) unless the test names another.
        servername: options.servername ?? 'localhost',
        ...(options.client !== undefined && { cert: options.client.cert, key: options.client.key }),
        agent: false,
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate()
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          body += d
        })
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            serverName: typeof peer.subject?.CN === 'string' ? peer.subject.CN : '',
            serial: peer.serialNumber ?? '',
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end()
  })
}
