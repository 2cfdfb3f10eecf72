// A diff as a list of lines marked added or removed (by sign and by colour, not colour alone).
import { changed, type DiffLine, lineDiff } from '../diff.js'

const SIGN = { same: ' ', added: '+', removed: '-' } as const
const SAID = { same: '', added: 'added: ', removed: 'removed: ' } as const

export function DiffView({
  before,
  after,
  label,
}: {
  before: readonly string[]
  after: readonly string[]
  label: string
}) {
  const diff: DiffLine[] = lineDiff(before, after)
  if (!changed(diff)) return <p class="muted">No change.</p>
  return (
    <figure class="diff" aria-label={label}>
      <pre>
        {diff.map((l, i) => (
          <div key={i} class={`diff-${l.kind}`}>
            <span class="visually-hidden">{SAID[l.kind]}</span>
            <span aria-hidden="true">{SIGN[l.kind]} </span>
            {l.text}
          </div>
        ))}
      </pre>
    </figure>
  )
}
