// What the traffic view shows for one logical service, computed from namerd's answer (wire
// TrafficService): a row per destination in namerd's order (so rows do not jump between
// refreshes), the service's totals, and the destinations whose measured share is far from the
// share the dtab asks for. Pure: tested under node.
import type { TrafficDestination, TrafficService } from '@switchyard/wire'

/** A destination is "far off" only beyond this many percentage points (as a 0..1 share)... */
export const FAR_OFF_POINTS = 0.1
/** ...and only once its service had this many requests in the window... */
export const FAR_OFF_MIN_REQUESTS = 30
/**
 * ...and only when chance cannot explain it: the gap is over this many standard deviations of a
 * share measured on that many requests (a 10-point gap on 30 requests at an asked 50% is
 * within 2 of them: a coin can do that).
 */
export const FAR_OFF_SIGMAS = 3

export interface Row {
  /** The bound id (`/#/io.l5d.fs/world-v2`). */
  readonly id: string
  /** The share the dtab asks for; null when it does not name the destination now. */
  readonly expected: number | null
  /** The measured share; null when the service had no requests. */
  readonly measured: number | null
  readonly requests: number
  readonly ratePerSec: number
  readonly successRate: number | null
  readonly p99Ms: number | null
  /** measured - expected, when far off (see isFarOff); null otherwise. */
  readonly offBy: number | null
}

export interface ServiceModel {
  readonly path: string
  /** Why the expected split is unknown; null when known. */
  readonly error: string | null
  readonly rows: readonly Row[]
  /** Requests to the service in the window, over every destination. */
  readonly requests: number
  readonly ratePerSec: number
  /** The rows that are far off, in row order. */
  readonly farOff: readonly Row[]
}

/**
 * Whether a measured share is too far from the expected one to be chance: more than
 * FAR_OFF_POINTS apart, over at least FAR_OFF_MIN_REQUESTS requests, and more than
 * FAR_OFF_SIGMAS standard deviations of the binomial share the dtab asks for.
 */
export function isFarOff(measured: number, expected: number, serviceRequests: number): boolean {
  if (!(serviceRequests >= FAR_OFF_MIN_REQUESTS)) return false
  const gap = Math.abs(measured - expected)
  if (!(gap > FAR_OFF_POINTS)) return false
  const sigma = Math.sqrt((expected * (1 - expected)) / serviceRequests)
  return gap > FAR_OFF_SIGMAS * sigma
}

/**
 * The service as the view shows it. `judge` false (the dtab changed within the window: the
 * window still holds requests routed by the version before) computes no far-off rows.
 */
export function serviceModel(service: TrafficService, judge: boolean): ServiceModel {
  const requests = service.destinations.reduce((n, d) => n + d.requests, 0)
  const ratePerSec = service.destinations.reduce((n, d) => n + d.ratePerSec, 0)
  const canJudge = judge && service.error === null
  const rows = service.destinations.map((d) => row(d, requests, canJudge))
  return {
    path: service.path,
    error: service.error,
    rows,
    requests,
    ratePerSec,
    farOff: rows.filter((r) => r.offBy !== null),
  }
}

function row(d: TrafficDestination, serviceRequests: number, judge: boolean): Row {
  const expected = d.expectedShare ?? 0
  const offBy =
    judge && d.measuredShare !== null && isFarOff(d.measuredShare, expected, serviceRequests)
      ? d.measuredShare - expected
      : null
  return {
    id: d.id,
    expected: d.expectedShare,
    measured: d.measuredShare,
    requests: d.requests,
    ratePerSec: d.ratePerSec,
    successRate: d.successRate,
    p99Ms: d.p99Ms,
    offBy,
  }
}

/** How long after the page saw the dtab change its traffic is not judged: the window, plus the
 * time proxies take to follow the change and the next scrape (a few seconds). */
export const SETTLE_EXTRA_MS = 4000

/** Whether shares are judged at `now`: not while the window may hold requests of an older version. */
export function judging(changedAtMs: number | null, nowMs: number, windowSeconds: number): boolean {
  return changedAtMs === null || nowMs - changedAtMs >= windowSeconds * 1000 + SETTLE_EXTRA_MS
}
