// One rollout, live: followed through its watch stream (one JSON rollout per line), which
// namerd ends once the rollout has ended; then the last state stays on the page. Shows where
// it is, the plan with the current step, the analysis per step, the events, and the controls.
import type { Rollout } from '@switchyard/wire'
import { isTerminal } from '@switchyard/wire'
import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../api/errors.js'
import { useWatch } from '../api/live.js'
import { ErrorNote } from '../components/error-note.js'
import { TimeAgo } from '../components/time-ago.js'
import { Actions } from '../rollouts/actions.js'
import { Analysis } from '../rollouts/analysis.js'
import { parseRolloutLine, rolloutPath } from '../rollouts/api.js'
import { Events } from '../rollouts/events.js'
import { duration, percent, trafficWords, whereWords } from '../rollouts/model.js'
import { PhaseWords } from '../rollouts/phase.js'
import { StepsTable } from '../rollouts/steps.js'
import { href } from '../router.js'

export function RolloutView({ ns, id }: { ns: string; id: string }) {
  // A new instance per rollout, so nothing of one (its last state, a note) shows on another.
  return <FollowedRollout key={`${ns}/${id}`} ns={ns} id={id} />
}

function FollowedRollout({ ns, id }: { ns: string; id: string }) {
  const [last, setLast] = useState<Rollout | null>(null)
  // A rollout that does not exist (404) is not asked for again every second.
  const [gone, setGone] = useState(false)
  const ended = last !== null && isTerminal(last.phase)
  // Once ended, namerd ends the stream; the page stops following instead of reconnecting.
  const live = useWatch(ended || gone ? null : rolloutPath(ns, id), parseRolloutLine)
  useEffect(() => {
    if (live.value !== null) setLast(live.value)
  }, [live.value])
  useEffect(() => {
    if (live.error instanceof ApiError && live.error.status === 404) setGone(true)
  }, [live.error])
  useEffect(() => {
    document.title = `Rollout ${id} · Switchyard`
  }, [id])

  const r = last
  return (
    <>
      <h1>Rollout {id}</h1>
      <p>
        <a href={href({ view: 'rollouts' })}>All rollouts</a> ·{' '}
        <a href={href({ view: 'namespace', ns, tab: 'rollouts', query: new URLSearchParams() })}>
          Rollouts of {ns}
        </a>{' '}
        ·{' '}
        <a href={href({ view: 'namespace', ns, tab: 'history', query: new URLSearchParams() })}>
          History of {ns}
        </a>
      </p>
      <ErrorNote error={live.error} what="Following the rollout" />
      {r === null ? (
        live.error === null ? (
          <p class="muted">Reading the rollout…</p>
        ) : null
      ) : (
        <>
          <Summary rollout={r} />
          <Actions rollout={r} />
          <h2>Plan</h2>
          <StepsTable rollout={r} />
          <Analysis rollout={r} />
          <Events rollout={r} />
        </>
      )}
    </>
  )
}

function Summary({ rollout: r }: { rollout: Rollout }) {
  return (
    <div class="card rollout-summary">
      <p class="phase-line">
        Phase: <PhaseWords rollout={r} /> <span aria-live="polite">({whereWords(r)})</span>
      </p>
      <p class="traffic-line">
        <strong>Traffic now:</strong> {trafficWords(r)}
        {r.phase === 'gate' && r.step !== null ? (
          <>; the gate: promote is awaited before {r.steps[r.step] ?? '?'}%</>
        ) : null}
      </p>
      {r.outcome === null ? null : (
        <p>
          <strong>Outcome:</strong> {r.outcome}
        </p>
      )}
      <dl class="facts">
        <dt>Namespace</dt>
        <dd>{r.namespace}</dd>
        <dt>Dentry</dt>
        <dd class="mono">
          {r.prefix}: {r.from} → {r.to}
        </dd>
        <dt>Steps</dt>
        <dd>
          {r.steps.map((s) => `${s}%`).join(', ')}, {duration(r.intervalMs)} each (progress deadline{' '}
          {duration(r.progressDeadlineMs)})
        </dd>
        <dt>Judged on</dt>
        <dd>
          success at least {percent(r.thresholds.minSuccessRate)}
          {r.thresholds.maxP99Ms === null ? '' : `, p99 at most ${r.thresholds.maxP99Ms} ms`}, once{' '}
          {r.thresholds.minRequests} requests reached {r.to} ({r.metrics.kind})
        </dd>
        {r.smoke === null ? null : (
          <>
            <dt>Smoke</dt>
            <dd>
              {r.smoke.requests} requests to <span class="mono">{r.smoke.url}</span>
              {r.smokeResult === null
                ? ''
                : `: ${r.smokeResult.passed} of ${r.smokeResult.sent} passed${r.smokeResult.firstFailure === null ? '' : `; first failure: ${r.smokeResult.firstFailure}`}`}
            </dd>
          </>
        )}
        {r.gates.length === 0 ? null : (
          <>
            <dt>Gates</dt>
            <dd>promote awaited before {r.gates.map((g) => `${g}%`).join(', ')}</dd>
          </>
        )}
        <dt>Started</dt>
        <dd>
          <TimeAgo time={r.createdAt} /> by {r.createdBy}
          {r.reason === null ? '' : `: ${r.reason}`}
        </dd>
        {r.endedAt === null ? null : (
          <>
            <dt>Ended</dt>
            <dd>
              <TimeAgo time={r.endedAt} />
            </dd>
          </>
        )}
        {r.requests.length === 0 ? null : (
          <>
            <dt>Queued</dt>
            <dd>
              {r.requests.map((q) => `${q.action} by ${q.who}`).join(', ')} (the leader takes them
              at its next round)
            </dd>
          </>
        )}
      </dl>
    </div>
  )
}
