// Compare any two versions of the history: two selects and the line diff between their dtabs.
// A deletion compares as an empty dtab, and says it is one.
import type { HistoryEntry } from '@switchyard/wire'
import { useState } from 'preact/hooks'
import { DiffView } from '../components/diff-view.js'
import { defaultComparison, linesOf } from './model.js'
import { versionName } from './version.js'

function optionText(e: HistoryEntry, current: boolean): string {
  return `${versionName(e.version)} · ${e.op}${current ? ' (current)' : ''} · ${new Date(e.time).toLocaleString()}`
}

function VersionSelect(props: {
  id: string
  label: string
  entries: readonly HistoryEntry[]
  value: string
  onChange: (v: string) => void
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {props.entries.map((e, i) => (
          <option key={e.version} value={e.version}>
            {optionText(e, i === 0)}
          </option>
        ))}
      </select>
    </div>
  )
}

export function Compare({ entries }: { entries: readonly HistoryEntry[] }) {
  const defaults = defaultComparison(entries)
  const [picked, setPicked] = useState<{ from?: string; to?: string }>({})
  if (defaults === null) return null
  // A version picked and then gone from the history (a long one, trimmed) falls back.
  const has = (v: string | undefined) => v !== undefined && entries.some((e) => e.version === v)
  const from = has(picked.from) ? picked.from! : defaults.from
  const to = has(picked.to) ? picked.to! : defaults.to
  const fromEntry = entries.find((e) => e.version === from)
  const toEntry = entries.find((e) => e.version === to)
  return (
    <form class="card compare" aria-labelledby="compare-title" onSubmit={(e) => e.preventDefault()}>
      <h2 id="compare-title">Compare two versions</h2>
      <div class="compare-fields">
        <VersionSelect
          id="compare-from"
          label="From version"
          entries={entries}
          value={from}
          onChange={(v) => setPicked((p) => ({ ...p, from: v }))}
        />
        <VersionSelect
          id="compare-to"
          label="To version"
          entries={entries}
          value={to}
          onChange={(v) => setPicked((p) => ({ ...p, to: v }))}
        />
      </div>
      {[fromEntry, toEntry].map((e) =>
        e?.op === 'delete' ? (
          <p key={`del-${e.version}`} class="notice">
            {versionName(e.version)} is a deletion: the namespace had no dtab; it compares as empty.
          </p>
        ) : null,
      )}
      <DiffView before={linesOf(fromEntry)} after={linesOf(toEntry)} label="Differences" />
    </form>
  )
}
