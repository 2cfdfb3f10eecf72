// Query parameters of list and watch (metav1.ListOptions) with the apiserver's 422s for bad
// combinations (reference §1), parsed once at the boundary.
import { badRequest, type FieldError, invalid } from './status.js'

export interface ListOptions {
  readonly watch: boolean
  /** undefined = unset; '0' is kept as a string to tell "Any" from "Exact 0". */
  readonly resourceVersion: string | undefined
  readonly resourceVersionMatch: 'Exact' | 'NotOlderThan' | undefined
  readonly labelSelector: string | undefined
  readonly fieldSelector: string | undefined
  readonly limit: number | undefined
  readonly continueToken: string | undefined
  readonly timeoutSeconds: number | undefined
  readonly allowWatchBookmarks: boolean
}

/** Go's bool conversion for query flags: anything but 0/false (any case) is true, even empty. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name)
  if (value === null) return false
  const lower = value.toLowerCase()
  return lower !== '0' && lower !== 'false'
}

function integer(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name)
  if (value === null || value === '') return undefined
  if (!/^-?\d+$/.test(value))
    throw badRequest(`invalid value for ${name}: ${JSON.stringify(value)}: expected an integer`)
  return Number(value)
}

export function parseListOptions(query: URLSearchParams, watchVerb: boolean): ListOptions {
  const rv = query.get('resourceVersion') ?? ''
  const match = query.get('resourceVersionMatch') ?? ''
  const cont = query.get('continue') ?? ''
  const errors: FieldError[] = []
  // Every rule is checked and every failure reported, in ValidateListOptions' order (1.26).
  if (match !== '') {
    if (watchVerb) errors.push(forbidden('resourceVersionMatch is forbidden for watch'))
    if (rv === '') {
      errors.push(forbidden('resourceVersionMatch is forbidden unless resourceVersion is provided'))
    }
    if (cont !== '')
      errors.push(forbidden('resourceVersionMatch is forbidden when continue is provided'))
    if (match !== 'Exact' && match !== 'NotOlderThan') {
      errors.push({
        field: 'resourceVersionMatch',
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan", ""`,
      })
    }
    if (match === 'Exact' && rv === '0') {
      errors.push(forbidden('resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
    }
  }
  if (errors.length > 0) {
    throw invalid('ListOptions.meta.k8s.io', '', errors, {
      group: 'meta.k8s.io',
      kind: 'ListOptions',
    })
  }
  const limit = integer(query, 'limit')
  const timeoutSeconds = integer(query, 'timeoutSeconds')
  return {
    watch: watchVerb,
    resourceVersion: rv === '' ? undefined : rv,
    resourceVersionMatch: match === 'Exact' || match === 'NotOlderThan' ? match : undefined,
    labelSelector: query.get('labelSelector') ?? undefined,
    fieldSelector: query.get('fieldSelector') ?? undefined,
    limit: limit !== undefined && limit > 0 ? limit : undefined,
    continueToken: cont === '' ? undefined : cont,
    timeoutSeconds: timeoutSeconds !== undefined && timeoutSeconds > 0 ? timeoutSeconds : undefined,
    allowWatchBookmarks: queryFlag(query, 'allowWatchBookmarks'),
  }
}

function forbidden(detail: string): FieldError {
  return {
    field: 'resourceVersionMatch',
    reason: 'FieldValueForbidden',
    message: `Forbidden: ${detail}`,
  }
}

/** A resourceVersion as the versioner parses it: a decimal uint64 ('' and '0' are 0). */
export function parseRv(rv: string): number {
  if (!/^\d+$/.test(rv)) {
    throw badRequest(
      `resourceVersion: Invalid value: ${JSON.stringify(rv)}: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`,
    )
  }
  return Number(rv)
}
