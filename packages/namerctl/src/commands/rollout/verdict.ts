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
  /** Told once when namerd stops answering, and once when it answers again. */
  readonly notice?: AwayNotice
}

/** Said when namerd goes away and comes back, so a wait never hangs in silence. */
export interface AwayNotice {
  away(why: string): void
  back(): void
}

/** The lines a watch or a wait prints (to stderr) when namerd goes away and comes back. */
export function awayNotice(
  err: (text: string) => void,
  base: string,
  timeoutMs: number | undefined,
): AwayNotice {
  return {
    away: (why) =>
      err(
        `${why.startsWith('cannot reach namerd') ? why : `cannot reach namerd at ${base}: ${why}`}; ${
          timeoutMs === undefined
            ? 'retrying until it answers (give --timeout to stop)'
            : `retrying for up to ${Math.round(timeoutMs / 100) / 10} s (--timeout)`
        }\n`,
      ),
    back: () => err(`namerd at ${base} answers again; following the rollout\n`),
  }
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
  let told = false
  for (;;) {
    const ac = new AbortController()
    try {
      for await (const rollout of api.watch(ns, id, ac.signal)) {
        awaySince = null
        if (told) {
          told = false
          options.notice?.back()
        }
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
    if (!told && lastError !== 'the watch stream ended') {
      told = true
      options.notice?.away(lastError)
    }
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
  notice?: AwayNotice,
  retryMs = 500,
): Promise<T> {
  const since = Date.now()
  let told = false
  for (;;) {
    try {
      const found = await find()
      if (told) notice?.back()
      return found
    } catch (err) {
      if (!transient(err)) throw err
      if (!told) {
        told = true
        notice?.away(err instanceof Error ? err.message : String(err))
      }
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

/**
 * Ctrl-C (or a CI job's abort, SIGTERM) while following a rollout stops the following, not the
 * rollout: says so (the rollout goes on in namerd) and how to stop it, and exits as a shell
 * expects of a command killed by that signal (130, 143). Returns the undo.
 */
export function interruptNotice(err: (text: string) => void, ns: string, id: string): () => void {
  const on = (code: number) => () => {
    err(
      `\nstopped watching; the rollout carries on (namerctl rollout abort ${ns} ${id} to stop it)\n`,
    )
    process.exit(code)
  }
  const onSigint = on(130)
  const onSigterm = on(143)
  process.once('SIGINT', onSigint)
  process.once('SIGTERM', onSigterm)
  return () => {
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigterm)
  }
}
