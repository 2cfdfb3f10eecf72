// STUB: replaced by the view's owner.
export function TrafficView(_: { ns: string }) {
  return <p>Not built yet: traffic</p>
}
