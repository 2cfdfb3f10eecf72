// STUB: replaced by the view's owner.
export function RolloutView(_: { ns: string; id: string }) {
  return <p>Not built yet: rollout</p>
}
