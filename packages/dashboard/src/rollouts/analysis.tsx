// The analysis of each step that has a record: per version (from, to) the requests, success
// rate, p99 and rate over the step's window, then the verdict and why. `to` is judged; `from`
// is shown for comparison only (namerd never judges it).
import type { Rollout, StepRecord, VersionStats } from '@switchyard/wire'
import { TimeAgo } from '../components/time-ago.js'
import {
  millis,
  percent,
  rate,
  stepName,
  VERDICT_WORDS,
  verdictClass,
  verdictWhy,
} from './model.js'

export function Analysis({ rollout }: { rollout: Rollout }) {
  // Newest first: the step being measured is what people look at.
  const records = [...rollout.stepRecords].reverse()
  return (
    <section aria-labelledby="analysis-title">
      <h2 id="analysis-title">Analysis per step</h2>
      {records.length === 0 ? (
        <p class="muted">No step measured yet.</p>
      ) : (
        records.map((rec, i) => (
          <StepAnalysis key={`${rec.index}-${rec.startedAt}-${i}`} rollout={rollout} rec={rec} />
        ))
      )}
    </section>
  )
}

function StepAnalysis({ rollout, rec }: { rollout: Rollout; rec: StepRecord }) {
  const name = stepName(rollout, rec.index)
  return (
    <div class="card analysis">
      <h3>
        {name[0]!.toUpperCase()}
        {name.slice(1)}: <span class={verdictClass(rec.verdict)}>{VERDICT_WORDS[rec.verdict]}</span>
      </h3>
      <p class="muted">
        Started <TimeAgo time={rec.startedAt} />
        {rec.windowStart === null ? (
          '; its window has not started (the proxies are getting the step’s dtab)'
        ) : (
          <>
            ; window from <TimeAgo time={rec.windowStart} />
            {rec.windowEnd === null ? null : (
              <>
                {' '}
                to <TimeAgo time={rec.windowEnd} />
              </>
            )}
          </>
        )}
        ; {rec.checks} {rec.checks === 1 ? 'judgement' : 'judgements'}.
      </p>
      <table aria-label={`Analysis of ${name}`}>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Requests</th>
            <th scope="col">Success rate</th>
            <th scope="col">p99</th>
            <th scope="col">Requests/s</th>
            <th scope="col">Destinations</th>
          </tr>
        </thead>
        <tbody>
          <VersionRow name={`to ${rollout.to} (judged)`} stats={rec.to} />
          <VersionRow name={`from ${rollout.from}`} stats={rec.from} />
        </tbody>
      </table>
      <p>
        <strong>Why:</strong> {verdictWhy(rollout, rec)}
      </p>
    </div>
  )
}

function VersionRow({ name, stats }: { name: string; stats: VersionStats | null }) {
  return (
    <tr>
      <th scope="row" class="mono">
        {name}
      </th>
      {stats === null ? (
        <td colSpan={5} class="muted">
          not measured
        </td>
      ) : (
        <>
          <td>{stats.requests}</td>
          <td>{percent(stats.successRate)}</td>
          <td>{millis(stats.p99Ms)}</td>
          <td>{rate(stats.ratePerSec)}</td>
          <td class="mono">{stats.ids.join(', ') || '–'}</td>
        </>
      )}
    </tr>
  )
}
