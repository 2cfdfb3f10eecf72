// Which shown services share a destination. The proxies count requests by destination (client),
// not by the service asked for, so two services that reach the same destination show the same
// requests, each in full: /svc/a, /svc/b and /svc/world all reaching /srv/world read as three
// times the traffic. The page says so under each such service. Pure: node tests share it.
import type { TrafficService } from '@switchyard/wire'

export interface Shared {
  /** The other shown services reaching one of this service's destinations, in page order. */
  readonly services: readonly string[]
  /** This service's destinations that another shown service reaches too, in row order. */
  readonly ids: readonly string[]
}

/** Per service path, what it shares with the others shown; absent when it shares nothing. */
export function sharedDestinations(services: readonly TrafficService[]): Map<string, Shared> {
  const reachedBy = new Map<string, string[]>()
  for (const s of services) {
    for (const d of s.destinations) {
      const paths = reachedBy.get(d.id) ?? []
      if (!paths.includes(s.path)) paths.push(s.path)
      reachedBy.set(d.id, paths)
    }
  }
  const out = new Map<string, Shared>()
  for (const s of services) {
    const others: string[] = []
    const ids: string[] = []
    for (const d of s.destinations) {
      const paths = reachedBy.get(d.id) ?? []
      if (paths.length < 2 || ids.includes(d.id)) continue
      ids.push(d.id)
      for (const p of paths) if (p !== s.path && !others.includes(p)) others.push(p)
    }
    if (ids.length > 0) {
      const order = services.map((x) => x.path)
      others.sort((a, b) => order.indexOf(a) - order.indexOf(b))
      out.set(s.path, { services: others, ids })
    }
  }
  return out
}

/** `/svc/a`, `/svc/a and /svc/b`, `/svc/a, /svc/b and /svc/c`. */
export function andList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}
