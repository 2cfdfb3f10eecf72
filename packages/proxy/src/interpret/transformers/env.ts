// What the localnode transformer reads from its environment: the pod's IP or the node's name,
// which Kubernetes gives a container only through the downward API. Read once at startup; a
// missing value stops the proxy with the snippet that fixes it, since guessing would route
// every request to the wrong node or to none.
import { TransformerError } from './errors.js'
import { ipv4 } from './ipv4.js'

export type Env = Readonly<Record<string, string | undefined>>

const FIELDS = { POD_IP: 'status.podIP', NODE_NAME: 'spec.nodeName' } as const
export type EnvName = keyof typeof FIELDS

/** The container env entry that sets `name` from the downward API. */
export function downwardApiSnippet(name: EnvName): string {
  return [
    'env:',
    `- name: ${name}`,
    '  valueFrom:',
    '    fieldRef:',
    `      fieldPath: ${FIELDS[name]}`,
  ].join('\n')
}

function read(env: Env, name: EnvName, who: string): string {
  const value = env[name]?.trim()
  if (value === undefined || value === '') {
    throw new TransformerError(
      'missing_env',
      `${who} needs the environment variable ${name} (${
        name === 'POD_IP' ? "this pod's IP" : "this node's name"
      }), which is not set. Set it from the Kubernetes downward API in the proxy's container spec:\n${downwardApiSnippet(name)}`,
    )
  }
  return value
}

/** POD_IP, which must be an IPv4 address: the /24 test knows no other family. */
export function podIp(env: Env, who: string): string {
  const ip = read(env, 'POD_IP', who)
  if (ipv4(ip) === undefined) {
    throw new TransformerError(
      'bad_env',
      `${who}: POD_IP is "${ip.slice(0, 100)}", not an IPv4 address; the /24 test (hostNetwork: false) needs one. On an IPv6 cluster, set hostNetwork: true and NODE_NAME instead.`,
    )
  }
  return ip
}

/** NODE_NAME, as Kubernetes names nodes (which are always valid path elements). */
export function nodeName(env: Env, who: string): string {
  const name = read(env, 'NODE_NAME', who)
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i.test(name) || name.length > 253) {
    throw new TransformerError(
      'bad_env',
      `${who}: NODE_NAME is "${name.slice(0, 100)}", which is not a Kubernetes node name; set it from the downward API:\n${downwardApiSnippet('NODE_NAME')}`,
    )
  }
  return name
}
