// One logical service: its heading (the path), what is known about it in words (no requests,
// the expected split unknown, destinations far from the dtab's split), and a table with a row per
// destination: measured and expected shares, rate, success, p99, and the two bars.
import type { Span } from './coverage.js'
import { count, millis, percent, points, rate } from './format.js'
import type { Row, ServiceModel } from './model.js'
import { ShareBars } from './share-bars.js'
import { andList, type Shared } from './shared.js'

export interface ServiceTableProps {
  readonly service: ServiceModel
  readonly windowSeconds: number
  /** What the numbers cover: nothing compared yet (one read), or so many seconds. */
  readonly span: Span
  /** Whether any proxy was read (else no row can have requests, and that is not "no traffic"). */
  readonly anyRead: boolean
  /** The other services shown that reach one of its destinations (their counts mix). */
  readonly shared?: Shared | undefined
  /** Shown when the user chose the paths: stops showing this one. */
  readonly onHide?: (() => void) | undefined
}

export function ServiceTable(props: ServiceTableProps) {
  const { service, windowSeconds, anyRead, onHide } = props
  const { path } = service
  // The words name the span the counts really cover, so count, rate and sentence agree.
  const span = `the last ${props.span.kind === 'covered' ? props.span.seconds : windowSeconds} s`
  return (
    <div class="traffic-service">
      <div class="traffic-heading">
        <h2>
          <code>{path}</code>
        </h2>
        {onHide === undefined ? null : (
          <button type="button" onClick={onHide} aria-label={`Hide ${path}`}>
            Hide
          </button>
        )}
      </div>
      {service.requests > 0 ? (
        <p class="muted">
          {count(service.requests)} requests in {span}, {rate(service.ratePerSec)} per second.
        </p>
      ) : service.error !== null && service.rows.length === 0 ? null : !anyRead ? (
        <p class="notice">Not measured: no proxy could be read (see above).</p>
      ) : props.span.kind === 'measuring' ? (
        <p class="notice" aria-busy="true">
          Measuring: namerd has read the proxies once; the split shows once it has read them again
          (every 2 s).
        </p>
      ) : (
        <p class="notice">
          No requests to <code>{path}</code> in {span} from the proxies read: there is no measured
          split to compare.
        </p>
      )}
      {service.error === null ? null : (
        <p class="error">
          The split the dtab asks for is not known: {service.error.replace(/\.$/, '')}. Check the
          path in the Delegator tab.
        </p>
      )}
      {props.shared === undefined ? null : <SharedNote shared={props.shared} />}
      {service.farOff.length === 0 ? null : (
        <FarOffNote rows={service.farOff} path={path} requests={service.requests} span={span} />
      )}
      <div class="traffic-scroll">
        <table class="traffic-table" aria-label={`Traffic for ${path}`}>
          <thead>
            <tr>
              <th scope="col">Destination</th>
              <th scope="col" class="num">
                Measured
              </th>
              <th scope="col" class="num">
                Expected
              </th>
              <th scope="col" class="num">
                Requests/s
              </th>
              <th scope="col" class="num">
                Success
              </th>
              <th scope="col" class="num">
                p99
              </th>
              <th scope="col" class="share-col">
                Measured vs expected
              </th>
            </tr>
          </thead>
          <tbody>
            {service.rows.length === 0 ? (
              <tr>
                <td colSpan={7} class="muted">
                  {service.error === null
                    ? 'No destination: the dtab binds this path to nothing, and no recent version did.'
                    : 'No destination known.'}
                </td>
              </tr>
            ) : (
              service.rows.map((r) => <DestinationRow key={r.id} row={r} />)
            )}
          </tbody>
        </table>
      </div>
    </div>
  )
}

function DestinationRow({ row }: { row: Row }) {
  return (
    <tr class={row.offBy === null ? undefined : 'far-off'}>
      <td>
        <code class="dest-id">{row.id}</code>
      </td>
      <td class="num">
        {row.offBy === null ? (
          percent(row.measured)
        ) : (
          <>
            <strong class="warn">{percent(row.measured)}</strong>
            <span class="warn far-off-mark"> ({points(row.offBy)} points)</span>
          </>
        )}
      </td>
      <td class="num">{percent(row.expected)}</td>
      <td class="num" title={`${count(row.requests)} requests`}>
        {rate(row.ratePerSec)}
      </td>
      <td class="num">{percent(row.successRate)}</td>
      <td class="num">{millis(row.p99Ms)}</td>
      <td class="share-col">
        <ShareBars measured={row.measured} expected={row.expected} />
      </td>
    </tr>
  )
}

function SharedNote({ shared }: { shared: Shared }) {
  const many = shared.ids.length > 1
  return (
    <p class="notice traffic-shared">
      These counts include requests for{' '}
      {shared.services.map((p, i) => (
        <span key={p}>
          {i === 0 ? '' : i === shared.services.length - 1 ? ' and ' : ', '}
          <code>{p}</code>
        </span>
      ))}
      : the proxies count by destination, and {many ? 'destinations' : 'destination'}{' '}
      {andList(shared.ids)} {many ? 'serve' : 'serves'} {shared.services.length > 1 ? 'them' : 'it'}{' '}
      too. The rows are per destination, not per service.
    </p>
  )
}

function FarOffNote(props: { rows: readonly Row[]; path: string; requests: number; span: string }) {
  const { rows, path, requests, span } = props
  return (
    <div class="notice far-off-note">
      <p>
        <strong>Far from the dtab:</strong> of the {count(requests)} requests to <code>{path}</code>{' '}
        in {span},
      </p>
      <ul>
        {rows.map((r) => (
          <li key={r.id}>
            <code>{r.id}</code> took {percent(r.measured)} where the dtab asks for{' '}
            {percent(r.expected ?? 0)} ({points(r.offBy ?? 0)} points)
          </li>
        ))}
      </ul>
      <p>
        Proxies that have not followed the dtab (see the Proxies tab), requests that carry their own{' '}
        <code>l5d-dtab</code>, or failure accrual taking a destination out can do this.
      </p>
    </div>
  )
}
