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
        <div class="share-bar measured" style={{ width: width(measured) }} />
      </div>
      <div class="share-track">
        <div class="share-bar expected" style={{ width: width(expected) }} />
      </div>
    </div>
  )
}

/** The bar's width; a share that is not zero keeps a visible sliver. */
function width(share: number | null): string {
  if (share === null || !(share > 0)) return '0'
  return `max(2px, ${Math.min(1, share) * 100}%)`
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
