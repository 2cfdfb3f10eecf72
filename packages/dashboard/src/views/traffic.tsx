// A namespace's traffic, live: per logical service, the split across concrete destinations as
// the proxies measured it (namerd sums their metrics snapshots, GET /api/1/traffic/<ns>) beside
// the split the dtab asks for. Polled every 2 s. The view says in words when nothing could be
// measured and why, when a service had no requests, and when a destination's share is far from
// the dtab's, but not while the window still holds requests routed by the previous version.
import { Traffic } from '@switchyard/wire'
import { ApiError } from '../api/errors.js'
import { usePoll } from '../api/live.js'
import { ErrorNote } from '../components/error-note.js'
import { TimeAgo } from '../components/time-ago.js'
import { useApp } from '../context.js'
import { versionName } from '../history/version.js'
import { href, useRoute } from '../router.js'
import { type Coverage, coverage, proxies, span } from '../traffic/coverage.js'
import { judging, serviceModel } from '../traffic/model.js'
import { PathForm } from '../traffic/path-form.js'
import {
  MAX_PATHS,
  pathsOf,
  pathsQuery,
  refusedPaths,
  trafficUrl,
  withoutPath,
  withPath,
} from '../traffic/paths.js'
import { ServiceTable } from '../traffic/service-table.js'
import { ShareLegend } from '../traffic/share-bars.js'
import { sharedDestinations } from '../traffic/shared.js'
import { type ChangedAt, useChangedAt } from '../traffic/use-changed-at.js'

const EVERY_MS = 2000

export function TrafficView({ ns }: { ns: string }) {
  const { api } = useApp()
  const route = useRoute()
  const query = route.view === 'namespace' ? route.query : new URLSearchParams()
  const chosen = pathsOf(query)
  const refused = refusedPaths(query)
  const key = chosen.join('\n')
  const traffic = usePoll(
    (signal) => api.json(trafficUrl(ns, chosen), Traffic, { signal }),
    EVERY_MS,
    [api, ns, key],
  )
  const changedAt = useChangedAt(ns, traffic.value?.namespace === ns ? traffic.value.version : null)

  const go = (paths: readonly string[]) => {
    const q = pathsQuery(paths)
    const base = href({ view: 'namespace', ns, tab: 'traffic', query: new URLSearchParams() })
    window.location.hash = q === '' ? base : `${base}?${q}`
  }
  // Another namespace's answer (the tab followed a link to this one) is not shown. An answer for
  // other paths than the address names now (just changed) is, until the next one, within 2 s.
  const t = traffic.value?.namespace === ns ? traffic.value : null
  const shown = chosen.length > 0 ? chosen : (t?.services.map((s) => s.path) ?? [])
  const onShow = (path: string): string | null => {
    const next = withPath(shown, path)
    if (next === null) return `At most ${MAX_PATHS} services at once: hide one first.`
    go(next)
    return null
  }

  return (
    <>
      <p class="muted traffic-intro">
        Measured by the proxies watching <code>{ns}</code>, beside the split its dtab asks for.
        Refreshes every 2 s.
      </p>
      <PathForm onShow={onShow} />
      {refused.length === 0 ? null : (
        <div class="notice" role="status">
          <strong>
            Not shown from the address (
            {refused.length === 1 ? 'one path' : `${refused.length} paths`}
            ):
          </strong>
          <ul class="traffic-problems">
            {refused.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      )}
      {chosen.length > 0 ? (
        <p>
          Showing the services you chose.{' '}
          <a href={href({ view: 'namespace', ns, tab: 'traffic', query: new URLSearchParams() })}>
            Show the dtab's services
          </a>
        </p>
      ) : null}
      <ErrorNote error={traffic.error} what="Traffic" />
      {traffic.error instanceof ApiError && traffic.error.status === 404 ? (
        <p>
          <a href={href({ view: 'namespaces' })}>See the namespaces</a>
        </p>
      ) : null}
      {traffic.error !== null && t !== null ? (
        <p class="warn">
          Showing the last numbers namerd gave: they are not live until it answers again.
        </p>
      ) : null}
      {t === null ? (
        traffic.error === null ? (
          <p class="muted">Reading the traffic…</p>
        ) : null
      ) : (
        <TrafficBody
          traffic={t}
          changedAt={changedAt}
          onHide={chosen.length > 0 ? (path) => go(withoutPath(chosen, path)) : undefined}
        />
      )}
    </>
  )
}

function TrafficBody(props: {
  traffic: Traffic
  changedAt: ChangedAt
  onHide: ((path: string) => void) | undefined
}) {
  const { traffic, changedAt, onHide } = props
  // Namerd's clock against namerd's, the page's against the page's.
  const serverNow = traffic.at === null ? Date.now() : Date.parse(traffic.at)
  const recent =
    !judging(changedAt.server, serverNow, traffic.windowSeconds) ||
    !judging(changedAt.seen, Date.now(), traffic.windowSeconds)
  // Not judged either until namerd said when the version shown was made.
  const judged = changedAt.asked && !recent
  const cov = coverage(traffic.proxies)
  const covered = span(traffic)
  const services = traffic.services.map((s) => serviceModel(s, judged))
  const anyRequests = services.some((s) => s.requests > 0)
  const shared = sharedDestinations(traffic.services)
  return (
    <>
      <p class="traffic-status">
        {traffic.proxies.read === 0
          ? 'Nothing measured'
          : covered.kind === 'measuring'
            ? `Measuring: ${traffic.proxies.read} of ${proxies(traffic.proxies.listed)} read once, numbers after the next read`
            : `Over the last ${covered.seconds} s, from ${traffic.proxies.read} of ${proxies(traffic.proxies.listed)}`}
        {traffic.at === null ? null : (
          <>
            , as of <TimeAgo time={traffic.at} />
          </>
        )}
        . Expected shares from dtab version{' '}
        <code title={`ETag ${traffic.version}`}>{versionName(traffic.version)}</code>.
      </p>
      <CoverageNote coverage={cov} ns={traffic.namespace} />
      {recent && anyRequests ? (
        <p class="notice">
          The dtab changed moments ago: the last {traffic.windowSeconds} s may still hold requests
          routed by the version before, so measured shares are not compared with the new ones yet.
        </p>
      ) : null}
      {services.length === 0 ? (
        <p class="notice">
          No service found: the dtab of <code>{traffic.namespace}</code> reaches no path under{' '}
          <code>/svc/</code> (directly or through its dentries), and no proxy read reported a
          destination it binds. Give a service path above, e.g. <code>/svc/world</code>.
        </p>
      ) : (
        <>
          <ShareLegend />
          {services.map((s) => (
            <ServiceTable
              key={s.path}
              service={s}
              windowSeconds={traffic.windowSeconds}
              span={covered}
              anyRead={traffic.proxies.read > 0}
              shared={shared.get(s.path)}
              onHide={onHide === undefined ? undefined : () => onHide(s.path)}
            />
          ))}
        </>
      )}
    </>
  )
}

function CoverageNote({ coverage: cov, ns }: { coverage: Coverage; ns: string }) {
  switch (cov.kind) {
    case 'all':
      return null
    case 'none-listed':
      return (
        <div class="notice">
          <strong>No proxy to read, so no traffic is measured.</strong>
          {cov.problems.length > 0 ? (
            <Problems problems={cov.problems} />
          ) : (
            <p>
              No proxy watching <code>{ns}</code> named an admin address namerd may read. See the
              Proxies tab.
            </p>
          )}
        </div>
      )
    case 'none-read':
      return (
        <div class="error">
          <strong>No proxy could be read ({cov.listed} listed), so no traffic is measured:</strong>
          <Problems problems={cov.problems} />
        </div>
      )
    case 'partial':
      return (
        <div class="notice">
          <strong>
            {cov.read < cov.listed
              ? `Only ${cov.read} of ${proxies(cov.listed)} could be read: the numbers leave out the others.`
              : 'The last read of some proxies failed: the numbers count what they said before, within the window.'}
          </strong>
          <Problems problems={cov.problems} />
        </div>
      )
  }
}

function Problems({ problems }: { problems: readonly string[] }) {
  if (problems.length === 0) return null
  return (
    <ul class="traffic-problems">
      {problems.map((p) => (
        <li key={p}>{p}</li>
      ))}
    </ul>
  )
}
