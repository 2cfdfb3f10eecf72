// The plan: one row per step with its weight, whether promote is awaited before it, and its
// verdict in words; the step the rollout is at is marked aria-current="step" (and by a word).
import type { Rollout } from '@switchyard/wire'
import { stepRows, VERDICT_WORDS, verdictClass } from './model.js'

export function StepsTable({ rollout }: { rollout: Rollout }) {
  const rows = stepRows(rollout)
  return (
    <table aria-label="Steps" class="steps">
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Weight of {rollout.to}</th>
          <th scope="col">Gate</th>
          <th scope="col">Verdict</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr
            key={row.index}
            aria-current={row.current ? 'step' : undefined}
            class={row.current ? 'current' : undefined}
          >
            <td>
              {row.index + 1} of {rows.length}
              {row.current ? <strong> (current)</strong> : null}
            </td>
            <td>{row.weight}%</td>
            <td>{row.gate ? 'promote awaited before it' : '–'}</td>
            <td class={verdictClass(row.verdict)}>{VERDICT_WORDS[row.verdict]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
