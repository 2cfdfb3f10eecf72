// Staging through a proxy before any dtab write (docs/design/rollouts.md §5): requests to the
// rollout's smoke URL, a proxy's server, each carrying `l5d-dtab: <prefix> => <to>` so that the
// proxy routes that request alone to the new version. A request passes when its status is one
// the rollout expects AND the proxy's `l5d-dst-client` response header names one of `to`'s ids:
// Linkerd lets an override that does not resolve fall back to the next branch, so without the
// header check a v1 answering 200 would pass as v2.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { Path } from '@switchyard/dtab'
import type { Rollout } from '@switchyard/wire'
import { stripTransformerPrefix } from '../naming.js'

export interface SmokeResult {
  readonly sent: number
  readonly passed: number
  /** The lowest-numbered failure: status, l5d-dst-client and the first 200 bytes of body. */
  readonly firstFailure: string | null
}

export interface SmokeOptions {
  /** Aborts what is in flight; runSmoke then rejects with the signal's reason. */
  readonly signal?: AbortSignal
}

/** Requests in flight at once. */
const CONCURRENCY = 4
/** Bytes of a failing answer's body quoted in firstFailure. */
const BODY_QUOTE = 200
/** A body is read to here at most (so the connection can be reused), then dropped. */
const BODY_READ_MAX = 64 * 1024

const DST_CLIENT = 'l5d-dst-client'

/** `/%/io.l5d.port/4141/#/io.l5d.fs/world-v2` → `/#/io.l5d.fs/world-v2`; text we cannot parse as it is. */
export function stripId(id: string): string {
  try {
    return Path.show(stripTransformerPrefix(Path.read(id)))
  } catch {
    return id
  }
}

/** Whether `status` is one of `expect` (`2xx`, or an exact `204`). */
export function statusExpected(status: number, expect: readonly string[]): boolean {
  return expect.some((e) =>
    e.endsWith('xx') ? Math.floor(status / 100) === Number(e[0]) : status === Number(e),
  )
}

interface Answer {
  readonly status: number
  readonly dstClient: string | undefined
  readonly body: string
}

/**
 * Sends the rollout's smoke requests (4 at a time) and says how many passed. After the first
 * failure no new request is started (the ones in flight finish): one failure already decides
 * the rollout, and a broken `to` should not get the rest. A rollout without smoke sends none.
 */
export async function runSmoke(
  rollout: Rollout,
  toIds: readonly string[],
  options: SmokeOptions = {},
): Promise<SmokeResult> {
  const smoke = rollout.smoke
  if (smoke === null) return { sent: 0, passed: 0, firstFailure: null }
  const url = new URL(smoke.url)
  const https = url.protocol === 'https:'
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: CONCURRENCY })
    : new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY })
  const wanted = new Set(toIds.map(stripId))
  const dtab = `${rollout.prefix} => ${rollout.to}`
  const { signal } = options

  let next = 1
  let sent = 0
  let passed = 0
  const failures = new Map<number, string>()

  const one = async (n: number): Promise<void> => {
    const what = `smoke request ${n} of ${smoke.requests} (GET ${smoke.url}${smoke.host === null ? '' : ` Host ${smoke.host}`})`
    let answer: Answer
    try {
      answer = await get(url, {
        https,
        agent,
        timeoutMs: smoke.timeoutMs,
        signal,
        headers: {
          ...(smoke.host === null ? {} : { host: smoke.host }),
          'l5d-dtab': dtab,
          'l5d-reqid': `rollout-${rollout.id}-${n}`,
        },
      })
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      failures.set(n, `${what} got no answer: ${(err as Error).message}`)
      return
    }
    const body = JSON.stringify(answer.body)
    const statusOk = statusExpected(answer.status, smoke.expect)
    if (answer.dstClient === undefined) {
      failures.set(
        n,
        `${what}: status ${answer.status}, no ${DST_CLIENT} header, so where it went is unknown: the smoke URL must be a switchyard proxy's server without clearContext (clearContext strips l5d-* response headers); body ${body}`,
      )
      return
    }
    const client = stripId(answer.dstClient)
    if (!statusOk || !wanted.has(client)) {
      const problems = [
        statusOk ? null : `status ${answer.status}, expected ${smoke.expect.join(' or ')}`,
        wanted.has(client)
          ? null
          : `routed to ${answer.dstClient}, not to ${rollout.to} (${[...wanted].join(', ') || 'no ids'})`,
      ].filter((p) => p !== null)
      failures.set(
        n,
        `${what}: ${problems.join('; ')}; status ${answer.status}, ${DST_CLIENT} ${answer.dstClient}, body ${body}`,
      )
      return
    }
    passed++
  }

  const worker = async (): Promise<void> => {
    while (next <= smoke.requests && failures.size === 0) {
      if (signal?.aborted) throw signal.reason
      const n = next++
      sent++
      await one(n)
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, smoke.requests) }, worker))
  } finally {
    agent.destroy()
  }
  const first = [...failures.keys()].sort((a, b) => a - b)[0]
  return { sent, passed, firstFailure: first === undefined ? null : failures.get(first)! }
}

interface GetOptions {
  readonly https: boolean
  readonly agent: HttpAgent
  readonly timeoutMs: number
  readonly signal: AbortSignal | undefined
  readonly headers: Record<string, string>
}

/** One GET (fetch cannot set Host); the body up to BODY_QUOTE bytes is kept. */
function get(url: URL, o: GetOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = o.https ? httpsRequest : httpRequest
    const req = request(url, {
      method: 'GET',
      agent: o.agent,
      headers: o.headers,
      signal: o.signal,
    })
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${o.timeoutMs} ms (the smoke timeout)`))
    }, o.timeoutMs)
    req.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    req.once('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      let kept = 0
      let read = 0
      res.on('data', (chunk: Buffer) => {
        read += chunk.length
        if (kept < BODY_QUOTE) {
          chunks.push(chunk)
          kept += chunk.length
        }
        if (read > BODY_READ_MAX) res.destroy()
      })
      const done = () => {
        clearTimeout(timer)
        const header = res.headers[DST_CLIENT]
        resolve({
          status: res.statusCode ?? 0,
          dstClient: Array.isArray(header) ? header[0] : header,
          body: Buffer.concat(chunks).subarray(0, BODY_QUOTE).toString('utf8'),
        })
      }
      res.once('end', done)
      res.once('close', done)
      res.once('error', () => {})
    })
    req.end()
  })
}
