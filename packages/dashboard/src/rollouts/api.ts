// namerd's rollout endpoints as the views use them: the list (polled), one rollout's watch
// stream (one JSON rollout per line), and the actions, each answer checked by wire's schemas.
import { Rollout, RolloutList } from '@switchyard/wire'
import type { Api } from '../api/client.js'
import { ApiError } from '../api/errors.js'
import type { ActionName } from './model.js'

const enc = encodeURIComponent

export function listRollouts(
  api: Api,
  ns: string | undefined,
  signal: AbortSignal,
): Promise<RolloutList> {
  const q = ns === undefined ? '' : `?namespace=${enc(ns)}`
  return api.json(`/api/1/rollouts${q}`, RolloutList, { signal })
}

/** The namespace's active rollouts (not ended), for warning before a write that would stop one. */
export function listActiveRollouts(
  api: Api,
  ns: string,
  signal: AbortSignal,
): Promise<RolloutList> {
  return api.json(`/api/1/rollouts?namespace=${enc(ns)}&active=true`, RolloutList, { signal })
}

export function rolloutPath(ns: string, id: string): string {
  return `/api/1/rollouts/${enc(ns)}/${enc(id)}`
}

/** One line of the rollout's watch stream; a bad one is an ApiError the view shows. */
export function parseRolloutLine(line: string): Rollout {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new ApiError('unexpected', 200, 'bad_answer', "a line of the rollout's watch is not JSON")
  }
  const parsed = Rollout.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ApiError(
      'unexpected',
      200,
      'bad_answer',
      `the rollout namerd sent is not what this page expects (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); is the page from the same namerd version?`,
    )
  }
  return parsed.data
}

/**
 * Queues `action` (202: the leader takes it at its next round). Rejects with namerd's ApiError,
 * e.g. 409 action_not_allowed / already_paused / not_paused when the phase does not allow it.
 */
export function act(
  api: Api,
  ns: string,
  id: string,
  action: ActionName,
  why: string,
): Promise<Rollout> {
  const body = why.trim() === '' ? {} : { why: why.trim() }
  return api.json(`${rolloutPath(ns, id)}/${action}`, Rollout, {
    method: 'POST',
    body: JSON.stringify(body),
    contentType: 'application/json',
  })
}
