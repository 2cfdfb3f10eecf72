// STUB: replaced by the view's owner.
export function RolloutsView(_: { ns?: string }) {
  return <p>Not built yet: rollouts</p>
}
