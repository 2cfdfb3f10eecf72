// A destination's share drawn twice, one bar above the other on the same 0-100% track: measured
// (solid) and what the dtab asks (hatched), so a gap shows at a glance and the two differ by
// pattern, not only colour. The numbers are in the row's cells; the bars' text alternative
// repeats them for a screen reader that lands here.
import { percent } from './format.js'

export function ShareBars({
  measured,
  expected,
}: {
  measured: number | null
  expected: number | null
}) {
  return (
    <div
      class="share-bars"
      role="img"
      aria-label={`measured ${measured === null ? 'none' : percent(measured)}, expected ${expected === null ? 'unknown' : percent(expected)}`}
    >
      <div class="share-track">
        <Bar kind="measured" share={measured} />
      </div>
      <div class="share-track">
        <Bar kind="expected" share={expected} />
      </div>
    </div>
  )
}

/** A share's bar; none for nothing, and a share that is not zero keeps a visible sliver. */
function Bar({ kind, share }: { kind: 'measured' | 'expected'; share: number | null }) {
  if (share === null || !(share > 0)) return null
  return (
    <div class={`share-bar ${kind}`} style={{ width: `max(2px, ${Math.min(1, share) * 100}%)` }} />
  )
}

/** What the bars mean, once above the services. */
export function ShareLegend() {
  return (
    <p class="share-legend muted" aria-hidden="true">
      <span class="share-key measured" /> measured share <span class="share-key expected" /> share
      the dtab asks for
    </p>
  )
}
