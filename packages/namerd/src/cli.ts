// The command line: flags, and the help that teaches by example.
import { parseArgs } from 'node:util'
import { DEFAULT_LISTEN, DEFAULT_STORE, type Flags, TOKENS_ENV } from './config.js'
import { DEFAULT_CONNECTION_LIMITS } from './connections.js'
import { unknownFlag } from './unknown-flag.js'

export const HELP = `namerd: the Switchyard control plane

Stores one dtab (delegation table) per namespace, versioned with compare-and-swap, streams
every change to watchers, and answers where a name goes. The HTTP API is namerd's
io.l5d.httpController, so namerctl and Linkerd 1 work unchanged.

Usage:
  namerd [--listen HOST:PORT] [--store SPEC] [--k8s-namespace NS] [--config FILE] [--insecure]
         [--log-level LEVEL] [--max-connections N] [--replica-id ID] [--no-dashboard]
         [--check]

Options:
  --listen HOST:PORT   where to serve (default ${DEFAULT_LISTEN}); [::1]:4180 for IPv6;
                       :4180 is every interface (0.0.0.0), as in Go and twitter-server;
                       so is *:4180
  --store SPEC         where dtabs live (default ${DEFAULT_STORE}):
                         memory                          nothing survives a restart
                         file:<dir>                      a directory; several namerds may share it
                         etcd:<url>[,<url>...][/<prefix>] etcd v3, e.g.
                           etcd:http://10.0.0.1:2379,http://10.0.0.2:2379/switchyard/dtabs/
                         k8s                             Kubernetes: namerd's dtabs.l5d.io objects
                                                         (in-cluster, else KUBECONFIG or
                                                         ~/.kube/config); kubectl apply -k deploy/crd
                         k8s:<url>                       the same through a plain URL, e.g.
                                                         k8s:http://127.0.0.1:8001 (kubectl proxy)
  --k8s-namespace NS   the Kubernetes namespace of the k8s store's objects (default: the
                       pod's namespace, else the kubeconfig context's, else default)
  --config FILE        a YAML file (below); flags and the environment override it
  --insecure           serve on a non-loopback address without a write token
  --log-level LEVEL    fatal, error, warn, info (default), debug, trace or silent
  --max-connections N  most client connections at once, watch streams included (default
                       ${DEFAULT_CONNECTION_LIMITS.maxConnections}, lowered to fit \`ulimit -n\`). At the limit the connection
                       idle longest is closed; API requests never hold the last
                       ${DEFAULT_CONNECTION_LIMITS.reservedConnections}, kept for /ready, /admin/ping and /metrics
  --replica-id ID      this replica's name among namerds sharing a store, for rollouts'
                       leader lease and proxy presence (default $HOSTNAME-<pid>)
  --no-dashboard       do not serve the dashboard (served by default at / to browsers;
                       dashboard.path in the file moves it, e.g. /dashboard/)
  --check              check the command line, the config file and the environment, print
                       what namerd would run with (the dashboard's URL, or why it is not
                       served; who may read and write), each Kubernetes connection with
                       where it comes from (in-cluster, the kubeconfig file and context, or
                       the URL) and the store's Kubernetes namespace, and exit (0 if usable,
                       2 if not, e.g. no Kubernetes configuration to be found); nothing is
                       contacted
  -h, --help           this text
  --version            the version

Environment (overrides the file; flags override it):
  SWITCHYARD_NAMERD_LISTEN, SWITCHYARD_NAMERD_STORE, SWITCHYARD_NAMERD_K8S_NAMESPACE,
  SWITCHYARD_NAMERD_CONFIG, SWITCHYARD_NAMERD_LOG_LEVEL, SWITCHYARD_NAMERD_INSECURE=true,
  SWITCHYARD_NAMERD_REPLICA_ID, SWITCHYARD_NAMERD_DASHBOARD=false,
  SWITCHYARD_NAMERD_MAX_CONNECTIONS
  ${TOKENS_ENV}=<name>:<scope>:<token>[,...]   bearer tokens, scope read or write

Security: with no tokens namerd is open, as namerd always was, which is safe on loopback only;
on any other address it refuses to start without a write token, unless --insecure. Once a
write token exists, writes need it (Authorization: Bearer <token>); reads need a token too
unless auth.anonymousReads is true (Linkerd 1 proxies cannot send one).

Why a change was made: a dtab write (PUT, POST, DELETE /api/1/dtabs/<ns>, POST .../restore) may
carry the header l5d-why: <text>, recorded in its history entry beside who (namerctl --why, the
dashboard's Reason). One line of printable UTF-8, at most 512 characters, one header: else 400
and nothing is written.

namerd reads the proxies' admin ports: a proxy whose watch sends l5d-watcher-admin: <ip:port>
(admitted when the address is loopback, the watch's own address, or in rollouts.proxyAdmin.allow)
has its admin read by namerd, one fixed path, 1.5 s deadline, bounded size, no redirects:
  /admin/metrics/snapshot.json  rollouts' analysis (every rollouts.scrapeMs while one runs) and
                                GET /api/1/traffic/<ns> (every 2 s while asked, stops after ~1 min)
  /admin/routers.json           GET /api/1/proxy-status[/<ns>] and the overview's "current": each
                                proxy at most every 2 s, only while one of them is asked (an open
                                dashboard asks every 2 s); the overview never waits for a proxy

Examples:
  namerd                                      # file store in ./data, on ${DEFAULT_LISTEN}
  namerd --store memory --listen 127.0.0.1:0  # throwaway, on a free port (see the log)
  namerd --store k8s --k8s-namespace linkerd  # namerd's CRD objects, in-cluster or kubeconfig
  ${TOKENS_ENV}=ci:write:$(openssl rand -hex 24) namerd --listen 0.0.0.0:4180 --config namerd.yaml

  curl -s localhost:4180/api/1/dtabs
  curl -si -X POST -H 'Content-Type: application/dtab' \\
       --data '/svc => /#/io.l5d.fs' localhost:4180/api/1/dtabs/default      # 204; 409 if it exists
  curl -si -H 'Accept: application/dtab' localhost:4180/api/1/dtabs/default  # ETag: the version
  curl -si -X PUT -H 'Content-Type: application/dtab' -H 'If-Match: AAAAAAAAAAE=' \\
       --data '/svc => /#/io.l5d.fs/web' localhost:4180/api/1/dtabs/default  # 412 if it moved on
  curl -si -X PUT -H 'Content-Type: application/dtab' -H 'l5d-why: move web to v2' \\
       --data '/svc => /#/io.l5d.fs/web-v2' localhost:4180/api/1/dtabs/default  # why, in history
  curl -N -H 'l5d-watcher-id: me' 'localhost:4180/api/1/dtabs/default?watch=1'
  curl -s localhost:4180/api/1/dtabs/default/watchers   # who watches, at which version
  curl -s localhost:4180/api/1/dtabs/default/history
  curl -s 'localhost:4180/api/1/delegate/default?path=/svc/web'
  curl -s localhost:4180/api/1/whoami     # the dashboard's: this caller's scope
  curl -s localhost:4180/api/1/overview   # every namespace: version, last change, proxies
  curl -s 'localhost:4180/api/1/traffic/default?path=/svc/web&window=30'  # measured vs dtab split
  curl -s localhost:4180/api/1/proxy-status/default   # what each proxy runs (from its admin)
  curl -s localhost:4180/api/1/proxy-status           # the same for every watched namespace
  open http://localhost:4180/             # the dashboard, in a browser (--check names its URL)

Config file (YAML; relative paths are relative to the file):
  listen: 0.0.0.0:4180
  store: file:/var/lib/namerd
  namers:
    - kind: io.l5d.fs
      rootDir: /etc/namerd/disco     # one file per name, "<host> <port>" per line
  auth:
    tokens:
      - {name: ci, scope: write, token: "<at least 16 characters>"}
      - {name: grafana, scope: read, token: "<...>"}
    anonymousReads: true
  limits: {maxBodyBytes: 1048576, maxWatchers: 10000, historyLimit: 100,
           maxConnections: 12288, reservedConnections: 64,
           headersTimeoutMs: 10000, requestTimeoutMs: 30000, keepAliveTimeoutMs: 72000}
  log: {level: info}
  tls:                               # serve the API over https (re-read when the files change)
    certPath: /etc/namerd/tls/tls.crt
    keyPath: /etc/namerd/tls/tls.key
    caCertPath: /etc/namerd/tls/ca.crt   # ask clients for a certificate signed by it
    requireClientAuth: true              # and refuse those without one (mTLS)
  dashboard: {enabled: true, path: /dashboard/}   # default: on, at /
  rollouts: {enabled: true, tickMs: 500, scrapeMs: 5000, leaseMs: 15000, presenceMs: 5000,
             replicaId: namerd-1, proxyAdmin: {allow: [10.0.0.0/8]}}

Exit status: 0 after a clean stop (SIGTERM or SIGINT), 1 on a failure, 2 on a usage or
configuration error.
`

/** A command line that cannot be understood: exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export type Command =
  | { readonly type: 'help' }
  | { readonly type: 'version' }
  | { readonly type: 'run'; readonly flags: Flags; readonly check: boolean }

export function parseCommandLine(argv: readonly string[]): Command {
  // Before parseArgs, whose message for `--port` is about `--` and positionals.
  const unknown = unknownFlag(argv, Object.keys(OPTIONS))
  if (unknown !== null) throw new UsageError(unknown)
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) return { type: 'help' }
  if (values.version) return { type: 'version' }
  if (positionals.length > 0) {
    // Linkerd's namerd takes its config file as its argument.
    const hint = /\.ya?ml$/i.test(positionals[0]!) ? `; the config file goes after --config` : ''
    throw new UsageError(`unexpected argument "${positionals[0]}"${hint}`)
  }
  return {
    type: 'run',
    check: values.check === true,
    flags: {
      listen: values.listen,
      store: values.store,
      k8sNamespace: values['k8s-namespace'],
      config: values.config,
      insecure: values.insecure,
      logLevel: values['log-level'],
      maxConnections: values['max-connections'],
      replicaId: values['replica-id'],
      ...(values['no-dashboard'] === true ? { dashboard: false } : {}),
    },
  }
}

const OPTIONS = {
  listen: { type: 'string' },
  store: { type: 'string' },
  'k8s-namespace': { type: 'string' },
  config: { type: 'string' },
  check: { type: 'boolean' },
  insecure: { type: 'boolean' },
  'log-level': { type: 'string' },
  'max-connections': { type: 'string' },
  'replica-id': { type: 'string' },
  'no-dashboard': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], strict: true, allowPositionals: true, options: OPTIONS })
}
