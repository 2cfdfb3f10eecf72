// A rollout's webhook (docs/design/rollouts.md §6): every event POSTed to the rollout's URL as
// `{rollout: {id, namespace, prefix, from, to}, event, phase, weight, analysis}`, with
// `Switchyard-Event-Id: <id>/<seq>` so a receiver can drop the duplicates a new leader's resend
// brings (delivery is at least once). One FIFO queue per rollout, so a receiver sees a
// rollout's events in order and a dead receiver delays only its own rollout; `notify` never
// waits, so the controller never does. A 2xx acknowledges (onDelivered, which the controller
// stores as webhookDelivered); anything else is retried at 0.5, 1, 2, … 60 s, 10 attempts in
// all, then the event is dropped with a log line and the next one goes.
import {
  MAX_ROLLOUT_EVENTS,
  type Rollout,
  type RolloutEvent,
  type StepRecord,
} from '@switchyard/wire'

/** Attempts per event, the first included. */
export const WEBHOOK_ATTEMPTS = 10
/**
 * Events waiting per rollout: a rollout keeps no more than its last MAX_ROLLOUT_EVENTS (500)
 * events either, so a queue this long loses nothing the rollout still has. Past it the oldest
 * waiting event is dropped, with a log line.
 */
export const WEBHOOK_QUEUE_MAX = MAX_ROLLOUT_EVENTS
const DEFAULT_TIMEOUT_MS = 10_000
/** Rollouts whose highest acknowledged seq is remembered after their queue empties. */
const REMEMBERED_MAX = 10_000

/** 0.5 s after the first failed attempt, doubling, at most 60 s. */
export function defaultBackoff(failures: number): number {
  return Math.min(60_000, 500 * 2 ** Math.max(0, failures - 1))
}

/** What the webhook log says: pino's Logger fits. */
export interface WebhookLog {
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
}

/**
 * The step record an event reports on: for a move to the next step (the event's step is past
 * the last judged one), the record of the step that just ended, not the new step's pending
 * one; otherwise the record of the event's own step (a rollback's failing window, a pause);
 * null for an event before any step.
 */
export function analysisFor(rollout: Rollout, event: RolloutEvent): StepRecord | null {
  // Before any step (the start, a smoke run, an abort while pending): no step to report on.
  if (event.step === null) return null
  const own = rollout.stepRecords.findLast((s) => s.index === event.step) ?? null
  if (event.from === 'step' && event.to === 'step' && own !== null && own.windowEnd === null) {
    const previous = rollout.stepRecords.findLast(
      (s) => event.step !== null && s.index < event.step && s.windowEnd !== null,
    )
    // A move out of a step: the new one was entered by this very event.
    if (previous !== undefined && own.startedAt === event.time) return previous
  }
  if ((event.to === 'gate' || event.to === 'succeeded') && (own === null || own.windowEnd === null))
    return rollout.stepRecords.findLast((s) => s.windowEnd !== null) ?? own
  return own ?? rollout.stepRecords.at(-1) ?? null
}

export interface WebhookOptions {
  readonly log: WebhookLog
  /** A 2xx came back for event `seq` of the rollout. */
  onDelivered(namespace: string, id: string, seq: number): void
  /**
   * Event `seq` was given up on after WEBHOOK_ATTEMPTS attempts: the controller records it as
   * handled (webhookDelivered), so no replica sends it again after a restart.
   */
  onGaveUp?(namespace: string, id: string, seq: number): void
  /** For tests and metrics: the fetch used; default the global one. */
  readonly fetch?: typeof fetch
  /** Milliseconds to wait after the n-th failed attempt (n from 1); default defaultBackoff. */
  readonly backoff?: (failures: number) => number
  /** Per attempt; default 10 s. */
  readonly timeoutMs?: number
  /** Told of each attempt's result, for namerd_rollout_webhook_deliveries_total. */
  readonly onAttempt?: (result: 'delivered' | 'failed' | 'dropped') => void
}

/** The body of one POST. */
export interface WebhookPayload {
  readonly rollout: {
    readonly id: string
    readonly namespace: string
    readonly prefix: string
    readonly from: string
    readonly to: string
  }
  readonly event: RolloutEvent
  readonly phase: Rollout['phase']
  readonly weight: number | null
  readonly analysis: StepRecord | null
}

interface Pending {
  readonly url: string
  readonly seq: number
  readonly body: string
  failures: number
}

interface Queue {
  readonly namespace: string
  readonly id: string
  readonly items: Pending[]
  /** The highest seq acknowledged here: a resend of it or of an older one is not queued. */
  delivered: number
  /** Failed attempts since the last delivery: a streak is logged once, at its start. */
  failing: number
  busy: boolean
  timer: NodeJS.Timeout | null
}

export class WebhookNotifier {
  private readonly queues = new Map<string, Queue>()
  /**
   * The highest seq acknowledged per rollout, kept after its queue empties: the stored
   * webhookDelivered a caller passes lags behind onDelivered, and a resend of an acknowledged
   * event is not sent again. The oldest entries go first past REMEMBERED_MAX.
   */
  private readonly delivered = new Map<string, number>()
  private readonly closing = new AbortController()
  private readonly fetch: typeof fetch
  private readonly backoff: (failures: number) => number
  private readonly timeoutMs: number

  constructor(private readonly options: WebhookOptions) {
    this.fetch = options.fetch ?? globalThis.fetch
    this.backoff = options.backoff ?? defaultBackoff
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  /**
   * Queues `event` for the rollout's webhook (none: nothing to do) and returns at once. The
   * analysis sent is analysisFor(rollout, event) (the step the event ends or reports on);
   * `analysis` is used only for a rollout with no step records.
   */
  notify(rollout: Rollout, event: RolloutEvent, analysis: StepRecord | null): void {
    if (rollout.webhook === null || this.closing.signal.aborted) return
    const key = `${rollout.namespace}/${rollout.id}`
    let queue = this.queues.get(key)
    if (queue === undefined) {
      queue = {
        namespace: rollout.namespace,
        id: rollout.id,
        items: [],
        delivered: Math.max(rollout.webhookDelivered, this.delivered.get(key) ?? 0),
        failing: 0,
        busy: false,
        timer: null,
      }
      this.queues.set(key, queue)
    }
    if (event.seq <= queue.delivered || queue.items.some((p) => p.seq === event.seq)) return
    const payload: WebhookPayload = {
      rollout: {
        id: rollout.id,
        namespace: rollout.namespace,
        prefix: rollout.prefix,
        from: rollout.from,
        to: rollout.to,
      },
      event,
      phase: event.to,
      weight: event.weight,
      analysis: rollout.stepRecords.length > 0 ? analysisFor(rollout, event) : analysis,
    }
    queue.items.push({
      url: rollout.webhook,
      seq: event.seq,
      body: JSON.stringify(payload),
      failures: 0,
    })
    if (queue.items.length > WEBHOOK_QUEUE_MAX) {
      // Not the head while it is being sent: the one after it.
      const dropped = queue.items.splice(queue.busy ? 1 : 0, 1)[0]!
      this.options.onAttempt?.('dropped')
      this.options.log.warn(
        { rollout: key, seq: dropped.seq, url: dropped.url, queued: WEBHOOK_QUEUE_MAX },
        `webhook: ${WEBHOOK_QUEUE_MAX} events of rollout ${key} wait for ${dropped.url}; dropped the oldest waiting, event ${dropped.seq}`,
      )
    }
    this.pump(queue)
  }

  /** Stops every timer and attempt in flight; later notifies do nothing. */
  async close(): Promise<void> {
    this.closing.abort()
    for (const queue of this.queues.values()) {
      if (queue.timer !== null) clearTimeout(queue.timer)
      queue.timer = null
      queue.items.length = 0
    }
    this.queues.clear()
  }

  private remember(key: string, seq: number): void {
    this.delivered.delete(key)
    this.delivered.set(key, seq)
    if (this.delivered.size > REMEMBERED_MAX) {
      const oldest = this.delivered.keys().next().value
      if (oldest !== undefined) this.delivered.delete(oldest)
    }
  }

  /** Sends the queue's head unless it is already being sent or waiting to be retried. */
  private pump(queue: Queue): void {
    if (queue.busy || queue.timer !== null || this.closing.signal.aborted) return
    const head = queue.items[0]
    if (head === undefined) {
      this.queues.delete(`${queue.namespace}/${queue.id}`)
      return
    }
    queue.busy = true
    void this.attempt(queue, head).then((outcome) => {
      queue.busy = false
      if (this.closing.signal.aborted) return
      if (outcome === null) {
        queue.items.shift()
        queue.delivered = Math.max(queue.delivered, head.seq)
        this.remember(`${queue.namespace}/${queue.id}`, queue.delivered)
        this.options.onAttempt?.('delivered')
        if (queue.failing > 0) {
          this.options.log.info(
            { rollout: `${queue.namespace}/${queue.id}`, url: head.url, failed: queue.failing },
            `webhook: ${head.url} answers again for rollout ${queue.namespace}/${queue.id} (after ${queue.failing} failed attempt${queue.failing === 1 ? '' : 's'})`,
          )
          queue.failing = 0
        }
        this.options.onDelivered(queue.namespace, queue.id, head.seq)
        this.pump(queue)
        return
      }
      head.failures++
      queue.failing++
      if (queue.failing === 1) {
        // Once per streak: a dead receiver retried for minutes says so once, not ten times.
        this.options.log.warn(
          {
            rollout: `${queue.namespace}/${queue.id}`,
            seq: head.seq,
            url: head.url,
            error: outcome,
          },
          `webhook: delivering event ${queue.id}/${head.seq} to ${head.url} failed (${outcome}); retrying with backoff, and saying so again only once it answers`,
        )
      }
      if (head.failures >= WEBHOOK_ATTEMPTS) {
        queue.items.shift()
        this.options.onAttempt?.('dropped')
        this.options.log.warn(
          {
            rollout: `${queue.namespace}/${queue.id}`,
            seq: head.seq,
            url: head.url,
            attempts: head.failures,
            error: outcome,
          },
          `webhook: gave up on event ${queue.id}/${head.seq} after ${head.failures} attempts to ${head.url} (last: ${outcome}); sending the next`,
        )
        this.options.onGaveUp?.(queue.namespace, queue.id, head.seq)
        this.pump(queue)
        return
      }
      this.options.onAttempt?.('failed')
      queue.timer = setTimeout(() => {
        queue.timer = null
        this.pump(queue)
      }, this.backoff(head.failures))
      queue.timer.unref()
    })
  }

  /** One POST: null when acknowledged, else what went wrong. */
  private async attempt(queue: Queue, item: Pending): Promise<string | null> {
    try {
      const res = await this.fetch(item.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'switchyard-event-id': `${queue.id}/${item.seq}`,
        },
        body: item.body,
        signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.timeoutMs)]),
      })
      await res.body?.cancel().catch(() => {})
      return res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}`
    } catch (err) {
      const e = err as Error & { cause?: { message?: string } }
      return e.name === 'TimeoutError'
        ? `no answer within ${this.timeoutMs} ms`
        : (e.cause?.message ?? e.message)
    }
  }
}
