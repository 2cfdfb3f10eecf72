// Where a rollout's analysis reads what each version did over a window (docs/design/rollouts.md
// §4): the proxies' own snapshots, or a Prometheus server scraping them. Both answer the same
// reading, and a source that cannot read says so: the controller pauses, it never guesses.
import type { Thresholds, VersionStats } from '@switchyard/wire'

/** The concrete ids (transformer prefix stripped) each version's name bound to. */
export interface VersionIds {
  readonly from: readonly string[]
  readonly to: readonly string[]
}

export interface WindowReading {
  readonly from: VersionStats
  readonly to: VersionStats
  /** How many proxies (or Prometheus series' instances) contributed. */
  readonly proxies: number
  /** The end of the window actually read. */
  readonly at: Date
}

export type ReadResult =
  | { readonly ok: true; readonly reading: WindowReading }
  | { readonly ok: false; readonly problem: string }

export interface MetricsSource {
  /** What `from` and `to` did between `start` and `end` in namespace `ns`. */
  read(ns: string, ids: VersionIds, start: Date, end: Date): Promise<ReadResult>
  /** Stops timers and connections. */
  close(): Promise<void>
}

/**
 * A verdict on one reading: `insufficient` below minRequests to `to`; `fail` when its success
 * rate is under, or its p99 over, the thresholds; `pass` at the end of the window (`final`),
 * `continue` before it. Implemented in judge.ts.
 */
export type Judgement =
  | { readonly verdict: 'insufficient' }
  | { readonly verdict: 'continue' }
  | { readonly verdict: 'pass' }
  | {
      readonly verdict: 'fail'
      readonly metric: 'success-rate' | 'p99'
      readonly value: number
      readonly threshold: number
      /** "success rate 79.8% < 99% (412 requests)" */
      readonly detail: string
    }

export type Judge = (reading: WindowReading, thresholds: Thresholds, final: boolean) => Judgement
