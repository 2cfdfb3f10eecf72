// Read, change, write back with If-Match, and on 412 start over from a fresh read: the only
// safe way to change one part of a dtab that others may be changing too. Every write is based
// on the version it was computed from, so a change is never lost and never lands on a stale
// dtab; the number of attempts is bounded so a busy namespace cannot keep us forever.
import type { NamerdClient, Versioned } from './client.js'
import { CliError, HttpError } from './errors.js'
import type { DentryJson } from './schemas.js'

export interface CasOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number
  /** The first pause after a conflict; doubled each time, with jitter. */
  readonly baseDelayMs?: number
  /** Called before each retry, with the 412 that caused it. */
  readonly onRetry?: (attempt: number, of: number, err: HttpError) => void
}

export interface CasOutcome<T> {
  /** The state the winning attempt read. */
  readonly base: Versioned
  readonly result: T
  /** The version written; null on a dry run or when nothing changed. */
  readonly written: string | null
  readonly attempts: number
}

export interface Change<T> {
  readonly dtab: DentryJson[] | null
  readonly result: T
}

/**
 * `change` computes the new dentries from the current state (and anything else it wants to
 * report), or `dtab: null` for no change; it may be async (to check the new dtab with namerd). With `write: false` nothing is written.
 */
export async function readModifyWrite<T>(
  client: NamerdClient,
  ns: string,
  change: (current: Versioned) => Change<T> | Promise<Change<T>>,
  options: CasOptions & { readonly write: boolean },
): Promise<CasOutcome<T>> {
  const base = options.baseDelayMs ?? 50
  for (let attempt = 1; ; attempt++) {
    const current = await client.get(ns)
    const { dtab, result } = await change(current)
    if (dtab === null || !options.write)
      return { base: current, result, written: null, attempts: attempt }
    try {
      const written = await client.update(
        ns,
        { contentType: 'application/json', text: JSON.stringify(dtab) },
        current.version,
      )
      return { base: current, result, written: written ?? '', attempts: attempt }
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 412) throw err
      if (attempt >= options.attempts) {
        throw new CliError(
          'conflict',
          `gave up after ${attempt} attempts: ${ns} kept changing between our read and our write (412 Precondition Failed each time)`,
          [
            'nothing was written. Other writers are busy on this namespace; run the command again, or raise --attempts.',
          ],
        )
      }
      options.onRetry?.(attempt + 1, options.attempts, err)
      // Jittered exponential pause, so writers that collided do not collide again in step.
      const delay = base * 2 ** (attempt - 1) * (0.5 + Math.random())
      await new Promise((r) => setTimeout(r, delay))
    }
  }
}
