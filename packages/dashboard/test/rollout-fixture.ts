// A rollout as namerd's wire schema has it, for the dashboard's unit tests of the rollout views
// and of the editor's review (which rollouts an edit stops): world moving from v1 to v2 in
// steps of 10, 50 and 100% with a gate before 50%, at its first step; `over` changes any field.
import type { Rollout, RolloutSummary } from '@switchyard/wire'

export const T0 = '2026-12-05T12:00:00.000Z'

export function rollout(over: Partial<Rollout> = {}): Rollout {
  return {
    prefix: '/host/world',
    from: '/srv/world-v1',
    to: '/srv/world-v2',
    steps: [10, 50, 100],
    intervalMs: 60_000,
    progressDeadlineMs: 600_000,
    thresholds: { minSuccessRate: 0.99, maxP99Ms: null, minRequests: 100 },
    smoke: null,
    gates: [50],
    metrics: { kind: 'proxies' },
    webhook: null,
    reason: null,
    id: 'world-20261205t120000-abcd',
    namespace: 'demo',
    phase: 'step',
    step: 0,
    pause: null,
    before: {
      version: 'AAAAAAAAAAE=',
      dtab: '/host/world=>/srv/world-v1',
      dentry: '/host/world=>/srv/world-v1',
    },
    lastWritten: null,
    intent: null,
    requests: [],
    stepRecords: [],
    smokeResult: null,
    events: [],
    webhookDelivered: 0,
    createdBy: 'alice',
    createdAt: T0,
    updatedAt: T0,
    endedAt: null,
    outcome: null,
    ...over,
  }
}

/** The same as a list entry (GET /api/1/rollouts): without events, step records and requests. */
export function rolloutSummary(over: Partial<RolloutSummary> = {}): RolloutSummary {
  const { events: _e, stepRecords: _s, requests: _r, ...summary } = rollout(over)
  return summary
}
