// The namerd interpreter's `dst`: a URL, or Linkerd's own form, the Finagle path
// `/$/inet/<host>/<port>` (linkerd/docs/interpreter.md: "a Finagle path locating the Namerd
// service"), so a Linkerd config's interpreter section loads unchanged. Linkerd resolves
// `dst` through its namers, so any name it could bind was allowed there; the proxy resolves
// namerd's address without namers, so only the address form is, and the error says so.
import { Path } from '@switchyard/dtab'
import { hostPort } from '@switchyard/wire'
import { z } from 'zod'

const FORMS =
  "namerd's address: Linkerd's /$/inet/<host>/<port> (e.g. /$/inet/namerd.default.svc.cluster.local/4180) or a URL such as http://127.0.0.1:4180"

const NOT_SUPPORTED =
  'a name for namers to resolve (/#/..., /$/io.buoyant.rinet/..., /%/...) is not supported: the proxy finds namerd without namers'

/** `http://<host>:<port>` for `/$/inet/<host>/<port>`, or why the path is not that. */
export function inetDstUrl(text: string): { url: string } | { error: string } {
  let path: Path
  try {
    path = Path.read(text)
  } catch (err) {
    return { error: `not a path (${(err as Error).message}); give ${FORMS}` }
  }
  if (path[0] !== '$' || path[1] !== 'inet') {
    return { error: `${text}: ${NOT_SUPPORTED}; give ${FORMS}` }
  }
  const [, , host, port, ...rest] = path
  if (host === undefined || port === undefined || rest.length > 0) {
    return { error: `${text}: expected /$/inet/<host>/<port>, e.g. /$/inet/127.0.0.1/4180` }
  }
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    return { error: `${text}: the port "${port}" is not a number from 1 to 65535` }
  }
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) {
    return { error: `${text}: "${host}" is not a host name or IP address` }
  }
  return { url: `http://${hostPort(host, Number(port))}` }
}

const HttpUrl = z.url({ protocol: /^https?$/ })

/** A URL is kept as it is; `/$/inet/<host>/<port>` becomes `http://<host>:<port>`. */
export const NamerdDst = z.string().transform((text, ctx) => {
  if (text.startsWith('/')) {
    const r = inetDstUrl(text)
    if ('url' in r) return r.url
    ctx.addIssue({ code: 'custom', message: r.error })
    return z.NEVER
  }
  if (!HttpUrl.safeParse(text).success) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not ${FORMS}` })
    return z.NEVER
  }
  return text
})
