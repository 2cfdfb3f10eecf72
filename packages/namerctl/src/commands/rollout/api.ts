// namerd's /api/1/rollouts as the rollout commands use it. Bodies are checked with the wire
// schemas; namerd's refusals (409 rollout_active, dentry_mismatch, 503 rollouts_disabled, ...)
// become CliErrors whose first line is namerd's own message, which already names what is wrong
// and what to do, instead of the dtab commands' generic `unexpected response: 409 Conflict`.
import {
  Rollout,
  type RolloutAction,
  RolloutList,
  type RolloutSpec,
  type RolloutSummary,
} from '@switchyard/wire'
import { z } from 'zod'
import { JSON_TYPE, type NamerdClient, type RequestOptions } from '../../client.js'
import { CliError, HttpError } from '../../errors.js'
import { missingNamespace } from '../../missing-namespace.js'

/** namerd's answer to a start with ?dryRun=true. */
export const RolloutPlan = z.object({
  rollout: Rollout,
  ids: z.object({ from: z.array(z.string()), to: z.array(z.string()) }),
  steps: z.array(z.object({ weight: z.int(), gate: z.boolean(), dentry: z.string() })),
})
export type RolloutPlan = z.infer<typeof RolloutPlan>

export interface Versioned<T> {
  readonly value: T
  readonly etag: string
}

const PREFIX = '/api/1/rollouts'

export class RolloutApi {
  constructor(readonly client: NamerdClient) {}

  async start(ns: string, spec: RolloutSpec): Promise<Versioned<Rollout>> {
    const res = await this.#call('POST', `${PREFIX}/${ns}`, {
      'content-type': JSON_TYPE,
      body: JSON.stringify(spec),
    })
    return { value: await parse(Rollout, res, 'the new rollout'), etag: etagOf(res) }
  }

  async plan(ns: string, spec: RolloutSpec): Promise<RolloutPlan> {
    const res = await this.#call('POST', `${PREFIX}/${ns}`, {
      'content-type': JSON_TYPE,
      body: JSON.stringify(spec),
      query: { dryRun: 'true' },
    })
    return parse(RolloutPlan, res, 'the rollout plan')
  }

  async list(filter: { namespace?: string; active?: boolean }): Promise<RolloutSummary[]> {
    let res: Response
    try {
      res = await this.#call('GET', PREFIX, {
        accept: JSON_TYPE,
        query: {
          namespace: filter.namespace,
          active: filter.active === undefined ? undefined : String(filter.active),
        },
      })
    } catch (err) {
      // A namespace that does not exist (a typo) is said so, with the ones that do.
      if (
        filter.namespace !== undefined &&
        err instanceof RolloutApiError &&
        err.apiCode === 'namespace_not_found'
      ) {
        throw await missingNamespace(this.client, filter.namespace)
      }
      throw err
    }
    return (await parse(RolloutList, res, 'the rollout list')).rollouts
  }

  async get(ns: string, id: string): Promise<Versioned<Rollout>> {
    const res = await this.#call('GET', `${PREFIX}/${ns}/${id}`, { accept: JSON_TYPE })
    return { value: await parse(Rollout, res, `rollout ${id}`), etag: etagOf(res) }
  }

  /** The active rollout on `prefix`, or null. */
  async active(ns: string, prefix: string): Promise<Rollout | null> {
    try {
      const res = await this.#call('GET', `${PREFIX}/${ns}/active`, {
        accept: JSON_TYPE,
        query: { prefix },
      })
      return await parse(Rollout, res, 'the active rollout')
    } catch (err) {
      if (err instanceof RolloutApiError && err.apiCode === 'rollout_not_found') return null
      throw err
    }
  }

  async act(
    ns: string,
    id: string,
    action: Exclude<RolloutAction, 'promote-full'>,
    body: { why?: string; full?: boolean },
  ): Promise<Rollout> {
    const res = await this.#call('POST', `${PREFIX}/${ns}/${id}/${action}`, {
      'content-type': JSON_TYPE,
      body: JSON.stringify(body),
    })
    return parse(Rollout, res, `rollout ${id}`)
  }

  /**
   * Each state of a rollout as namerd streams it (one JSON per line); returns when namerd
   * ends the stream (after a terminal state) or `signal` aborts.
   */
  async *watch(ns: string, id: string, signal: AbortSignal): AsyncGenerator<Rollout> {
    const res = await this.#call('GET', `${PREFIX}/${ns}/${id}`, {
      accept: JSON_TYPE,
      query: { watch: 'true' },
      stream: true,
      signal,
    })
    if (res.body === null) return
    const decoder = new TextDecoder()
    let buffered = ''
    for await (const chunk of res.body) {
      buffered += decoder.decode(chunk, { stream: true })
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        if (line.trim() === '') continue
        yield parseLine(line)
      }
    }
  }

  async #call(method: string, path: string, opts: RequestOptions): Promise<Response> {
    try {
      return await this.client.request(method, path, opts)
    } catch (err) {
      throw err instanceof HttpError ? fromHttp(err) : err
    }
  }
}

/** namerd refused: its message first, its code kept for callers that branch on it. */
export class RolloutApiError extends CliError {
  override readonly name = 'RolloutApiError'
  constructor(
    readonly status: number,
    readonly apiCode: string | null,
    message: string,
    details: readonly string[],
  ) {
    super(status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'http', message, details)
  }
}

function fromHttp(err: HttpError): CliError {
  // Without namerd's code the body was not namerd's (a proxy in between, an old namerd):
  // the generic error, with its hints, says more.
  if (err.apiCode === null || err.apiMessage === null) {
    if (err.status === 404) {
      return new CliError('not_found', 'namerd has no /api/1/rollouts', [
        ...err.details,
        'is it a namerd from before rollouts (issue 14)? Upgrade it.',
      ])
    }
    return err
  }
  const details: string[] = []
  if (err.status === 401 || err.status === 403) details.push(...err.details.slice(1))
  if (err.status === 412) {
    details.push('the rollout changed since it was read; read it again and retry')
  }
  return new RolloutApiError(err.status, err.apiCode, err.apiMessage, details)
}

function etagOf(res: Response): string {
  return res.headers.get('etag') ?? ''
}

async function parse<T>(schema: z.ZodType<T>, res: Response, what: string): Promise<T> {
  const text = await res.text()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new CliError('invalid_response', `namerd sent ${what} as something other than JSON`, [
      text.slice(0, 200),
    ])
  }
  return checked(schema, value, what)
}

function parseLine(line: string): Rollout {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    // namerd ends a failed watch with its message as a line.
    throw new CliError('http', `the watch ended: namerd: ${line.slice(0, 300)}`)
  }
  return checked(Rollout, value, 'a rollout state')
}

function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  throw new CliError('invalid_response', `namerd sent ${what} in an unexpected shape`, [
    ...parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`),
    'are namerctl and namerd of the same release?',
  ])
}
