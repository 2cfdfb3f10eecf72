// Rollouts (issue 14; docs/design/rollouts.md §1): the rollout object namerd stores and serves at
// /api/1/rollouts, and namerctl reads. Durations are integer milliseconds, rates are fractions
// (0.99); namerctl turns `1m` and `99%` into these. The store keeps this same JSON.
import { z } from 'zod'

export const RolloutPhase = z.enum([
  /** Stored; no leader has taken it up yet. */
  'pending',
  /** Staging requests through a proxy with `l5d-dtab`. */
  'smoke',
  /** A weighted step: shifting, then analysing. */
  'step',
  /** Waiting for `promote` before steps[step]. */
  'gate',
  /** Restoring the dtab from before. */
  'rolling-back',
  'succeeded',
  'rolled-back',
  'aborted',
  'stopped',
])
export type RolloutPhase = z.infer<typeof RolloutPhase>

export const TERMINAL_PHASES: readonly RolloutPhase[] = [
  'succeeded',
  'rolled-back',
  'aborted',
  'stopped',
]
export function isTerminal(phase: RolloutPhase): boolean {
  return TERMINAL_PHASES.includes(phase)
}

export const Thresholds = z.strictObject({
  /** --min-success 99% → 0.99: the new version's success rate over a window must reach it. */
  minSuccessRate: z.number().min(0).max(1),
  /** --max-p99 300ms; null: latency is not judged. */
  maxP99Ms: z.number().positive().nullable(),
  /** --min-requests 100: requests to `to` in a window before it is judged at all. */
  minRequests: z.int().min(1),
})
export type Thresholds = z.infer<typeof Thresholds>

/** One expected status: `2xx` or an exact code such as `204`. */
export const ExpectedStatus = z.string().regex(/^[1-5](xx|\d\d)$/)

export const Smoke = z.strictObject({
  /** A proxy's server (not clearContext), e.g. http://127.0.0.1:4140/health. */
  url: z.url(),
  /** Host header (the proxy identifies by Host); null: the URL's own. */
  host: z.string().nullable(),
  requests: z.int().min(1).max(1000),
  expect: z.array(ExpectedStatus).min(1),
  timeoutMs: z.int().positive(),
})
export type Smoke = z.infer<typeof Smoke>

export const MetricsSourceSpec = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('proxies') }),
  z.strictObject({ kind: z.literal('prometheus'), url: z.url(), lagMs: z.int().nonnegative() }),
])
export type MetricsSourceSpec = z.infer<typeof MetricsSourceSpec>

/** The body of `POST /api/1/rollouts/<ns>`. */
export const RolloutSpec = z.strictObject({
  /** A dentry prefix in Path.show form: /host/world. */
  prefix: z.string(),
  /** Name trees in show form: the dentry's tree now, and the one it ends at. */
  from: z.string(),
  to: z.string(),
  /** Weights of `to`, strictly increasing, the last 100. */
  steps: z.array(z.int().min(1).max(100)).min(1),
  intervalMs: z.int().min(100),
  /** How long a step may wait for enough traffic; default 10 × interval. */
  progressDeadlineMs: z.int().min(100),
  thresholds: Thresholds,
  smoke: Smoke.nullable(),
  /** Weights to wait at, for promote, before they are applied (--gate-before 100). */
  gates: z.array(z.int().min(1).max(100)),
  metrics: MetricsSourceSpec,
  webhook: z.url().nullable(),
  /** --reason "Jenkins build #512" */
  reason: z.string().max(1000).nullable(),
})
export type RolloutSpec = z.infer<typeof RolloutSpec>

/** What one version (from or to) did over a window. */
export const VersionStats = z.strictObject({
  /** The concrete ids the name bound to (as in l5d-dst-client, transformer prefix stripped). */
  ids: z.array(z.string()),
  requests: z.int().nonnegative(),
  successes: z.int().nonnegative(),
  failures: z.int().nonnegative(),
  /** null with no requests. */
  successRate: z.number().nullable(),
  p99Ms: z.number().nullable(),
  ratePerSec: z.number(),
})
export type VersionStats = z.infer<typeof VersionStats>

export const StepVerdict = z.enum([
  'pending',
  'pass',
  'fail',
  'insufficient',
  'unreadable',
  'skipped',
])
export type StepVerdict = z.infer<typeof StepVerdict>

export const FailedCheck = z.strictObject({
  metric: z.enum(['success-rate', 'p99', 'progress-deadline', 'smoke']),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  detail: z.string(),
})
export type FailedCheck = z.infer<typeof FailedCheck>

export const StepRecord = z.strictObject({
  index: z.int().nonnegative(),
  weight: z.int(),
  startedAt: z.iso.datetime(),
  /** ETag of the dtab this step wrote. */
  shiftedVersion: z.string().nullable(),
  windowStart: z.iso.datetime().nullable(),
  windowEnd: z.iso.datetime().nullable(),
  /** Judgements made in this window. */
  checks: z.int().nonnegative(),
  verdict: StepVerdict,
  from: VersionStats.nullable(),
  to: VersionStats.nullable(),
  /** What broke, for the rollback's why. */
  failed: FailedCheck.nullable(),
})
export type StepRecord = z.infer<typeof StepRecord>

export const RolloutEvent = z.strictObject({
  seq: z.int().nonnegative(),
  time: z.iso.datetime(),
  from: RolloutPhase,
  to: RolloutPhase,
  step: z.int().nullable(),
  weight: z.int().nullable(),
  /** A token name, or `controller@<replica>` for automatic moves. */
  who: z.string(),
  /** "step 2 of 4: success rate 79.8% < 99% (412 requests)" */
  why: z.string(),
  /** The dtab write this transition made (ETag), if any. */
  dtabVersion: z.string().nullable(),
})
export type RolloutEvent = z.infer<typeof RolloutEvent>

export const RolloutAction = z.enum(['pause', 'resume', 'promote', 'promote-full', 'abort'])
export type RolloutAction = z.infer<typeof RolloutAction>

export const RolloutRequest = z.strictObject({
  action: RolloutAction,
  who: z.string(),
  why: z.string().nullable(),
  at: z.iso.datetime(),
})
export type RolloutRequest = z.infer<typeof RolloutRequest>

export const ROLLOUT_ID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
/** Events kept on a rollout; older ones are dropped (the history keeps the dtab writes). */
export const MAX_ROLLOUT_EVENTS = 500

export const RolloutPause = z.strictObject({
  by: z.enum(['user', 'metrics']),
  since: z.iso.datetime(),
  who: z.string(),
  why: z.string(),
})
export type RolloutPause = z.infer<typeof RolloutPause>

export const RolloutIntent = z.strictObject({
  dentry: z.string(),
  /** The dtab version (ETag) the write is based on. */
  basedOn: z.string(),
  step: z.int().nullable(),
  purpose: z.enum(['step', 'full', 'rollback']),
})
export type RolloutIntent = z.infer<typeof RolloutIntent>

export const Rollout = RolloutSpec.extend({
  /** e.g. world-20261205t044812-7f3a */
  id: z.string().regex(ROLLOUT_ID),
  namespace: z.string(),
  phase: RolloutPhase,
  /** Index into steps; null before the first step. */
  step: z.int().nullable(),
  /** An overlay on a non-terminal phase: the weight stays, analysis stops. */
  pause: RolloutPause.nullable(),
  /** The dtab from before the rollout, as validated at start: version (ETag), Dtab.show text, and the dentry's text. */
  before: z.strictObject({ version: z.string(), dtab: z.string(), dentry: z.string() }),
  /** The last dtab write this rollout made: version (ETag) and the dentry's text. */
  lastWritten: z.strictObject({ version: z.string(), dentry: z.string() }).nullable(),
  /** A dtab write begun and not yet acknowledged (a new leader finishes or redoes it). */
  intent: RolloutIntent.nullable(),
  /** pause/resume/promote/abort, queued by any replica, taken by the leader. */
  requests: z.array(RolloutRequest),
  stepRecords: z.array(StepRecord),
  smokeResult: z
    .strictObject({ sent: z.int(), passed: z.int(), firstFailure: z.string().nullable() })
    .nullable(),
  /** Every transition, the last MAX_ROLLOUT_EVENTS. */
  events: z.array(RolloutEvent),
  /** Highest event seq acknowledged by the webhook. */
  webhookDelivered: z.int(),
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().nullable(),
  /** The final why. */
  outcome: z.string().nullable(),
})
export type Rollout = z.infer<typeof Rollout>

/** A rollout in `GET /api/1/rollouts`: without events and step records. */
export const RolloutSummary = Rollout.omit({ events: true, stepRecords: true, requests: true })
export type RolloutSummary = z.infer<typeof RolloutSummary>

export const RolloutList = z.strictObject({ rollouts: z.array(RolloutSummary) })
export type RolloutList = z.infer<typeof RolloutList>

/** The body of POST /api/1/rollouts/<ns>/<id>/{pause,resume,promote,abort}. */
export const RolloutActionBody = z.strictObject({
  why: z.string().max(1000).optional(),
  full: z.boolean().optional(),
})
export type RolloutActionBody = z.infer<typeof RolloutActionBody>

/** One entry of `GET .../history?include=rollouts` that is not a dtab write. */
export const RolloutHistoryEntry = z.strictObject({
  op: z.literal('rollout'),
  time: z.iso.datetime(),
  rollout: z.string(),
  event: RolloutEvent,
})
export type RolloutHistoryEntry = z.infer<typeof RolloutHistoryEntry>

/**
 * The defaults of a start, the same for `namerctl rollout start` and a bare
 * `POST /api/1/rollouts/<ns>` (Flagger's and Argo Rollouts' habits: a few steps, a minute
 * each, 99% success, enough requests to mean something).
 */
export const ROLLOUT_DEFAULTS = {
  steps: [10, 25, 50, 100],
  intervalMs: 60_000,
  /** progressDeadlineMs defaults to this many intervals. */
  progressDeadlineIntervals: 10,
  minSuccessRate: 0.99,
  minRequests: 100,
  smokeRequests: 20,
  smokeExpect: ['2xx'],
  smokeTimeoutMs: 5_000,
  prometheusLagMs: 10_000,
} as const

/**
 * The body `POST /api/1/rollouts/<ns>` accepts: a RolloutSpec in which every field but
 * `prefix` and `to` may be left out. `from` left out is the dentry's tree now (namerd reads it);
 * `progressDeadlineMs` left out is 10 × intervalMs. A full RolloutSpec is also a valid body.
 */
export const RolloutStartBody = z.strictObject({
  prefix: z.string(),
  from: z.string().optional(),
  to: z.string(),
  steps: RolloutSpec.shape.steps.default([...ROLLOUT_DEFAULTS.steps]),
  intervalMs: RolloutSpec.shape.intervalMs.default(ROLLOUT_DEFAULTS.intervalMs),
  progressDeadlineMs: RolloutSpec.shape.progressDeadlineMs.optional(),
  thresholds: z
    .strictObject({
      minSuccessRate: Thresholds.shape.minSuccessRate.default(ROLLOUT_DEFAULTS.minSuccessRate),
      maxP99Ms: Thresholds.shape.maxP99Ms.default(null),
      minRequests: Thresholds.shape.minRequests.default(ROLLOUT_DEFAULTS.minRequests),
    })
    .prefault({}),
  smoke: z
    .strictObject({
      url: Smoke.shape.url,
      host: Smoke.shape.host.default(null),
      requests: Smoke.shape.requests.default(ROLLOUT_DEFAULTS.smokeRequests),
      expect: Smoke.shape.expect.default([...ROLLOUT_DEFAULTS.smokeExpect]),
      timeoutMs: Smoke.shape.timeoutMs.default(ROLLOUT_DEFAULTS.smokeTimeoutMs),
    })
    .nullable()
    .default(null),
  gates: RolloutSpec.shape.gates.default([]),
  metrics: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('proxies') }),
      z.strictObject({
        kind: z.literal('prometheus'),
        url: z.url(),
        lagMs: z.int().nonnegative().default(ROLLOUT_DEFAULTS.prometheusLagMs),
      }),
    ])
    .default({ kind: 'proxies' }),
  webhook: RolloutSpec.shape.webhook.default(null),
  reason: RolloutSpec.shape.reason.default(null),
})
export type RolloutStartBody = z.output<typeof RolloutStartBody>

/** The full spec of a start body, given the `from` to use when the body has none. */
export function specOfStart(body: RolloutStartBody, fromNow: string): RolloutSpec {
  return {
    ...body,
    from: body.from ?? fromNow,
    progressDeadlineMs:
      body.progressDeadlineMs ?? body.intervalMs * ROLLOUT_DEFAULTS.progressDeadlineIntervals,
  }
}
