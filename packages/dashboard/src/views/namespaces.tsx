// STUB: replaced by the view's owner.
export function NamespacesView() {
  return <p>Not built yet: namespaces</p>
}
