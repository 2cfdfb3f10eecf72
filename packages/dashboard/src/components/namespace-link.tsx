// A namespace's name as a link to one of its tabs, as the namespaces and proxies tables show it
// in their Namespace cells.
import { href, type NamespaceTab } from '../router.js'

export function NamespaceLink({ ns, tab }: { ns: string; tab: NamespaceTab }) {
  return (
    <a class="ns" href={href({ view: 'namespace', ns, tab, query: new URLSearchParams() })}>
      {ns}
    </a>
  )
}
