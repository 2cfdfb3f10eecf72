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

/**
 * Whether a namespace's metrics can be read now. `waiting`: not yet, and no fault (a new leader
 * waiting for the proxies to register again): wait without pausing.
 */
export type ProbeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly problem: string; readonly waiting?: boolean }

export interface MetricsSource {
  /**
   * What `from` and `to` did between `start` and `end` in namespace `ns`: only traffic after
   * `start`, never from a baseline taken before it.
   */
  read(ns: string, ids: VersionIds, start: Date, end: Date): Promise<ReadResult>
  /**
   * A window starts at `at` in `ns` (a step's write acknowledged, a resume, the end of a metrics
   * pause, a new leader taking a rollout over), and the probe before a rollout's first dtab
   * write: takes a baseline at once (the proxies source scrapes now), and says whether `ns` can
   * be read. Optional: a source without it is taken as readable until a read says otherwise.
   */
  mark?(ns: string, at: Date): Promise<ProbeResult>
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
