// The body of Linkerd's 502 when a name cannot be routed (RichNoBrokersAvailableException,
// namerd-wire.md §4): the service name, the dtab that applied, and its two parts.
import { Dentry, Dtab, Path } from '@switchyard/dtab'

function section(title: string, dtab: Dtab): string {
  if (dtab.length === 0) return `${title}\n`
  return `${title}\n${dtab.map((d) => `  ${Dentry.show(d)}`).join('\n')}\n`
}

/**
 * ```
 * Unable to route request!
 *
 * service name: /svc/world
 * dtab:
 *   /svc=>/#/io.l5d.fs
 * base dtab:
 *   /svc=>/#/io.l5d.fs
 * override dtab:
 * ```
 * `reason`, when given (a bind error, `no endpoints`), follows the service name.
 */
export function describeNoRoute(dst: Path, base: Dtab, local: Dtab, reason?: string): string {
  return `Unable to route request!\n\n${describeRouting(dst, base, local, reason)}`
}

/**
 * The service name, the dtab that applied and its two parts: the tail of every 502, so an
 * operator sees which override (a tester's l5d-dtab, say) sent the request where it failed.
 */
export function describeRouting(dst: Path, base: Dtab, local: Dtab, reason?: string): string {
  return [
    `service name: ${Path.show(dst)}\n`,
    reason === undefined ? '' : `reason: ${reason}\n`,
    section('dtab:', Dtab.concat(base, local)),
    section('base dtab:', base),
    section('override dtab:', local),
  ].join('')
}
