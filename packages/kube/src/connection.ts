// Where the Kubernetes API is and who we are to it, resolved to a client-node KubeConfig.
//
//   default     in-cluster when a service-account token is mounted (and KUBERNETES_SERVICE_HOST is
//               set), else KUBECONFIG, else ~/.kube/config; otherwise an error saying what to set.
//               client-node's loadFromDefault would fall back to http://localhost:8080 without a
//               word, and every call would then fail with a confusing "connection refused".
//   kubeconfig  that file, its current context or the one named.
//   url         plain http(s) with no credentials: `kubectl proxy` on localhost:8001 (as namerd's
//               io.l5d.k8s storage had it), or a fake API server in tests.
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import { KubeConfig } from './client-node.js'
import { KubeError } from './errors.js'

export type KubeConnection =
  | { readonly kind: 'default' }
  | { readonly kind: 'kubeconfig'; readonly path: string; readonly context?: string }
  | { readonly kind: 'url'; readonly url: string }

/** Where the process looks for its configuration; tests point these at temporary files. */
export interface KubeEnvironment {
  /** Environment variables (KUBECONFIG, KUBERNETES_SERVICE_HOST/PORT). Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Home directory holding .kube/config. Default os.homedir(). */
  readonly home?: string
  /**
   * Prefix of the service-account files (`<prefix>/var/run/secrets/kubernetes.io/serviceaccount/`),
   * as client-node's loadFromCluster takes it. Default '' (the real path).
   */
  readonly inClusterPrefix?: string
  /**
   * Said last, in parentheses, when no configuration is found at all: how the caller's own
   * configuration names a plain URL, e.g. `e.g. --store k8s:http://127.0.0.1:8001`.
   */
  readonly missingConfigHint?: string
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/** A loaded configuration: the KubeConfig, the server it talks to and the default namespace. */
export interface ResolvedConnection {
  readonly config: KubeConfig
  /** The API server's URL, e.g. `https://10.96.0.1:443` or `http://127.0.0.1:8001`. */
  readonly server: string
  /** The in-cluster namespace, else the kubeconfig context's namespace, else `default`. */
  readonly namespace: string
  /** How the configuration was found, for logs and /ready: `in-cluster`, `kubeconfig <path>`, `url`. */
  readonly source: string
  /**
   * Where it was found and what it talks to, in words, for --check and logs: `in-cluster (the
   * pod's service account), API at https://10.96.0.1:443`, `kubeconfig /home/me/.kube/config,
   * context kind-kind, API at https://127.0.0.1:6443`, `http://127.0.0.1:8001, a plain URL (no
   * credentials are sent)`.
   */
  readonly description: string
  /** Where `namespace` came from: `the pod's namespace`, `context <name>`, or `the default`. */
  readonly namespaceFrom: string
}

/** Describes a connection for messages and logs. */
export function describeConnection(connection: KubeConnection): string {
  switch (connection.kind) {
    case 'default':
      return 'the default Kubernetes configuration (in-cluster, else KUBECONFIG or ~/.kube/config)'
    case 'kubeconfig':
      return `the kubeconfig ${connection.path}${connection.context ? ` (context ${connection.context})` : ''}`
    case 'url':
      return `the Kubernetes API at ${connection.url}`
  }
}

export function resolveConnection(
  connection: KubeConnection,
  environment: KubeEnvironment = {},
  makeConfig: () => KubeConfig = () => new KubeConfig(),
): ResolvedConnection {
  const env = environment.env ?? process.env
  const prefix = environment.inClusterPrefix ?? ''
  const saDir = `${prefix}${SERVICE_ACCOUNT_DIR}`
  const inClusterNamespace = readNamespaceFile(join(saDir, 'namespace'))
  switch (connection.kind) {
    case 'url': {
      const server = checkUrl(connection.url)
      const config = makeConfig()
      config.loadFromClusterAndUser(
        // client-node refuses plain http unless told to skip TLS verification, of which
        // there is none on plain http anyway.
        { name: 'switchyard', server, skipTLSVerify: server.startsWith('http:') },
        { name: 'anonymous' },
      )
      return {
        config,
        server,
        namespace: inClusterNamespace ?? 'default',
        source: 'url',
        description: `${server}, a plain URL (no credentials are sent)`,
        namespaceFrom: inClusterNamespace ? "the pod's namespace" : 'the default',
      }
    }
    case 'kubeconfig':
      return fromKubeconfigFiles(makeConfig(), [connection.path], connection.context, 'kubeconfig')
    case 'default': {
      if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
        if (existsSync(join(saDir, 'token'))) {
          const config = makeConfig()
          // loadFromCluster reads the environment itself; with an injected one, set it here.
          withEnv(env, () => config.loadFromCluster(prefix))
          allowPlainHttp(config)
          const server = config.getCurrentCluster()?.server ?? ''
          return {
            config,
            server,
            namespace: inClusterNamespace ?? 'default',
            source: 'in-cluster',
            description: `in-cluster (the pod's service account, ${saDir}), API at ${server}`,
            namespaceFrom: inClusterNamespace ? "the pod's namespace" : 'the default',
          }
        }
      }
      const list = env.KUBECONFIG?.split(delimiter).filter((f) => f !== '') ?? []
      if (list.length > 0) return fromKubeconfigFiles(makeConfig(), list, undefined, 'KUBECONFIG')
      const home = environment.home ?? homedir()
      const file = join(home, '.kube', 'config')
      if (existsSync(file))
        return fromKubeconfigFiles(makeConfig(), [file], undefined, 'kubeconfig')
      throw new KubeError(
        'config',
        `no Kubernetes configuration found: not in a cluster (no service-account token at ${saDir}/token ` +
          `or KUBERNETES_SERVICE_HOST unset), KUBECONFIG is not set and ${file} does not exist; ` +
          'set KUBECONFIG, or run `kubectl proxy` and use the API at http://127.0.0.1:8001' +
          (environment.missingConfigHint ? ` (${environment.missingConfigHint})` : ''),
        { server: null },
      )
    }
  }
}

function fromKubeconfigFiles(
  config: KubeConfig,
  files: readonly string[],
  context: string | undefined,
  how: string,
): ResolvedConnection {
  const [first, ...rest] = files
  try {
    config.loadFromFile(first!)
    // As kubectl merges KUBECONFIG: the first file to set current-context wins.
    for (const file of rest) {
      const more = new KubeConfig()
      more.loadFromFile(file)
      config.mergeConfig(more, true)
    }
  } catch (err) {
    throw new KubeError(
      'config',
      `cannot read the kubeconfig ${files.join(delimiter)} (${how}): ${messageOf(err)}`,
      { server: null },
      err,
    )
  }
  if (context !== undefined) {
    if (!config.getContextObject(context)) {
      const known = config.getContexts().map((c) => c.name)
      throw new KubeError(
        'config',
        `the kubeconfig ${files.join(delimiter)} has no context ${JSON.stringify(context)}` +
          ` (it has: ${known.join(', ') || 'none'})`,
        { server: null },
      )
    }
    config.setCurrentContext(context)
  }
  allowPlainHttp(config)
  const current = config.getContextObject(config.getCurrentContext())
  const server = config.getCurrentCluster()?.server
  if (!current || !server) {
    throw new KubeError(
      'config',
      `the kubeconfig ${files.join(delimiter)} (${how}) has no usable current context: ` +
        'set one with `kubectl config use-context <name>`',
      { server: null },
    )
  }
  const from = how === 'KUBECONFIG' ? ' (from KUBECONFIG)' : ''
  return {
    config,
    server,
    namespace: current.namespace || 'default',
    source: `kubeconfig ${files.join(delimiter)}`,
    description: `kubeconfig ${files.join(delimiter)}${from}, context ${current.name}, API at ${server}`,
    namespaceFrom: current.namespace ? `context ${current.name}` : 'the default',
  }
}

/**
 * client-node refuses an `http:` server unless the cluster says insecure-skip-tls-verify; on
 * plain http there is no TLS to verify, so say it for such clusters (kubectl needs no such flag).
 */
function allowPlainHttp(config: KubeConfig): void {
  config.clusters = config.clusters.map((c) =>
    c.server.startsWith('http:') && !c.skipTLSVerify ? { ...c, skipTLSVerify: true } : c,
  )
}

function checkUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new KubeError(
      'config',
      `${JSON.stringify(text)} is not a URL such as http://127.0.0.1:8001`,
      { server: null },
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KubeError('config', `${JSON.stringify(text)} must start with http:// or https://`, {
      server: null,
    })
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new KubeError(
      'config',
      `${JSON.stringify(text)} may not carry credentials, a query or a fragment`,
      { server: null },
    )
  }
  // Paths are appended to the server URL: keep any prefix but no trailing slash.
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
}

function readNamespaceFile(path: string): string | null {
  try {
    const ns = readFileSync(path, 'utf8').trim()
    return ns === '' ? null : ns
  } catch {
    return null
  }
}

/** Runs `fn` with KUBERNETES_SERVICE_HOST/PORT taken from `env` (restored afterwards). */
function withEnv(env: Readonly<Record<string, string | undefined>>, fn: () => void): void {
  if (env === process.env) {
    fn()
    return
  }
  const keys = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'] as const
  const saved = keys.map((k) => process.env[k])
  try {
    for (const k of keys) {
      if (env[k] === undefined) delete process.env[k]
      else process.env[k] = env[k]
    }
    fn()
  } finally {
    keys.forEach((k, i) => {
      if (saved[i] === undefined) delete process.env[k]
      else process.env[k] = saved[i]
    })
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
