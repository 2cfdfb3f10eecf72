// Leader election on a LeaseStore, the same on every backend (docs/design/rollouts.md §2).
//
// Expiry is judged on the observer's own clock, as client-go's leaderelection does: a lease held
// by someone else is free once its version has not changed for `durationMs` since this replica
// first saw that version. No replica trusts another's clock; `renewedAt` is for people only.
// The holder renews every durationMs/3 and gives up leadership (onDeposed) when no renewal has
// succeeded for 2/3 of durationMs, well before any other replica may take over: the others wait
// a full durationMs from when they saw the last renewal, which was no earlier than ours.
import type { StoreLogger } from './k8s-health.js'
import type { LeaseRecord, LeaseStore, LeaseWrite } from './rollouts.js'
import { VersionMismatchError } from './store.js'
import { versionToETag } from './version.js'

export interface LeaseElectorOptions {
  readonly leases: LeaseStore
  /** The lease's name, e.g. `rollouts-leader`. */
  readonly name: string
  /** Who we are (a replica id); stored as the lease's holder. */
  readonly holder: string
  readonly durationMs: number
  /** Called when this replica becomes the leader. */
  onElected(): void
  /** Called when it stops being the leader (lost, failed to renew in time, or closed). */
  onDeposed(): void
  readonly log?: StoreLogger
}

/** A monotonic clock, so a wall-clock jump neither expires nor extends a lease. */
const now = (): number => performance.now()

export class LeaseElector {
  private leader = false
  /** The lease as we last wrote or read it. */
  private current: LeaseRecord | null = null
  /** The version of someone else's lease we are watching, and when we first saw it. */
  private observed: { version: string; since: number } | null = null
  /** When our last renewal (or the acquisition) succeeded. */
  private renewedAt = 0
  private timer: NodeJS.Timeout | null = null
  /** Deposes the leader when no renewal has succeeded in time, even if a store call hangs. */
  private deadline: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private started = false
  private closed = false

  constructor(private readonly options: LeaseElectorOptions) {
    if (!(options.durationMs > 0)) throw new Error('LeaseElector: durationMs must be positive')
  }

  get isLeader(): boolean {
    return this.leader
  }

  start(): void {
    if (this.started || this.closed) return
    this.started = true
    this.schedule(0)
  }

  /**
   * Stops electing. With `release`, a leader frees the lease (holder null) so another replica
   * takes over at once; without it (a kill, in tests) the others wait out the lease. A leader is
   * deposed (onDeposed) before the lease is released.
   */
  async close(options: { release: boolean }): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    // A leader that closes is deposed first, whatever a store call in flight does.
    this.depose('closed')
    // Wait for a round in flight (so the release below is not overtaken), but not forever: a
    // store call that hangs must not hang the shutdown.
    await bounded(
      this.running?.catch(() => {}),
      this.options.durationMs,
    )
    this.depose('closed')
    const lease = this.current
    if (options.release && lease && lease.holder === this.options.holder) {
      try {
        const released = this.options.leases.write(
          this.options.name,
          { ...fields(lease), holder: null, renewedAt: new Date() },
          lease.version,
        )
        if (!(await bounded(released, this.options.durationMs))) {
          throw new Error(`no answer within ${this.options.durationMs} ms`)
        }
      } catch (err) {
        this.options.log?.warn(
          { lease: this.options.name, err: message(err) },
          'could not release the lease; the other replicas take over once it expires',
        )
      }
    }
  }

  private schedule(ms: number): void {
    if (this.closed) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.running = this.round().finally(() => {
        this.running = null
      })
    }, ms)
    this.timer.unref?.()
  }

  private get period(): number {
    return Math.max(1, Math.floor(this.options.durationMs / 3))
  }

  private async round(): Promise<void> {
    try {
      await this.attempt()
    } catch (err) {
      if (this.leader) {
        this.options.log?.warn(
          { lease: this.options.name, err: message(err) },
          'could not renew the lease; retrying',
        )
      }
    }
    if (this.closed) return
    if (this.leader && now() - this.renewedAt >= (2 * this.options.durationMs) / 3) {
      this.depose('no renewal succeeded within 2/3 of the lease duration')
    }
    // A leader whose renewal failed retries sooner, to renew within its deadline if it can.
    const retry = this.leader && now() - this.renewedAt > this.period
    this.schedule(retry ? Math.max(1, Math.floor(this.period / 4)) : this.period)
  }

  private async attempt(): Promise<void> {
    const { leases, name, holder, durationMs } = this.options
    const lease = await leases.get(name)
    if (this.closed) return
    const t = now()
    if (lease === null) {
      await this.take(
        null,
        {
          holder,
          durationMs,
          acquiredAt: new Date(),
          renewedAt: new Date(),
          transitions: 0,
          data: null,
        },
        t,
      )
      return
    }
    if (lease.holder === holder) {
      // Ours: renew (also after a restart under the same holder name).
      await this.take(lease, { ...fields(lease), durationMs, renewedAt: new Date() }, t)
      return
    }
    if (this.leader) this.depose(`the lease is held by ${lease.holder ?? 'nobody'} now`)
    const version = versionToETag(lease.version)
    if (this.observed?.version !== version) this.observed = { version, since: t }
    this.current = lease
    const expired = lease.holder === null || t - this.observed.since >= lease.durationMs
    if (!expired) return
    await this.take(
      lease,
      {
        holder,
        durationMs,
        acquiredAt: new Date(),
        renewedAt: new Date(),
        transitions: lease.transitions + 1,
        data: null,
      },
      t,
    )
  }

  /** Writes the lease as ours; on a conflict, someone else got there first. */
  private async take(
    expected: LeaseRecord | null,
    next: LeaseWrite,
    startedAt: number,
  ): Promise<void> {
    let written: LeaseRecord
    try {
      written = await this.options.leases.write(this.options.name, next, expected?.version ?? null)
    } catch (err) {
      if (err instanceof VersionMismatchError) {
        this.observed = null
        if (this.leader) this.depose('another replica wrote the lease')
        return
      }
      throw err
    }
    this.current = written
    this.observed = null
    // Count from before the write was sent: the others saw the new version no earlier.
    this.renewedAt = startedAt
    if (this.closed) return
    // A write that took longer than the renew deadline gives no leadership: the next round
    // renews again, quickly this time or not at all.
    if (now() - startedAt >= (2 * this.options.durationMs) / 3) return
    if (this.deadline) clearTimeout(this.deadline)
    const left = Math.max(0, startedAt + (2 * this.options.durationMs) / 3 - now())
    this.deadline = setTimeout(() => {
      this.deadline = null
      this.depose('no renewal succeeded within 2/3 of the lease duration')
    }, left)
    this.deadline.unref?.()
    if (!this.leader) {
      this.leader = true
      this.options.log?.info(
        { lease: this.options.name, holder: this.options.holder },
        'elected: this replica holds the lease',
      )
      this.options.onElected()
    }
  }

  private depose(why: string): void {
    if (this.deadline) clearTimeout(this.deadline)
    this.deadline = null
    if (!this.leader) return
    this.leader = false
    this.options.log?.warn(
      { lease: this.options.name, holder: this.options.holder, why },
      'deposed',
    )
    this.options.onDeposed()
  }
}

/** Waits for `promise` at most `ms`; true if it settled in time (a rejection is the caller's). */
async function bounded(promise: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!promise) return true
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([promise.then(() => true as const), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function fields(lease: LeaseRecord): LeaseWrite {
  return {
    holder: lease.holder,
    durationMs: lease.durationMs,
    acquiredAt: lease.acquiredAt,
    renewedAt: lease.renewedAt,
    transitions: lease.transitions,
    data: lease.data,
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
