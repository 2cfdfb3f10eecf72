// STUB: replaced by the view's owner.
export function HistoryView(_: { ns: string }) {
  return <p>Not built yet: history</p>
}
