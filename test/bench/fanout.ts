// Watch fan-out for the namerd benchmark: many `GET /api/1/dtabs/<ns>?watch=1` streams from
// this process, then PUTs, timing when each stream receives the new dtab.
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { quantile } from './load.js'

export interface FanoutOptions {
  readonly base: string
  readonly namespace: string
  readonly watchers: number
  /** Measured PUTs (one unmeasured warm-up PUT comes first). */
  readonly puts: number
  /** The dtab text of the i-th PUT (i = 0 is the warm-up); each must differ from the last. */
  readonly dtab: (i: number) => string
  /** Watch streams being opened at once. */
  readonly openParallel?: number
  readonly openTimeoutMs?: number
  /** How long one PUT may take to reach every watcher before the run fails. */
  readonly roundTimeoutMs?: number
  /** A pause between PUTs, so each fans out alone. */
  readonly gapMs?: number
}

export interface Spread {
  readonly p50: number
  readonly p99: number
  readonly max: number
  readonly min: number
}

export interface FanoutResult {
  readonly watchers: number
  readonly puts: number
  /** Time to open every stream and receive its initial state. */
  readonly openMs: number
  /** PUT round trips (sent to 204). */
  readonly putMs: Spread
  /** Per watcher and PUT: from just before the PUT was sent to the new dtab's arrival. */
  readonly fromSendMs: Spread
  /** Per watcher and PUT: from the PUT's 204 to the new dtab's arrival (negative: before). */
  readonly from204Ms: Spread
  /** Per PUT, the last watcher's arrival after the 204, then their median. */
  readonly lastFrom204Ms: Spread
  /**
   * Per watcher and PUT, from namerd's own propagation status: its `sentAt` (when namerd handed
   * the new state to the stream; millisecond resolution) less the wall time just before the PUT
   * was sent. This leaves out the time this process takes to read 1,000 sockets.
   */
  readonly serverSentMs: Spread
  readonly samples: number
  /** States namerd skipped for a slow reader, summed over the streams (from its listing). */
  readonly dropped: number
}

function spread(values: number[]): Spread {
  const sorted = Float64Array.from(values).sort()
  return {
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
  }
}

class WatchStream {
  readonly lines: string[] = []
  /** performance.now() when each line arrived. */
  readonly times: number[] = []
  failure: string | null = null
  #buf = ''
  #close: (() => void) | null = null

  constructor(
    readonly index: number,
    private readonly onLine: (w: WatchStream) => void,
    private readonly onFail: (w: WatchStream) => void,
  ) {}

  open(agent: Agent, base: URL, path: string): void {
    const req = request({
      agent,
      host: base.hostname,
      port: base.port,
      path,
      headers: { 'l5d-watcher-id': `bench-${this.index}` },
    })
    this.#close = () => req.destroy()
    req.on('error', (err) => this.fail(err.message))
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        this.fail(`status ${res.statusCode}`)
        res.resume()
        return
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        const now = performance.now()
        this.#buf += chunk
        for (let i = this.#buf.indexOf('\n'); i !== -1; i = this.#buf.indexOf('\n')) {
          this.lines.push(this.#buf.slice(0, i))
          this.times.push(now)
          this.#buf = this.#buf.slice(i + 1)
          this.onLine(this)
        }
      })
      res.on('end', () => this.fail('the stream ended'))
      res.on('error', (err) => this.fail(err.message))
    })
    req.end()
  }

  fail(message: string): void {
    if (this.failure !== null || this.#close === null) return
    this.failure = message
    this.onFail(this)
  }

  close(): void {
    const close = this.#close
    this.#close = null
    this.failure ??= 'closed'
    close?.()
  }
}

/** Waits until every stream has `lines` lines; fails if one fails or after `timeoutMs`. */
class Barrier {
  #want = 0
  #reached = 0
  #settle: ((err?: Error) => void) | null = null

  constructor(private readonly streams: () => readonly WatchStream[]) {}

  wait(lines: number, timeoutMs: number, what: string): { done: Promise<void> } {
    this.#want = lines
    this.#reached = this.streams().filter((w) => w.lines.length >= lines).length
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const missing = this.streams().filter((w) => w.lines.length < lines).length
        finish(new Error(`${what}: ${missing} watchers still waiting after ${timeoutMs} ms`))
      }, timeoutMs)
      const finish = (err?: Error) => {
        clearTimeout(timer)
        this.#settle = null
        if (err) reject(err)
        else resolve()
      }
      this.#settle = finish
      this.check()
    })
    return { done }
  }

  line(w: WatchStream): void {
    if (w.lines.length === this.#want) {
      this.#reached++
      this.check()
    }
  }

  fail(w: WatchStream): void {
    this.#settle?.(new Error(`watcher ${w.index} failed: ${w.failure}`))
  }

  private check(): void {
    if (this.#reached >= this.streams().length) this.#settle?.()
  }
}

async function put(agent: Agent, base: URL, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        method: 'PUT',
        host: base.hostname,
        port: base.port,
        path,
        headers: { 'content-type': 'application/dtab', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const at = performance.now()
        res.resume()
        if (res.statusCode === 204) resolve(at)
        else reject(new Error(`PUT ${path}: status ${res.statusCode}`))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function getText(base: URL, path: string): Promise<string> {
  const res = await fetch(new URL(path, base))
  if (!res.ok) throw new Error(`GET ${path}: status ${res.status}`)
  return res.text()
}

/** namerd's propagation status: the streams watching the namespace. */
interface ListedWatcher {
  readonly current: boolean
  readonly dropped: number
  readonly sent: number
  readonly sentAt: string | null
}

async function listWatchers(base: URL, dtabPath: string): Promise<ListedWatcher[]> {
  const body = JSON.parse(await getText(base, `${dtabPath}/watchers`)) as {
    watchers: ListedWatcher[]
  }
  return body.watchers
}

export async function measureFanout(options: FanoutOptions): Promise<FanoutResult> {
  const base = new URL(options.base)
  const dtabPath = `/api/1/dtabs/${options.namespace}`
  // A socket per stream, with no cap on how many: the default agent's limits are per host.
  const watchAgent = new Agent({
    keepAlive: false,
    maxSockets: Number.POSITIVE_INFINITY,
    maxTotalSockets: Number.POSITIVE_INFINITY,
  })
  const writeAgent = new Agent({ keepAlive: true, maxSockets: 1 })
  const streams: WatchStream[] = []
  const barrier = new Barrier(() => streams)
  const opening = new Set<WatchStream>()
  try {
    // Open the streams, `openParallel` at a time (each until its initial state arrives), so
    // the listen backlog never overflows into SYN retries.
    const t0 = performance.now()
    const openDeadline = t0 + (options.openTimeoutMs ?? 30_000)
    let next = 0
    await new Promise<void>((resolve, reject) => {
      let active = 0
      const timer = setTimeout(
        () => reject(new Error(`opened ${next - active} of ${options.watchers} watch streams`)),
        openDeadline - performance.now(),
      )
      const pump = () => {
        while (active < (options.openParallel ?? 64) && next < options.watchers) {
          const w: WatchStream = new WatchStream(
            next++,
            (s) => {
              if (opening.delete(s)) {
                active--
                pump()
              }
              barrier.line(s)
            },
            (s) => {
              if (opening.has(s)) {
                clearTimeout(timer)
                reject(new Error(`watcher ${s.index} failed while opening: ${s.failure}`))
              }
              barrier.fail(s)
            },
          )
          streams.push(w)
          opening.add(w)
          active++
          w.open(watchAgent, base, `${dtabPath}?watch=1`)
        }
        if (active === 0 && next === options.watchers) {
          clearTimeout(timer)
          resolve()
        }
      }
      pump()
    })
    const openMs = performance.now() - t0

    // Every stream is registered in namerd (its listing is the propagation status).
    const listed = await listWatchers(base, dtabPath)
    if (listed.length !== options.watchers) {
      throw new Error(`namerd lists ${listed.length} watchers, expected ${options.watchers}`)
    }
    await new Promise((r) => setTimeout(r, options.gapMs ?? 200))

    const putMs: number[] = []
    const fromSend: number[] = []
    const from204: number[] = []
    const lastFrom204: number[] = []
    const serverSent: number[] = []
    for (let i = 0; i <= options.puts; i++) {
      const line = i + 1 // lines[0] is the initial state
      const { done } = barrier.wait(line + 1, options.roundTimeoutMs ?? 5_000, `PUT ${i}`)
      done.catch(() => {}) // awaited below, unless the PUT fails first
      const body = options.dtab(i)
      const sentWall = Date.now()
      const sent = performance.now()
      const acked = await put(writeAgent, base, dtabPath, body)
      await done
      // Every watcher got the same document, and it is what a GET answers now.
      const expected = await getText(base, dtabPath)
      for (const w of streams) {
        if (`${w.lines[line]}\n` !== expected) {
          throw new Error(
            `watcher ${w.index} after PUT ${i}: got ${JSON.stringify(w.lines[line])}, GET answers ${JSON.stringify(expected)}`,
          )
        }
      }
      if (i > 0) {
        putMs.push(acked - sent)
        let last = Number.NEGATIVE_INFINITY
        for (const w of streams) {
          const at = w.times[line]!
          fromSend.push(at - sent)
          from204.push(at - acked)
          last = Math.max(last, at - acked)
        }
        lastFrom204.push(last)
        for (const w of await listWatchers(base, dtabPath)) {
          if (w.sent !== line + 1 || w.sentAt === null) {
            throw new Error(`after PUT ${i} namerd lists a watcher sent ${w.sent} states`)
          }
          serverSent.push(Date.parse(w.sentAt) - sentWall)
        }
      }
      await new Promise((r) => setTimeout(r, options.gapMs ?? 200))
    }

    const after = await listWatchers(base, dtabPath)
    const behind = after.filter((w) => !w.current).length
    if (after.length !== options.watchers || behind > 0) {
      throw new Error(`namerd lists ${after.length} watchers, ${behind} not at the current version`)
    }
    return {
      watchers: options.watchers,
      puts: options.puts,
      openMs,
      putMs: spread(putMs),
      fromSendMs: spread(fromSend),
      from204Ms: spread(from204),
      lastFrom204Ms: spread(lastFrom204),
      serverSentMs: spread(serverSent),
      samples: fromSend.length,
      dropped: after.reduce((sum, w) => sum + w.dropped, 0),
    }
  } finally {
    for (const w of streams) w.close()
    watchAgent.destroy()
    writeAgent.destroy()
  }
}
