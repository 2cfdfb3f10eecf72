// A kubeconfig file pointing at the fake (plain http, no credentials), for code that loads one.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface KubeconfigOptions {
  /** The context's namespace (what a client takes as its default namespace). */
  readonly namespace?: string
  /** File name inside the directory; default `kubeconfig`. */
  readonly fileName?: string
  /** Context (and cluster and user) name; default `fake`. */
  readonly context?: string
}

export async function writeKubeconfigFile(
  url: string,
  dir: string,
  options: KubeconfigOptions = {},
): Promise<string> {
  const name = options.context ?? 'fake'
  const context: Record<string, string> = { cluster: name, user: name }
  if (options.namespace !== undefined) context.namespace = options.namespace
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    // client-node 2.x refuses an http: server unless skipTLSVerify is set (config.ts,
    // "HTTP protocol is not allowed when skipTLSVerify is not set or false").
    clusters: [{ name, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: {} }],
    contexts: [{ name, context }],
    'current-context': name,
  }
  const path = join(dir, options.fileName ?? 'kubeconfig')
  // JSON is YAML: any kubeconfig loader reads it.
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
  return path
}
