// namerd's rollout metrics (docs/design/rollouts.md §6), on namerd's own registry so /metrics
// serves them beside the rest. Created once per server; the controller and the leader update them.
import type { Rollout } from '@switchyard/wire'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export class RolloutMetrics {
  readonly phases: Gauge<'phase'>
  readonly transitions: Counter<'to' | 'reason'>
  readonly weight: Gauge<'namespace' | 'prefix'>
  readonly leader: Gauge
  readonly roundSeconds: Histogram
  readonly proxyReads: Counter<'result'>
  readonly prometheusQueries: Counter<'result'>
  readonly webhookDeliveries: Counter<'result'>
  readonly rollbackSeconds: Histogram

  constructor(registry: Registry) {
    const registers = [registry]
    this.phases = new Gauge({
      name: 'namerd_rollouts',
      help: 'Rollouts this leader holds, by phase (0 on a replica that is not the leader)',
      labelNames: ['phase'],
      registers,
    })
    this.transitions = new Counter({
      name: 'namerd_rollout_transitions_total',
      help: 'Rollout phase transitions made by this replica, by the phase entered and the reason',
      labelNames: ['to', 'reason'],
      registers,
    })
    this.weight = new Gauge({
      name: 'namerd_rollout_weight',
      help: "The new version's weight (percent) of each active rollout",
      labelNames: ['namespace', 'prefix'],
      registers,
    })
    this.leader = new Gauge({
      name: 'namerd_rollout_leader',
      help: '1 while this replica holds the rollouts-leader lease',
      registers,
    })
    this.roundSeconds = new Histogram({
      name: 'namerd_rollout_round_seconds',
      help: 'One round of the controller: read, judge and move every active rollout',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.proxyReads = new Counter({
      name: 'namerd_rollout_proxy_reads_total',
      help: "Reads of proxies' metrics snapshots, by result",
      labelNames: ['result'],
      registers,
    })
    this.prometheusQueries = new Counter({
      name: 'namerd_rollout_prometheus_queries_total',
      help: 'Prometheus queries made for rollout analysis, by result',
      labelNames: ['result'],
      registers,
    })
    this.webhookDeliveries = new Counter({
      name: 'namerd_rollout_webhook_deliveries_total',
      help: 'Webhook deliveries of rollout events, by result',
      labelNames: ['result'],
      registers,
    })
    this.rollbackSeconds = new Histogram({
      name: 'namerd_rollout_rollback_seconds',
      help: 'From the end of a failing window to the restoring dtab write acknowledged',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
  }
}

/** The reason label of a transition: the failed metric, or a word from its why. */
export function transitionReason(why: string): string {
  if (why.startsWith('aborted')) return 'aborted'
  if (why.startsWith('conflict')) return 'conflict'
  if (why.includes('progress deadline')) return 'progress-deadline'
  if (why.startsWith('smoke')) return 'smoke'
  if (why.includes('metrics unreadable')) return 'unreadable'
  if (/success rate/.test(why) && !/passed/.test(why)) return 'success-rate'
  if (/p99/.test(why) && !/passed/.test(why)) return 'p99'
  if (why.startsWith('paused')) return 'paused'
  if (why.startsWith('resumed')) return 'resumed'
  if (why.includes('promote')) return 'promote'
  return 'controller'
}

/**
 * When a rollback began, for namerd_rollout_rollback_seconds: the end of the failing window
 * (the reading that failed), or for a rollback with no failed window (an abort) the decision to
 * roll back (its rolling-back event). Null when the rollout never rolled back.
 */
export function rollbackStartedAt(r: Rollout): number | null {
  const rec = r.stepRecords[r.stepRecords.length - 1]
  if (rec?.verdict === 'fail' && rec.windowEnd !== null) return Date.parse(rec.windowEnd)
  const decided = r.events.findLast((e) => e.to === 'rolling-back')
  return decided === undefined ? null : Date.parse(decided.time)
}
