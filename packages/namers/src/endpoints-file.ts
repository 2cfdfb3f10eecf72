// The io.l5d.fs endpoints file, as Linkerd's WatchingNamer reads it: one `<host> <port>` per
// line, optionally `<host> <port> * <weight>`; `#` starts a comment; blank lines are ignored.
// Pure: text in, entries or the first bad line out.
import { isIP } from 'node:net'

export interface EndpointEntry {
  /** 1-based line number in the file. */
  readonly line: number
  /** An IP literal or a hostname, as written. */
  readonly host: string
  readonly port: number
  /** Present only when the line gives one (`* 2.0`). */
  readonly weight?: number
}

export type EndpointsFile =
  | { readonly type: 'ok'; readonly entries: readonly EndpointEntry[] }
  | {
      readonly type: 'error'
      readonly line: number
      /** What is wrong with the line, without the file and line number. */
      readonly problem: string
      /** `<file>:<line>: <problem>`, for an Addr's `cause`. */
      readonly message: string
    }

// Java's String.trim (drops code units up to U+0020) and Pattern `\s` (space, \t \n \v \f \r),
// as Linkerd trims and splits; JavaScript's own would also take Unicode spaces.
function javaTrim(s: string): string {
  let start = 0
  let end = s.length
  while (start < end && s.charCodeAt(start) <= 0x20) start++
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--
  return s.slice(start, end)
}
const FIELD_SEP = /[ \t\n\v\f\r]+/
const PORT = /^\+?[0-9]+$/
const WEIGHT = /^\+?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/
// A DNS name (letters, digits, `-`, `_`, dots); anything else can never resolve.
const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/
const FORMS = '"<host> <port>" or "<host> <port> * <weight>"'

function problemOf(fields: readonly string[]): string | EndpointEntryFields {
  if (fields.length !== 2 && fields.length !== 4) {
    return `expected ${FORMS}, found ${fields.length} field${fields.length === 1 ? '' : 's'}`
  }
  const [host, portText, star, weightText] = fields as [string, string, string?, string?]
  if (isIP(host) === 0 && !HOSTNAME.test(host)) {
    return `host "${host}" is neither an IP address nor a hostname`
  }
  const port = PORT.test(portText) ? Number(portText) : Number.NaN
  if (!(port >= 1 && port <= 65535)) {
    return `port "${portText}" is not a number from 1 to 65535`
  }
  if (star === undefined || weightText === undefined) return { host, port }
  if (star !== '*') return `expected "*" before the weight, found "${star}"`
  const weight = WEIGHT.test(weightText) ? Number(weightText) : Number.NaN
  if (!Number.isFinite(weight)) return `weight "${weightText}" is not a non-negative number`
  return { host, port, weight }
}

interface EndpointEntryFields {
  readonly host: string
  readonly port: number
  readonly weight?: number
}

/** Parses an endpoints file; `fileName` only labels the error message. */
export function parseEndpointsFile(text: string, fileName: string): EndpointsFile {
  const lines = text.replace(/^\ufeff/, '').split('\n')
  const entries: EndpointEntry[] = []
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const hash = raw.indexOf('#')
    const content = javaTrim(hash < 0 ? raw : raw.slice(0, hash))
    if (content === '') continue
    const parsed = problemOf(content.split(FIELD_SEP))
    if (typeof parsed === 'string') {
      const problem = `${parsed} in "${content}"`
      return { type: 'error', line: i + 1, problem, message: `${fileName}:${i + 1}: ${problem}` }
    }
    entries.push({ line: i + 1, ...parsed })
  }
  return { type: 'ok', entries }
}
