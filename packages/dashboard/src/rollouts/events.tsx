// Every transition of the rollout, newest first: when, the phase change, the step, who and why.
import type { Rollout } from '@switchyard/wire'
import { TimeAgo } from '../components/time-ago.js'
import { versionName } from '../history/version.js'

export function Events({ rollout }: { rollout: Rollout }) {
  const events = [...rollout.events].reverse()
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <ol class="events">
        {events.map((e) => (
          <li key={e.seq} value={e.seq}>
            <TimeAgo time={e.time} />{' '}
            <span class="mono">
              {e.from} → {e.to}
            </span>
            {e.weight === null ? null : <> at {e.weight}%</>} by {e.who}: {e.why}
            {e.dtabVersion === null ? null : (
              <span class="muted"> (wrote {versionName(e.dtabVersion)})</span>
            )}
          </li>
        ))}
      </ol>
    </section>
  )
}
