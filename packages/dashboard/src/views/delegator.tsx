// STUB: replaced by the view's owner.
export function DelegateView(_: { ns: string; query: URLSearchParams }) {
  return <p>Not built yet: delegator</p>
}
