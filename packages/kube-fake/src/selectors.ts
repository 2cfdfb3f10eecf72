// labelSelector and fieldSelector as list and watch apply them. Label selectors take the full
// grammar (=, ==, !=, in, notin, exists, !exists, gt, lt); field selectors take metadata.name and
// metadata.namespace with =, == and != (what custom resources support without selectableFields).
import { isObject, type JsonObject, metadataOf, stringField } from './json.js'
import { badRequest } from './status.js'

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'gt' | 'lt'; key: string; value: number }

export type Selector = (object: JsonObject) => boolean

const everything: Selector = () => true

export function parseLabelSelector(text: string | undefined): Selector {
  if (text === undefined || text.trim() === '') return everything
  const requirements = splitTopLevel(text).map(parseRequirement)
  return (object) => {
    const labels = metadataOf(object).labels
    const map = isObject(labels) ? labels : {}
    return requirements.every((r) => matches(r, map))
  }
}

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts.map((p) => p.trim())
}

const KEY = '[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?'
const VALUE = '(([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?)'
const SET_RE = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s*\(([^()]*)\)$`)
const OP_RE = new RegExp(String.raw`^(${KEY})\s*(==|!=|=|>|<)\s*(.*)$`)
const EXISTS_RE = new RegExp(String.raw`^(!?)\s*(${KEY})$`)
const VALUE_RE = new RegExp(`^${VALUE}$`)

function parseRequirement(part: string): Requirement {
  const set = SET_RE.exec(part)
  if (set !== null) {
    const values = (set[4] ?? '').split(',').map((v) => v.trim())
    for (const v of values) checkValue(v, part)
    return { op: set[3] === 'in' ? 'in' : 'notin', key: set[1] ?? '', values }
  }
  const op = OP_RE.exec(part)
  if (op !== null) {
    const key = op[1] ?? ''
    const value = (op[4] ?? '').trim()
    const sym = op[3]
    if (sym === '>' || sym === '<') {
      const n = Number(value)
      if (!/^-?\d+$/.test(value))
        throw badRequest(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: ${part}`,
        )
      return { op: sym === '>' ? 'gt' : 'lt', key, value: n }
    }
    checkValue(value, part)
    return { op: sym === '!=' ? 'neq' : 'eq', key, value }
  }
  const exists = EXISTS_RE.exec(part)
  if (exists !== null)
    return { op: exists[1] === '!' ? 'notexists' : 'exists', key: exists[2] ?? '' }
  throw badRequest(
    `unable to parse requirement: found '${part}', expected: a label selector requirement`,
  )
}

function checkValue(value: string, part: string): void {
  if (value.length > 63 || !VALUE_RE.test(value)) {
    throw badRequest(`unable to parse requirement: invalid label value: "${value}" in "${part}"`)
  }
}

function matches(r: Requirement, labels: JsonObject): boolean {
  const has = Object.hasOwn(labels, r.key)
  const value = stringField(labels, r.key)
  switch (r.op) {
    case 'eq':
      return value === r.value
    case 'neq':
      return value !== r.value
    case 'in':
      return value !== undefined && r.values.includes(value)
    case 'notin':
      return value === undefined || !r.values.includes(value)
    case 'exists':
      return has
    case 'notexists':
      return !has
    case 'gt':
    case 'lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false
      const n = Number(value)
      return r.op === 'gt' ? n > r.value : n < r.value
    }
  }
}

const FIELDS = new Set(['metadata.name', 'metadata.namespace'])

export function parseFieldSelector(text: string | undefined): Selector {
  if (text === undefined || text.trim() === '') return everything
  const terms = text.split(',').map((part) => {
    const m = /^\s*([^=!\s]+)\s*(==|!=|=)\s*(.*?)\s*$/.exec(part)
    if (m === null) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`)
    const field = m[1] ?? ''
    if (!FIELDS.has(field)) throw badRequest(`field label not supported: ${field}`)
    return { field, negate: m[2] === '!=', value: m[3] ?? '' }
  })
  return (object) => {
    const meta = metadataOf(object)
    return terms.every((t) => {
      const actual = stringField(meta, t.field === 'metadata.name' ? 'name' : 'namespace') ?? ''
      return t.negate ? actual !== t.value : actual === t.value
    })
  }
}
