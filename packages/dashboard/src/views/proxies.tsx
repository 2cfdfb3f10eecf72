// STUB: replaced by the view's owner.
export function ProxiesView(_: { ns?: string }) {
  return <p>Not built yet: proxies</p>
}
