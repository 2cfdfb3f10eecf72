// The two patch types the fake applies: JSON merge patch (RFC 7386) and JSON patch (RFC 6902).
// A failing JSON patch operation is the apiserver's 422 (a generic server response, reason Invalid).
import type { JsonPatchOp } from './bodies.js'
import { clone, isObject, type Json, type JsonObject } from './json.js'
import { StatusError } from './status.js'

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch)
  const out: JsonObject = isObject(target) ? clone(target) : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key]
    else out[key] = mergePatch(out[key] ?? null, value)
  }
  return out
}

function patchFailed(message: string): StatusError {
  return new StatusError({ code: 422, reason: 'Invalid', message })
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw patchFailed(`JSON pointer must start with '/': ${pointer}`)
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'))
}

/** The container holding the pointer's last token. */
function parentOf(doc: Json, tokens: string[], pointer: string): Json {
  let node = doc
  for (const token of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node)
      ? node[Number(token)]
      : isObject(node)
        ? node[token]
        : undefined
    if (next === undefined) throw patchFailed(`doc is missing path: ${pointer}`)
    node = next
  }
  return node
}

function arrayIndex(token: string, length: number, forAdd: boolean, pointer: string): number {
  if (forAdd && token === '-') return length
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw patchFailed(`invalid array index in path: ${pointer}`)
  const i = Number(token)
  if (i > length || (!forAdd && i === length)) {
    throw patchFailed(`unable to access invalid index: ${i}: ${pointer}`)
  }
  return i
}

function getAt(doc: Json, pointer: string): Json {
  let node = doc
  for (const token of parsePointer(pointer)) {
    const next: Json | undefined = Array.isArray(node)
      ? node[Number(token)]
      : isObject(node)
        ? node[token]
        : undefined
    if (next === undefined) throw patchFailed(`doc is missing path: ${pointer}`)
    node = next
  }
  return node
}

function addAt(doc: Json, pointer: string, value: Json): Json {
  const tokens = parsePointer(pointer)
  const last = tokens[tokens.length - 1]
  if (last === undefined) return clone(value)
  const parent = parentOf(doc, tokens, pointer)
  if (Array.isArray(parent))
    parent.splice(arrayIndex(last, parent.length, true, pointer), 0, clone(value))
  else if (isObject(parent)) parent[last] = clone(value)
  else throw patchFailed(`doc is missing path: ${pointer}`)
  return doc
}

function removeAt(doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer)
  const last = tokens[tokens.length - 1]
  if (last === undefined) throw patchFailed('cannot remove the whole document')
  const parent = parentOf(doc, tokens, pointer)
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false, pointer), 1)
  else if (isObject(parent) && Object.hasOwn(parent, last)) delete parent[last]
  else throw patchFailed(`Unable to remove nonexistent key: ${last}: missing value`)
  return doc
}

function equal(a: Json, b: Json): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b))
}

function sorted(v: Json): Json {
  if (Array.isArray(v)) return v.map(sorted)
  if (!isObject(v)) return v
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sorted(v[k] as Json)]),
  )
}

export function jsonPatch(target: Json, ops: readonly JsonPatchOp[]): Json {
  let doc = clone(target)
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, op.value as Json)
        break
      case 'remove':
        doc = removeAt(doc, op.path)
        break
      case 'replace':
        getAt(doc, op.path)
        doc = addAt(removeAt(doc, op.path), op.path, op.value as Json)
        break
      case 'move': {
        const value = getAt(doc, op.from)
        doc = addAt(removeAt(doc, op.from), op.path, value)
        break
      }
      case 'copy':
        doc = addAt(doc, op.path, getAt(doc, op.from))
        break
      case 'test':
        if (!equal(getAt(doc, op.path), op.value as Json)) {
          throw patchFailed(`testing value ${op.path} failed: test failed`)
        }
        break
    }
  }
  return doc
}
