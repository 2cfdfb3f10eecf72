// Following a rollout to its end, for `watch` and `start --wait`: namerd's watch stream, resumed
// when it breaks. The exit status is the verdict: 0 succeeded; 1 rolled back, aborted or
// stopped (do not ship); 3 when namerd stayed unreachable past --timeout, so the verdict is
// unknown (a pipeline must not read that as either).
import { isTerminal, type Rollout } from '@switchyard/wire'
import { CliError, HttpError } from '../../errors.js'
import { type RolloutApi, RolloutApiError } from './api.js'

export interface FollowOptions {
  /** How long namerd may stay unreachable; undefined: for ever. */
  readonly timeoutMs: number | undefined
  /** Each state as namerd sends it. */
  readonly onState: (rollout: Rollout) => void
  /** Between attempts to reach namerd again. */
  readonly retryMs?: number
}

/** Whether a failure is namerd being away (retry), not a refusal (give up at once). */
export function transient(err: unknown): boolean {
  // 503: namerd shutting down or its store away; 502/504: a proxy in front of it.
  if (err instanceof RolloutApiError || err instanceof HttpError) {
    return [502, 503, 504].includes(err.status)
  }
  if (err instanceof CliError) return err.code === 'network'
  // The body of a watch cut off mid-stream (namerd killed): fetch's TypeError.
  return err instanceof TypeError
}

/** Follows `id` until a terminal state; returns it. */
export async function follow(
  api: RolloutApi,
  ns: string,
  id: string,
  options: FollowOptions,
): Promise<Rollout> {
  const retryMs = options.retryMs ?? 500
  let awaySince: number | null = null
  let lastError = ''
  for (;;) {
    const ac = new AbortController()
    try {
      for await (const rollout of api.watch(ns, id, ac.signal)) {
        awaySince = null
        options.onState(rollout)
        // Leaving the loop cancels the response body; no abort needed (aborting a fetch whose
        // body is being read throws its AbortError out of abort() itself).
        if (isTerminal(rollout.phase)) return rollout
      }
      // The stream ended without a terminal state (namerd restarted or shut down): again.
      lastError = 'the watch stream ended'
    } catch (err) {
      if (!transient(err)) throw err
      lastError = err instanceof Error ? err.message : String(err)
    }
    awaySince ??= Date.now()
    if (options.timeoutMs !== undefined && Date.now() - awaySince >= options.timeoutMs) {
      throw new CliError(
        'verdict_unknown',
        `the verdict of rollout ${id} is unknown: namerd was unreachable for ${Math.round((Date.now() - awaySince) / 1000)} s (--timeout)`,
        [
          `last: ${lastError}`,
          `the rollout goes on without namerctl; look again with namerctl rollout status ${ns} ${id}`,
        ],
      )
    }
    await new Promise((r) => setTimeout(r, retryMs))
  }
}

/**
 * `find` retried while namerd is away, up to `timeoutMs` (then exit 3): a watch started while
 * namerd restarts still learns the verdict, and one that never reaches namerd says it is unknown.
 */
export async function reach<T>(
  find: () => Promise<T>,
  what: string,
  timeoutMs: number | undefined,
  retryMs = 500,
): Promise<T> {
  const since = Date.now()
  for (;;) {
    try {
      return await find()
    } catch (err) {
      if (!transient(err)) throw err
      if (timeoutMs !== undefined && Date.now() - since >= timeoutMs) {
        throw new CliError(
          'verdict_unknown',
          `the verdict of ${what} is unknown: namerd was unreachable for ${Math.round((Date.now() - since) / 1000)} s (--timeout)`,
          [`last: ${err instanceof Error ? err.message : String(err)}`],
        )
      }
    }
    await new Promise((r) => setTimeout(r, retryMs))
  }
}

/** The verdict as an exit: nothing for success, a CliError (exit 1) otherwise. */
export function verdict(rollout: Rollout): void {
  if (rollout.phase === 'succeeded') return
  throw new CliError(
    'rolled_back',
    `rollout ${rollout.id} ended ${rollout.phase}${rollout.outcome === null ? '' : `: ${rollout.outcome}`}`,
    [
      `do not ship: ${rollout.to} did not take all of ${rollout.prefix} in ${rollout.namespace}`,
      `details: namerctl rollout status ${rollout.namespace} ${rollout.id}`,
    ],
  )
}
