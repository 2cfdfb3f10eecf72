// A flag namerd does not take, explained in namerd's terms. People arrive with other programs'
// habits: `--port 4180` (most servers), `--host`/`--ip`/`--bind`, Linkerd's namerd (whose
// address is its io.l5d.httpController interface's `ip` and `port`, and whose admin port,
// 9991, twitter-server sets with `-admin.port=:9991`). namerd takes one `--listen HOST:PORT`
// and serves its admin paths there too. Anything else gets the closest flag namerd has.
import { editDistance, hostPort } from '@switchyard/wire'

/** The options namerd takes (long names), for the closest-match hint. */
export type KnownFlags = readonly string[]

const PORT_FLAGS = new Set(['port', 'p'])
const HOST_FLAGS = new Set(['host', 'ip', 'bind', 'b'])
const ADDRESS_FLAGS = new Set(['addr', 'address'])
const ADMIN_FLAGS = new Set(['admin.port', 'admin-port', 'admin.ip', 'admin-ip', 'admin'])

/** `--port=4180` or `--port 4180`: the value given with the flag, if any. */
function flagValue(token: string, next: string | undefined): string | undefined {
  const eq = token.indexOf('=')
  const value = eq >= 0 ? token.slice(eq + 1) : next?.startsWith('-') ? undefined : next
  return value === '' ? undefined : value
}

/** The `--listen` that says what a habit's flag and its value meant. */
function listenFor(name: string, value: string | undefined): string {
  const port = value?.replace(/^:/, '')
  if (PORT_FLAGS.has(name) && port !== undefined && /^[0-9]{1,5}$/.test(port))
    return `--listen 127.0.0.1:${port} (or 0.0.0.0:${port} for every interface)`
  if (HOST_FLAGS.has(name) && value !== undefined) return `--listen ${hostPort(value, 4180)}`
  if (ADDRESS_FLAGS.has(name) && value !== undefined) return `--listen ${value}`
  return '--listen HOST:PORT (e.g. --listen 127.0.0.1:4180)'
}

/**
 * The first option in `argv` that is not one of `known` (long names, or `-h`), with what to use
 * instead; null when every option is known (parseArgs then reports anything else).
 */
export function unknownFlag(argv: readonly string[], known: KnownFlags): string | null {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (token === '--') return null
    if (!token.startsWith('-') || token === '-') continue
    const name = token.replace(/^--?/, '').split('=', 1)[0]!
    if (token.startsWith('--') ? known.includes(name) : name === 'h') continue
    const shown = token.split('=', 1)[0]!
    const head = `Unknown option '${shown}'`
    if (PORT_FLAGS.has(name) || HOST_FLAGS.has(name) || ADDRESS_FLAGS.has(name)) {
      return `${head}: namerd takes its address and port together, ${listenFor(name, flagValue(token, argv[i + 1]))}`
    }
    if (ADMIN_FLAGS.has(name)) {
      return `${head}: namerd has no separate admin port; /admin/ping, /ready and the metrics are served on the --listen address`
    }
    const closest = known.map((k) => ({ k, d: editDistance(name, k) })).sort((a, b) => a.d - b.d)[0]
    if (closest !== undefined && closest.d <= Math.max(1, Math.floor(closest.k.length / 3)))
      return `${head}; did you mean --${closest.k}?`
    return head
  }
  return null
}
