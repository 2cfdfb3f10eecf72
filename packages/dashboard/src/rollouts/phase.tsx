// A rollout's phase as a word with a class (colour only beside the word) and its pause.
import type { RolloutSummary } from '@switchyard/wire'

const CLASS: Record<string, string> = {
  succeeded: 'ok',
  'rolled-back': 'bad',
  aborted: 'bad',
  stopped: 'warn',
  'rolling-back': 'warn',
}

export function PhaseWords({ rollout }: { rollout: RolloutSummary }) {
  return (
    <span class={`phase ${CLASS[rollout.phase] ?? ''}`}>
      {rollout.phase}
      {rollout.pause === null ? null : <span class="warn"> (paused)</span>}
    </span>
  )
}
