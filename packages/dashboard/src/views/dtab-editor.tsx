// STUB: replaced by the view's owner.
export function DtabView(_: { ns: string }) {
  return <p>Not built yet: dtab-editor</p>
}
