// Where an io.l5d.k8s namer finds the API: Linkerd's `host`/`port` keys mean plain HTTP there
// (`kubectl proxy`, localhost:8001 by default); neither means the 'default' connection.
import { isIP } from 'node:net'
import type { KubeConnection } from '@switchyard/kube'
import { hostPort } from '@switchyard/wire'

export const DEFAULT_HOST = 'localhost'
export const DEFAULT_PORT = 8001

const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/

/** Why `host` cannot be a host to connect to, or undefined. */
export function hostProblem(host: string): string | undefined {
  if (host.includes('://'))
    return `give the host alone, without a scheme (e.g. localhost, not ${host})`
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (isIP(bare) !== 0 || HOSTNAME.test(host)) return undefined
  return `"${host}" is neither a host name nor an IP address`
}

/** The connection a namer config asks for. */
export function k8sConnection(config: {
  readonly host?: string | undefined
  readonly port?: number | undefined
}): KubeConnection {
  if (config.host === undefined && config.port === undefined) return { kind: 'default' }
  const host = config.host ?? DEFAULT_HOST
  return { kind: 'url', url: `http://${hostPort(host, config.port ?? DEFAULT_PORT)}` }
}
